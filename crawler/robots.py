"""robots.txt rules for one origin, with RFC 9309's rules for a failed fetch.

Matching is the standard library's (first matching rule, no * or $ wildcards).
"""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

from crawler.http import ROBOTS_AGENT, Response


class Robots:
    """Answers 'may this URL be fetched?' for one origin."""

    def __init__(self, parser: RobotFileParser) -> None:
        self._parser = parser

    @classmethod
    def from_response(cls, response: Response) -> Robots:
        """Parse a fetched robots.txt: 4xx allows all, 5xx or no answer disallows all."""
        parser = RobotFileParser()
        if response.ok:
            _parse(parser, response.body.decode("utf-8-sig", errors="replace"))
        elif 400 <= response.status < 500:
            parser.allow_all = True
        else:
            parser.disallow_all = True
        return cls(parser)

    def allows(self, url: str) -> bool:
        """True when our user agent may fetch url."""
        return self._parser.can_fetch(ROBOTS_AGENT, url)


def _parse(parser: RobotFileParser, text: str) -> None:
    """Parse leniently: a line the stdlib parser chokes on (a bad Crawl-delay) is dropped."""
    try:
        parser.parse(text.splitlines())
    except ValueError:
        good = [line for line in text.splitlines() if _parses(line)]
        parser.parse(good)


def _parses(line: str) -> bool:
    try:
        RobotFileParser().parse(["User-agent: *", line])
    except ValueError:
        return False
    return True


def robots_url(origin: str) -> str:
    """Return the robots.txt URL of an origin."""
    return f"{origin}/robots.txt"
