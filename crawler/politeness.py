"""Politeness: how long to leave between two requests to one host.

A host's interval is the longer of its robots.txt Crawl-delay and 1/--rate. A host with an
interval has one request in flight at a time, and the next starts one interval after the
previous one ended (Heritrix counts its delay the same way): the host sees at least the
interval between two requests, however long a request waited in our queues or pools before
it left. A request that must wait is parked, not given a worker, so a slow host never fills
every slot: requests to other hosts go on meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from crawler.robots import Robots
from stats import Stats

Job = TypeVar("Job")


@dataclass
class _Host(Generic[Job]):
    """One host's pace: its interval, whether a request is out, who waits, and since when."""

    interval: float
    busy: bool = False
    free_at: float = 0.0  # the loop time its next request may start
    waiting: deque[tuple[Job, float]] = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None


class Politeness(Generic[Job]):
    """Lets each request to a host go in turn; counts the waiting into stats."""

    def __init__(self, rate: float | None, stats: Stats, release: Callable[[Job], None]) -> None:
        self._rate_interval = 1.0 / rate if rate else 0.0
        self._stats = stats
        self._release = release
        self._hosts: dict[str, _Host[Job]] = {}

    def go(self, host: str, robots: Robots, job: Job) -> bool:
        """Whether job, a request to host, may start now; it is then in flight until
        finished(host). If not, it waits, and release(job) is called when its turn comes."""
        state = self._host(host, robots)
        if state.interval <= 0:
            return True
        now = asyncio.get_running_loop().time()
        if not state.busy and not state.waiting and now >= state.free_at:
            state.busy = True
            return True
        state.waiting.append((job, now))
        self._stats.inc("politeness/delayed")
        self._wake(state)
        return False

    def finished(self, host: str) -> None:
        """A request that go() let through has ended, whatever its outcome."""
        state = self._hosts[host]
        if state.interval <= 0:
            return
        state.busy = False
        state.free_at = asyncio.get_running_loop().time() + state.interval
        self._wake(state)

    def _wake(self, state: _Host[Job]) -> None:
        """Release the host's next waiting job at its free time, unless one is out."""
        if state.busy or state.timer is not None or not state.waiting:
            return
        state.timer = asyncio.get_running_loop().call_at(state.free_at, self._next, state)

    def _next(self, state: _Host[Job]) -> None:
        state.timer = None
        job, since = state.waiting.popleft()
        state.busy = True
        self._stats.inc("politeness/waited_s", asyncio.get_running_loop().time() - since)
        self._release(job)

    def _host(self, host: str, robots: Robots) -> _Host[Job]:
        if host not in self._hosts:
            interval = max(robots.crawl_delay(), self._rate_interval)
            self._hosts[host] = _Host(interval)
            if interval > 0:
                self._stats.set(f"crawl_delay/{host}", interval)
        return self._hosts[host]
