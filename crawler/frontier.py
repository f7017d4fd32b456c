"""The frontier: which discovered URLs are new, in scope and allowed. It owns the seen-sets."""

from __future__ import annotations

from crawler.robots import Robots
from crawler.urls import netloc
from stats import Stats

# Longer URLs are not fetched (many servers refuse them anyway); each one is counted.
MAX_URL_LENGTH = 2048


class Frontier:
    """Admits each page and image URL at most once, counting every one left out and why
    (stats' skipped/<reason>)."""

    def __init__(
        self, site: str, robots: Robots, max_pages: int, max_depth: int | None, stats: Stats
    ) -> None:
        self.site = site
        self._robots = robots
        self._max_pages = max_pages
        self._max_depth = max_depth
        self._seen_pages: set[str] = set()
        self._seen_images: set[str] = set()
        self._stats = stats
        self.pages_admitted = 0
        self.images_admitted = 0

    def admit_page(self, url: str, depth: int) -> bool:
        """True if url is a new, allowed page on the site within the length, depth and page
        limits."""
        if url in self._seen_pages:
            return False
        self._seen_pages.add(url)
        if len(url) > MAX_URL_LENGTH:
            return self.skip("url_too_long")
        if netloc(url) != self.site:
            return self.skip("offsite")
        if not self._robots.allows(url):
            return self.skip("robots")
        if self._max_depth is not None and depth > self._max_depth:
            return self.skip("max_depth")
        if self.pages_admitted >= self._max_pages:
            return self.skip("max_pages")
        self.pages_admitted += 1
        return True

    def admit_image(self, url: str) -> bool:
        """True if url is an image not seen before, within the length limit (images may
        live on any host)."""
        if url in self._seen_images:
            return False
        self._seen_images.add(url)
        if len(url) > MAX_URL_LENGTH:
            return self.skip("url_too_long")
        self.images_admitted += 1
        return True

    def mark_seen(self, url: str) -> None:
        """Remember a page reached by redirect, so a later link to it is not fetched again."""
        self._seen_pages.add(url)

    def skip(self, reason: str, count: int = 1) -> bool:
        """Count count URLs left alone, and why; return False (not admitted)."""
        self._stats.inc(f"skipped/{reason}", count)
        return False
