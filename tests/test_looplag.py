"""Event-loop lag is seen when blocking work runs on the loop, and not otherwise."""

from __future__ import annotations

import asyncio
import time

from measure.looplag import LoopLag


def measure(block_s: float) -> LoopLag:
    """Watch the loop while it sleeps politely, then blocks its thread for block_s."""
    lag = LoopLag(interval_s=0.002)

    async def main() -> None:
        watcher = asyncio.create_task(lag.watch())
        await asyncio.sleep(0.05)
        time.sleep(block_s)  # blocking call on the loop's own thread
        await asyncio.sleep(0.05)
        watcher.cancel()

    asyncio.run(main())
    return lag


def test_a_blocked_loop_shows_its_stall() -> None:
    assert measure(0.2).max_ms >= 190


def test_a_free_loop_shows_no_stall() -> None:
    # The median: a busy machine may delay a wake-up now and then, never most of them.
    assert measure(0.0).percentile(0.5) < 20


def test_percentiles_come_from_the_samples() -> None:
    lag = LoopLag()
    for value in [1.0] * 99 + [50.0]:
        lag.record(value)
    assert lag.percentile(0.5) == lag.percentile(0.99) == 1.1
    assert lag.percentile(1.0) == 50.1
    assert lag.as_json() == {"max_ms": 50.0, "p99_ms": 1.1}
