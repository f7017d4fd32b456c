"""Event-loop lag: how late the loop wakes a coroutine that asked to sleep a moment.

When blocking work runs on the loop's thread (the asyncio model for disk or CPU stages),
every coroutine waits for it; this measures that stall. Memory stays bounded: the lags
go into 0.1 ms buckets, not a list.
"""

from __future__ import annotations

import asyncio
from collections import Counter

BUCKET_MS = 0.1


class LoopLag:
    """Samples the running loop's lag every interval_s until cancelled."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self._interval_s = interval_s
        self._buckets: Counter[int] = Counter()
        self.max_ms = 0.0

    async def watch(self) -> None:
        """Sleep and measure the oversleep, forever (cancel to stop)."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self._interval_s)
            self.record((loop.time() - start - self._interval_s) * 1000)

    def record(self, lag_ms: float) -> None:
        """Count one lag sample."""
        lag_ms = max(0.0, lag_ms)
        self.max_ms = max(self.max_ms, lag_ms)
        self._buckets[int(lag_ms / BUCKET_MS)] += 1

    def percentile(self, share: float) -> float:
        """The lag (ms) that share of the samples stayed under."""
        total, seen = sum(self._buckets.values()), 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= share * total:
                return (bucket + 1) * BUCKET_MS
        return 0.0

    def as_json(self) -> dict[str, float]:
        """Max and p99 lag in milliseconds, for summary.json."""
        return {"max_ms": round(self.max_ms, 1), "p99_ms": round(self.percentile(0.99), 1)}
