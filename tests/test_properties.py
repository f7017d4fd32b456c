"""Property tests: URL normalisation and link extraction on any input whatsoever."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.links import extract, parse_srcset
from crawler.urls import _TAB_OR_NEWLINE, normalize, resolve, resolve_all

SCHEMES = st.sampled_from(["http", "https", "HTTP", "ftp", "mailto", "javascript", "", "file"])
HOSTS = st.one_of(
    st.sampled_from(
        [
            "example.com",
            "EXAMPLE.org",
            "127.0.0.1",
            "[::1]",
            "xn--mnchen-3ya.de",
            "m\u00fcnchen.de",
            "",
            "a..b",
            "host:99999",
            "host:-1",
            "[bad",
        ]
    ),
    st.text(max_size=20),
)
PATHS = st.text(max_size=60)
URLS = st.one_of(
    st.text(max_size=120),
    st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}", SCHEMES, HOSTS, PATHS),
)


def assert_fetchable(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https")
    assert parts.hostname
    assert "#" not in url
    assert url.isascii() and not any(char.isspace() for char in url)


@settings(max_examples=400, deadline=None)
@given(URLS)
def test_normalize_returns_none_or_a_fetchable_url_and_is_idempotent(url: str) -> None:
    normalized = normalize(url)
    if normalized is not None:
        assert_fetchable(normalized)
        assert normalize(normalized) == normalized


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(
        [
            "http://example.com:8080/a/b/page.html?q=1",
            "https://h/",
            "http://h/a;p/b;q?x=/y/z",
            "http://h/a/b/",
            "http://h/a/..",
        ]
    ),
    st.one_of(
        st.text(max_size=60),
        st.text(max_size=60).map(lambda path: "/" + path),
        st.text(alphabet="./;?#:ab ", max_size=12),
        st.text(alphabet="./;?#:ab ", max_size=12).map(lambda path: "/" + path),
    ),
)
def test_resolving_a_whole_page_agrees_with_urljoin_one_href_at_a_time(
    base: str, href: str
) -> None:
    # resolve_all skips urljoin for plain paths: it must not change a single result.
    try:
        expected = normalize(urljoin(base, _TAB_OR_NEWLINE.sub("", href).strip()))
    except ValueError:
        expected = None
    assert resolve_all(base, [href]) == [expected]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_resolve_never_raises_and_yields_only_fetchable_urls(href: str) -> None:
    resolved = resolve("http://example.com/a/b/page.html", href)
    if resolved is not None:
        assert_fetchable(resolved)


TAGS = st.sampled_from(
    [
        "a",
        "A",
        "img",
        "IMG",
        "area",
        "base",
        "source",
        "picture",
        "script",
        "style",
        "!--",
        "![CDATA[",
        "![",
        "div",
        "p",
    ]
)
ATTRS = st.sampled_from(["href", "HREF", "src", "srcset", "Srcset", "x"])
FRAGMENTS = st.one_of(
    st.builds(lambda tag, attr, value: f"<{tag} {attr}={value!r}>", TAGS, ATTRS, URLS),
    st.builds(lambda tag, attr, value: f"<{tag} {attr}={value}", TAGS, ATTRS, st.text(max_size=30)),
    st.text(max_size=40),
    st.sampled_from(["</a>", "-->", "</script>", "<!--", "<![foo[", "&amp;", "&#x0;", "\x00"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(FRAGMENTS, max_size=20),
    st.sampled_from(["text/html", "text/html; charset=idna", "text/html; charset=bogus", ""]),
)
def test_extract_never_raises_and_yields_only_fetchable_urls(parts: list[str], ctype: str) -> None:
    body = "".join(parts).encode("utf-8", errors="surrogatepass")
    links = extract(body, ctype, "http://example.com/dir/page.html")
    for url in (*links.pages, *links.images):
        assert_fetchable(url)
    assert len(set(links.pages)) == len(links.pages)


@given(st.text(max_size=100))
def test_srcset_parsing_never_raises(value: str) -> None:
    assert all(url and not url.endswith(",") for url in parse_srcset(value))
