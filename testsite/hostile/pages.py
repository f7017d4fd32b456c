"""The hostile site's pages: each trap's path, the outcome a crawl must record for it, and the
home page that links to them all.

A crawl from / with a 1 s timeout, no more than 1 retry and --max-depth 8 gets exactly PAGES;
NEVER_FETCHED are paths no correct crawler asks for.
"""

from __future__ import annotations

from testsite.hostile.catalog import IMAGES

# Path -> error kind the crawl must record ("ok" for none).
PAGES = {
    "/": "ok",
    "/malformed": "ok",
    "/ok/malformed-target": "ok",
    "/latin1": "ok",
    "/caf%C3%A9": "ok",
    "/gzip": "ok",
    "/ok/after-gzip": "ok",
    "/enormous": "too_large",
    "/cut": "connection",
    "/silent": "timeout",
    "/trickle": "timeout",
    "/redirect/chain/5": "ok",
    "/redirect/loop": "too_many_redirects",
    "/redirect/away": "offsite_redirect",
    "/status/404": "http",
    "/status/500": "http",
    "/flaky/503": "ok",
    "/flaky/429": "ok",
    "/%C3%BCn%C3%AF.html": "ok",
    **{f"/calendar/{month}": "ok" for month in range(1, 9)},
}
NEVER_FETCHED = ("/hidden/comment", "/hidden/script", "/calendar/9", "/etc/passwd")


def home_page() -> bytes:
    """The home page: a link to every trap, every image, and two decoys no parser may see."""
    return html_page("".join(f'<a href="{href}">x</a>' for href in home_links()) + home_images())


def home_links() -> list[str]:
    """The home page's hrefs: the unfetchable and malformed ones, then every trap page."""
    trap = [
        "mailto:a@b.c",
        "javascript:void(0)",
        "tel:+1",
        "data:text/html,x",
        "ftp://h/f",
        "file:///etc/passwd",
        "http://[bad/",
        "http://127.0.0.1:99999/",
        "",
        "  ",
        "/" + "x" * 3000,
        "//localhost:1/protocol-relative",
    ]
    pages = [path for path in PAGES if path != "/" and not path.startswith(("/calendar/", "/ok/"))]
    pages = [p for p in pages if p not in ("/caf%C3%A9", "/%C3%BCn%C3%AF.html")]
    return [*trap, *pages, "/calendar/1", "/\u00fcn\u00ef.html"]


def home_images() -> str:
    """The home page's images, one escaping to /etc/, and the decoys in a comment and a script."""
    images = [path for path in IMAGES if path != "/etc/passwd.png"]
    tags = "".join(f'<img src="{path}">' for path in images)
    comment = '<!-- <a href="/hidden/comment">c</a> -->'
    script = "<script>var s = '<a href=\"/hidden/script\">s</a>';</script>"
    return tags + '<img src="/img/../../../etc/passwd.png">' + comment + script


def html_page(body: str) -> bytes:
    """A minimal HTML document around body."""
    return f"<html><body>{body}</body></html>".encode()
