"""A run's numbers, collected in one place: every part of a run counts into one Stats.

Modelled on Scrapy's stats collector: values live under slash-separated keys
("pages", "errors/http", "skipped/robots", "stage/crawl/items") and change only through
verbs (inc, set, max, min), so no part of a run keeps its own tally to be merged at the
end. summary.json is built from it (runfolder.summary). Only the event-loop thread writes
to it: workers return their results, and the loop counts them. Another thread (the live
view) only reads it, through snapshot() and get(): each is one call into the dict's C code.
"""

from __future__ import annotations

from typing import Any


class Stats:
    """Named values of one run, changed by verbs."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def inc(self, key: str, count: float = 1) -> None:
        """Add count to key (which starts at 0)."""
        self._values[key] = self._values.get(key, 0) + count

    def set(self, key: str, value: Any) -> None:
        """Set key to value."""
        self._values[key] = value

    def max(self, key: str, value: float) -> None:
        """Keep the largest value key was given."""
        if key not in self._values or value > self._values[key]:
            self._values[key] = value

    def min(self, key: str, value: float) -> None:
        """Keep the smallest value key was given."""
        if key not in self._values or value < self._values[key]:
            self._values[key] = value

    def get(self, key: str, default: Any = 0) -> Any:
        """The value of key, or default when it was never given one."""
        return self._values.get(key, default)

    def group(self, prefix: str) -> dict[str, Any]:
        """The values under prefix/, keyed by the rest of their name, sorted by it."""
        start = prefix + "/"
        return {
            key.removeprefix(start): value
            for key, value in sorted(self._values.items())
            if key.startswith(start)
        }

    def snapshot(self) -> dict[str, Any]:
        """A copy of every value now, safe to take from another thread: the copy is one call
        into the dict's C code, which holds the GIL (without the GIL, the dict's own lock)
        throughout, so no write from the loop's thread lands halfway."""
        return self._values.copy()
