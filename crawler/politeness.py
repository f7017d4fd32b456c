"""Politeness: how long to leave between two requests to one host.

A host's interval is the longer of its robots.txt Crawl-delay and 1/--rate; each request is
given the next free start time on its host, so requests to one host start at least one
interval apart. The crawler parks a request that must wait rather than hold a worker, so a
slow host never fills every slot: requests to other hosts go on meanwhile.
"""

from __future__ import annotations

from crawler.robots import Robots
from stats import Stats


class Politeness:
    """Gives each request to a host its start time; counts the waiting into stats."""

    def __init__(self, rate: float | None, stats: Stats) -> None:
        self._rate_interval = 1.0 / rate if rate else 0.0
        self._stats = stats
        self._intervals: dict[str, float] = {}  # host -> seconds between its requests
        self._next: dict[str, float] = {}  # host -> when its next request may start

    def start_time(self, host: str, robots: Robots, now: float) -> float:
        """When a request to host may start (now, or later), reserving that time for it."""
        interval = self._interval(host, robots)
        if interval <= 0:
            return now
        start = max(now, self._next.get(host, now))
        self._next[host] = start + interval
        if start > now:
            self._stats.inc("politeness/delayed")
            self._stats.inc("politeness/waited_s", start - now)
        return start

    def _interval(self, host: str, robots: Robots) -> float:
        if host not in self._intervals:
            interval = max(robots.crawl_delay(), self._rate_interval)
            self._intervals[host] = interval
            if interval > 0:
                self._stats.set(f"crawl_delay/{host}", interval)
        return self._intervals[host]
