"""robots.txt rules for one origin, per RFC 9309, with its rules for a failed fetch.

Matching is Protego's (Scrapy's default parser): `*` and `$` wildcards, the longest match
wins, an Allow beats a Disallow of the same length, and the group for our own product token
comes before `*`. It also reads Crawl-delay. A robots.txt that answers 4xx allows
everything; one that answers 5xx, or does not answer, forbids the whole origin.
"""

from __future__ import annotations

from protego import Protego

from crawler.http import ROBOTS_AGENT, Response

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
