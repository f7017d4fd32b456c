"""Property tests: URL normalisation and link extraction on any input whatsoever."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.links import extract, parse_srcset
from crawler.urls import (
    _PERCENT_ESCAPE,
    _SAFE_PATH,
    _SAFE_QUERY,
    _TAB_OR_NEWLINE,
    _quote,
    normalize,
    remove_dot_segments,
    resolve,
    resolve_all,
)

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


# Paths made of segments, empty ones and dot segments among them ("a//b", "..//c", "b/./"),
# where urljoin and the plain-path shortcuts could part: urljoin drops empty segments.
SEGMENTED = st.builds(
    lambda segments, query: "/".join(segments) + query,
    st.lists(st.sampled_from(["a", "b", ".", "..", ""]), min_size=1, max_size=6),
    st.sampled_from(["", "?q=1", "?x=/y//z"]),
)


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
        SEGMENTED,
        SEGMENTED.map(lambda path: "/" + path),
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


def rfc3986_remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, step by step as the RFC writes it (input and output buffers)."""
    source, output = path, ""
    while source:
        if source.startswith(("../", "./")):
            source = source.partition("/")[2]
        elif source.startswith("/./") or source == "/.":
            source = "/" + source[3:]
        elif source.startswith("/../") or source == "/..":
            source = "/" + source[4:]
            output = output[: output.rfind("/")] if "/" in output else ""
        elif source in (".", ".."):
            source = ""
        else:
            cut = source.find("/", 1)
            segment, source = (source, "") if cut < 0 else (source[:cut], source[cut:])
            output += segment
    return output


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="/.ab", max_size=16).map(lambda path: "/" + path))
def test_removing_dot_segments_agrees_with_the_rfc(path: str) -> None:
    assert remove_dot_segments(path) == rfc3986_remove_dot_segments(path)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(alphabet="aZ09/%:?&=;._~-+ \u00e9", max_size=20),
        st.text(alphabet="%aF09", max_size=8),  # escapes, some in lower case
    ),
    st.sampled_from([_SAFE_PATH, _SAFE_QUERY]),
)
def test_quoting_agrees_with_quote_with_upper_case_escapes(text: str, safe: str) -> None:
    quoted = quote(text, safe=safe, encoding="utf-8", errors="surrogatepass")
    assert _quote(text, safe) == _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), quoted)


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
