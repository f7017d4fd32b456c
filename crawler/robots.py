"""robots.txt rules for one origin, per RFC 9309, with its rules for a failed fetch; and the
robots directives a page gives itself (`<meta name="robots">`, `X-Robots-Tag`).

Matching is Protego's (Scrapy's default parser): `*` and `$` wildcards, the longest match
wins, an Allow beats a Disallow of the same length, and the group for our own product token
comes before `*`. It also reads Crawl-delay. A robots.txt that answers 4xx allows
everything; one that answers 5xx, or does not answer, forbids the whole origin.

A page's own directives are read as Google's crawlers read them: `nofollow` (or `none`)
means its links are not followed; a directive names every crawler, or one by its token
(`<meta name="concurrency-demo">`, `X-Robots-Tag: concurrency-demo: nofollow`), so one
addressed to another crawler (`googlebot: nofollow`) does not stop ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from protego import Protego

from crawler.http import ROBOTS_AGENT, Response

# Directives that carry a value after a colon: "unavailable_after: 2030-01-01" names no crawler.
_VALUED = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})
_NAMED = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*:(.*)", re.S)
# <meta name=...> values that speak to us: every crawler, or ours.
META_NAMES = frozenset({"robots", ROBOTS_AGENT})
ALLOW_ALL = Protego.parse("")
DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /\n")


class Robots:
    """Answers 'may this URL be fetched?' and 'how long between requests?' for one origin."""

    def __init__(self, rules: Protego) -> None:
        self._rules = rules

    @classmethod
    def from_response(cls, response: Response) -> Robots:
        """Parse a fetched robots.txt: 4xx allows all, 5xx or no answer disallows all."""
        if response.ok:
            return cls(Protego.parse(response.body.decode("utf-8-sig", errors="replace")))
        if 400 <= response.status < 500:
            return cls(ALLOW_ALL)
        return cls(DISALLOW_ALL)

    @classmethod
    def ignored(cls) -> Robots:
        """Rules that allow everything, for a crawl told to ignore robots.txt."""
        return cls(ALLOW_ALL)

    def allows(self, url: str) -> bool:
        """True when our user agent may fetch url."""
        return self._rules.can_fetch(url, ROBOTS_AGENT)

    def crawl_delay(self) -> float:
        """Seconds the site asks between our requests (0: it asks for none)."""
        return float(self._rules.crawl_delay(ROBOTS_AGENT) or 0.0)


def robots_url(origin: str) -> str:
    """Return the robots.txt URL of an origin."""
    return f"{origin}/robots.txt"


def says_nofollow(directives: str) -> bool:
    """True when a directive list addressed to us ('noindex, nofollow') forbids following."""
    words = {word.strip().lower() for word in directives.split(",")}
    return bool(words & {"nofollow", "none"})


def header_says_nofollow(values: Iterable[str]) -> bool:
    """True when X-Robots-Tag header values forbid us to follow the page's links: a
    directive for every crawler, or after our token ('concurrency-demo: nofollow'); a
    token names the crawler for the directives after it, up to the next token."""
    for value in values:
        agent = ""
        for item in value.split(","):
            named = _NAMED.fullmatch(item)
            if named and named.group(1).lower() not in _VALUED:
                agent, item = named.group(1).lower(), named.group(2)
            if agent in ("", ROBOTS_AGENT) and says_nofollow(item):
                return True
    return False
