"""robots.txt rules for one origin, following RFC 9309 on what a failed fetch means."""

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
            parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        elif 400 <= response.status < 500:
            parser.allow_all = True
        else:
            parser.disallow_all = True
        return cls(parser)

    def allows(self, url: str) -> bool:
        """True when our user agent may fetch url."""
        return self._parser.can_fetch(ROBOTS_AGENT, url)


def robots_url(origin: str) -> str:
    """Return the robots.txt URL of an origin."""
    return f"{origin}/robots.txt"
