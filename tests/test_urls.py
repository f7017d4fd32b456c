"""URL normalisation: one canonical spelling per resource, unfetchable URLs dropped."""

from __future__ import annotations

import pytest

from crawler.urls import normalize, remove_dot_segments, resolve


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM/a", "http://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/a#section", "http://example.com/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/caf\u00e9 menu", "http://example.com/caf%C3%A9%20menu"),
        ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
        ("http://example.com/?q=a b", "http://example.com/?q=a%20b"),
        ("http://M\u00fcnchen.de/", "http://xn--mnchen-3ya.de/"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://[0:0::1]/x", "http://[::1]/x"),
        ("  http://example.com/a\n  ", "http://example.com/a"),
        ("http://example.com/a\tb", "http://example.com/ab"),
    ],
)
def test_normalize_canonicalises(url: str, expected: str) -> None:
    assert normalize(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mailto:someone@example.com",
        "javascript:void(0)",
        "tel:+123",
        "data:image/png;base64,AAAA",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "http://example.com:99999/",
        "http://example.com:port/",
        "http:///nohost",
        "http:// 0/",
        "http://a..b/",
        "http://exa mple.com/",
        "http://[::zz]/",
    ],
)
def test_normalize_drops_what_cannot_be_fetched(url: str) -> None:
    assert normalize(url) is None


def test_normalize_is_idempotent() -> None:
    for url in ["HTTP://A.com:80/x/../y#z", "http://a.com/caf\u00e9?q=1 2", "https://B.org"]:
        once = normalize(url)
        assert once is not None
        assert normalize(once) == once


@pytest.mark.parametrize(
    ("base", "href", "expected"),
    [
        ("http://h/a/b/page.html", "other.html", "http://h/a/b/other.html"),
        ("http://h/a/b/page.html", "../c.html", "http://h/a/c.html"),
        ("http://h/a/b/page.html", "./c.html#top", "http://h/a/b/c.html"),
        ("http://h/a/b/page.html", "/root.html", "http://h/root.html"),
        ("http://h/a/b/page.html", "//cdn.example/i.png", "http://cdn.example/i.png"),
        ("https://h/a/", "//cdn.example/i.png", "https://cdn.example/i.png"),
        ("http://h/a/b/page.html", "", "http://h/a/b/page.html"),
        ("http://h/a/b/page.html", "../../../../x", "http://h/x"),
        ("http://h/p", "HTTPS://OTHER.example:443/Q", "https://other.example/Q"),
    ],
)
def test_resolve_relative_links(base: str, href: str, expected: str) -> None:
    assert resolve(base, href) == expected


@pytest.mark.parametrize("href", ["mailto:x@y", "javascript:alert(1)", "http://[bad", "tel:1"])
def test_resolve_drops_non_http_links(href: str) -> None:
    assert resolve("http://h/", href) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/a/b/../c", "/a/c"), ("/a/./b", "/a/b"), ("/../a", "/a"), ("/a/..", "/"), ("/a/.", "/a/")],
)
def test_remove_dot_segments(path: str, expected: str) -> None:
    assert remove_dot_segments(path) == expected
