"""Link extraction: a real parser finds what a browser would, and nothing it would not."""

from __future__ import annotations

import pytest

from crawler.charsets import decode
from crawler.links import extract, parse_srcset

PAGE = "http://site.test/docs/page.html"


def links_of(html: str, url: str = PAGE, content_type: str = "text/html") -> tuple:
    return extract(html.encode("utf-8"), content_type, url)


def test_anchor_and_area_links_are_resolved_against_the_page() -> None:
    found = links_of('<a href="a.html">A</a><map><area href="/b.html"></map>')
    assert found.pages == ("http://site.test/docs/a.html", "http://site.test/b.html")


def test_img_src_srcset_and_picture_sources_are_images() -> None:
    html = (
        '<img src="one.jpg" srcset="one@2x.jpg 2x, one-640.jpg 640w">'
        '<picture><source srcset="two.webp" type="image/webp"><img src="two.jpg"></picture>'
    )
    assert links_of(html).images == tuple(
        f"http://site.test/docs/{name}"
        for name in ("one.jpg", "one@2x.jpg", "one-640.jpg", "two.webp", "two.jpg")
    )


def test_base_href_changes_resolution_even_when_it_comes_late() -> None:
    html = '<a href="x.html">x</a><base href="/other/"><base href="/ignored/">'
    assert links_of(html).pages == ("http://site.test/other/x.html",)


def test_links_in_comments_and_scripts_are_not_followed() -> None:
    html = (
        '<!-- <a href="/commented.html">c</a> -->'
        "<script>var s = '<a href=\"/scripted.html\">s</a>';</script>"
        '<style>a[href="/styled.html"] {}</style>'
        '<a href="/real.html">r</a>'
    )
    assert links_of(html).pages == ("http://site.test/real.html",)


def test_malformed_html_still_yields_links() -> None:
    html = (
        "<HTML><BODY><A HREF=/upper.html>x<P><a href='/unclosed.html'>"
        "<div><IMG SRC=i.png><p>unclosed"
    )
    found = links_of(html)
    assert found.pages == ("http://site.test/upper.html", "http://site.test/unclosed.html")
    assert found.images == ("http://site.test/docs/i.png",)


def test_unfetchable_and_duplicate_links_are_dropped() -> None:
    html = (
        '<a href="mailto:a@b">m</a><a href="javascript:void(0)">j</a><a href="tel:1">t</a>'
        '<a href="ftp://x/y">f</a><a href="a.html">1</a><a href="a.html#frag">2</a>'
        '<a href="./a.html">3</a><a href="  a.html ">4</a><img src="data:image/png;base64,AA">'
    )
    found = links_of(html)
    assert found.pages == ("http://site.test/docs/a.html",)
    assert found.images == ()


def test_empty_href_means_the_page_itself() -> None:
    assert links_of('<a href="">self</a>').pages == (PAGE,)


def test_declared_charset_is_honoured() -> None:
    body = '<a href="/caf\u00e9.html">x</a>'.encode("latin-1")
    found = extract(body, "text/html; charset=ISO-8859-1", PAGE)
    assert found.pages == ("http://site.test/caf%C3%A9.html",)
    meta = b'<meta charset="iso-8859-1">' + body
    assert extract(meta, "text/html", PAGE).pages == found.pages


def test_decode_never_raises_on_bad_bytes_or_unknown_charset() -> None:
    assert decode(b"\xff\xfe x \x80", "text/html; charset=utf-8")[1] == "utf-16-le"  # BOM
    assert decode(b"x \x80", "text/html; charset=no-such-charset") == ("x \ufffd", "utf-8")


@pytest.mark.parametrize(
    ("body", "content_type", "encoding"),
    [
        ("\ufeffcafé".encode(), "text/html; charset=iso-8859-1", "utf-8"),  # the BOM first
        ("café".encode("utf-16"), "text/html; charset=utf-8", "utf-16-le"),
        ("café".encode("utf-16-be"), "", "utf-8"),  # no BOM, nothing said: UTF-8
        (b"<meta charset=shift_jis>" + "日本".encode("cp932"), "text/html", "cp932"),
        (b"<meta charset=shift_jis>", "text/html; charset=latin1", "cp1252"),  # header first
        (b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', "", "koi8-r"),
        (b"<meta charset=utf-16>", "", "utf-8"),  # a meta tag read as ASCII is not UTF-16
        (b" " * 1100 + b"<meta charset=shift_jis>", "", "utf-8"),  # past the 1024-byte prescan
    ],
)
def test_the_encoding_is_chosen_as_browsers_choose_it(
    body: bytes, content_type: str, encoding: str
) -> None:
    assert decode(body, content_type)[1] == encoding


def test_a_utf16_page_is_read_as_utf16() -> None:
    body = '<a href="/état.html">x</a>'.encode("utf-16")
    assert extract(body, "text/html", PAGE).pages == ("http://site.test/%C3%A9tat.html",)


@pytest.mark.parametrize("charset", ["shift_jis", "latin1"])
def test_a_raw_non_ascii_href_resolves_to_what_a_browser_requests(charset: str) -> None:
    # The path in UTF-8 whatever the page's encoding; the query in the page's encoding.
    word = "日本" if charset == "shift_jis" else "é"
    body = f'<a href="/{word}.html?q={word}">x</a>'.encode("cp932" if word == "日本" else "cp1252")
    query = word.encode("cp932" if word == "日本" else "cp1252")
    page = extract(body, f"text/html; charset={charset}", PAGE).pages[0]
    path = "".join(f"%{byte:02X}" for byte in word.encode())
    assert page == f"http://site.test/{path}.html?q=" + "".join(f"%{b:02X}" for b in query)


def test_a_character_the_page_encoding_cannot_hold_becomes_a_numeric_reference() -> None:
    body = b'<a href="/x?q=&#26085;">x</a>'  # a character reference: the parser makes it \u65e5
    page = extract(body, "text/html; charset=latin1", PAGE).pages[0]
    assert page == "http://site.test/x?q=%26%2326085%3B"


@pytest.mark.parametrize(
    ("content", "target"),
    [
        ("0; url=/next", ["http://site.test/next"]),
        ("5;URL='/quoted?a=1' ", ["http://site.test/quoted?a=1"]),
        ("3, url = other.html", ["http://site.test/docs/other.html"]),
        ("0;/bare", ["http://site.test/bare"]),
        ("10", []),  # a refresh of the page itself
    ],
)
def test_a_meta_refresh_is_a_link_to_follow(content: str, target: list[str]) -> None:
    html = f'<meta http-equiv="Refresh" content="{content}"><meta name="x" content="0; url=/no">'
    assert list(links_of(html).pages) == target


def test_srcset_parsing_follows_the_html_spec() -> None:
    assert parse_srcset("a.jpg 1x, b.jpg 2x") == ["a.jpg", "b.jpg"]
    assert parse_srcset("a.jpg") == ["a.jpg"]
    assert parse_srcset("a,b.jpg 1x, c.jpg (x, y) 2x, d.jpg,") == ["a,b.jpg", "c.jpg", "d.jpg"]
    assert parse_srcset("  ,, ") == []
