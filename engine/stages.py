"""One stage of the pipeline: items in from a bounded queue, work on an Executor, results out.

Every stage of every model runs through run_stage, so a stage's logic exists once and the
model is only the Executor it is handed. Closing the output is the caller's `finally`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass
from typing import Any, Final

from engine.timeline import Timeline
from spans import Span, call_timed

LOGGER = logging.getLogger(__name__)
END: Final = None  # the end-of-stream marker a stage puts on its output queue


async def close_queue(queue: asyncio.Queue[Any]) -> None:
    """Tell the next stage no more items are coming, unless the whole run is being torn down
    (then nobody reads the queue, and waiting for room in it would hang)."""
    task = asyncio.current_task()
    if task is None or not task.cancelling():
        await queue.put(END)


@dataclass
class StageStats:
    """What one stage did. Updated only on the event-loop thread."""

    name: str
    model: str
    workers: int
    timeline: Timeline | None = None  # None: count, but draw no timeline
    items: int = 0
    errors: int = 0
    busy_s: float = 0.0
    started: float | None = None
    finished: float | None = None

    def add(self, span: Span | None, failed: bool) -> None:
        """Count one finished item and the span a worker spent on it (None: no worker)."""
        self.items += 1
        self.errors += failed
        self.finished = time.perf_counter()
        if span is not None:
            self.busy_s += span.busy_s
            if self.timeline is not None:
                self.timeline.add(self.name, span, not failed)

    @property
    def wall_s(self) -> float:
        """Seconds from the first item's start to the last item's end."""
        if self.started is None or self.finished is None:
            return 0.0
        return self.finished - self.started


async def run_stage(
    work: Callable[[Any], Any],
    inbox: asyncio.Queue[Any],
    emit: Callable[[Any], Awaitable[None]],
    fail: Callable[[Any, BaseException], Any],
    executor: Executor,
    in_flight: int,
    stats: StageStats,
) -> None:
    """Feed each inbox item to work on executor, at most in_flight at once, until END."""

    retrying = asyncio.Lock()  # one retry at a time: a poisonous item kills only itself

    async def worker() -> None:
        while (item := await inbox.get()) is not END:
            if stats.started is None:
                stats.started = time.perf_counter()
            await emit(await _run_one(work, item, fail, executor, stats, retrying))
        inbox.put_nowait(END)  # pass the marker on to the sibling workers

    async with asyncio.TaskGroup() as workers:  # one dies: the others are cancelled
        for _ in range(in_flight):
            workers.create_task(worker())


async def _run_one(
    work: Callable[[Any], Any],
    item: Any,
    fail: Callable[[Any, BaseException], Any],
    executor: Executor,
    stats: StageStats,
    retrying: asyncio.Lock,
) -> Any:
    """Run one item; an exception the work did not expect becomes a failure record."""
    try:
        try:
            result, span = await asyncio.wrap_future(executor.submit(call_timed, work, item))
        except BrokenExecutor:
            # A worker died (killed, or crashed in C code), taking this item with it, or
            # it was merely in the same pool: try once more on a fresh pool.
            LOGGER.warning("a worker died while handling %s: retrying once", _describe(item))
            async with retrying:
                future = executor.submit(call_timed, work, item)
                result, span = await asyncio.wrap_future(future)
    except Exception as exc:
        LOGGER.error("stage work failed on %r", _describe(item), exc_info=exc)
        stats.add(None, failed=True)
        return fail(item, exc)
    stats.add(span, failed=getattr(result, "error", None) is not None)
    return result


def _describe(item: Any) -> str:
    return getattr(item, "url", repr(item)[:200])


class TimedFetcher:
    """Wraps a fetcher whose calls return (result, span): counts each fetch and its span."""

    def __init__(self, fetcher: Any, stats: StageStats) -> None:
        self._fetcher = fetcher
        self._stats = stats

    async def page(self, url: str, depth: int, site: str) -> Any:
        """Fetch and parse one page, timed."""
        return await self._timed(self._fetcher.page(url, depth, site))

    async def resource(self, url: str) -> Any:
        """Fetch bytes, timed."""
        return await self._timed(self._fetcher.resource(url))

    async def _timed(self, fetch: Awaitable[tuple[Any, Span]]) -> Any:
        if self._stats.started is None:
            self._stats.started = time.perf_counter()
        result, span = await fetch
        self._stats.add(span, failed=result.error is not None)
        return result
