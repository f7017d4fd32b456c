"""Turn a fetched response into a Page record: the one place a body becomes links."""

from __future__ import annotations

from typing import NamedTuple

from crawler.http import ErrorInfo, ErrorKind, Response, is_html
from crawler.links import extract
from crawler.robots import header_says_nofollow
from crawler.urls import netloc, normalize


class Page(NamedTuple):
    """One page attempted: where it ended up, what it links to, or why it failed."""

    url: str
    final_url: str
    status: int
    depth: int
    error: ErrorInfo | None
    links: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    nofollow: bool = False  # the page asks not to have its links followed (meta or header)

    @property
    def ok(self) -> bool:
        """True when the page was fetched (whatever it contained)."""
        return self.error is None


ANY_SITE = ""  # for the start page: wherever it redirects to becomes the site


def to_page(response: Response, depth: int, site: str) -> Page:
    """Parse a response into a Page; site is the host[:port] the crawl stays on."""
    final_url = normalize(response.final_url) or response.url
    if not response.ok:
        return Page(response.url, final_url, response.status, depth, response.error)
    if site != ANY_SITE and netloc(final_url) != site:
        error = ErrorInfo(ErrorKind.OFFSITE_REDIRECT, f"redirected off the site to {final_url}")
        return Page(response.url, final_url, response.status, depth, error)
    if not is_html(response.content_type):  # a PDF or an image behind <a href>: no links
        return Page(response.url, final_url, response.status, depth, None)
    links = extract(response.body, response.content_type, final_url)
    nofollow = links.nofollow or header_says_nofollow(response.robots_tag)
    return Page(
        response.url, final_url, response.status, depth, None, links.pages, links.images, nofollow
    )
