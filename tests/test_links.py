"""Link extraction: a real parser finds what a browser would, and nothing it would not."""

from __future__ import annotations

from crawler.links import decode_html, extract, parse_srcset

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
    assert "x" in decode_html(b"\xff\xfe x \x80", "text/html; charset=utf-8")
    assert "x" in decode_html(b"x", "text/html; charset=no-such-charset")


def test_srcset_parsing_follows_the_html_spec() -> None:
    assert parse_srcset("a.jpg 1x, b.jpg 2x") == ["a.jpg", "b.jpg"]
    assert parse_srcset("a.jpg") == ["a.jpg"]
    assert parse_srcset("a,b.jpg 1x, c.jpg (x, y) 2x, d.jpg,") == ["a,b.jpg", "c.jpg", "d.jpg"]
    assert parse_srcset("  ,, ") == []
