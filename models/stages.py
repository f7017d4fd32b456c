"""One stage of the pipeline: items in from a bounded queue, work on an Executor, results out.

The write and resize stages run through run_stage on every model, so a stage's logic exists
once and the model is only the Executor it is handed. The crawl has a worker loop of its
own (crawler.crawl says why) but counts into a StageMeter the same way. Closing the output
is the caller's `finally`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass
from typing import Any, Final

from runfolder.timeline import Timeline
from spans import HOST, Span, call_timed
from stats import Stats

LOGGER = logging.getLogger(__name__)
END: Final = None  # the end-of-stream marker a stage puts on its output queue


async def close_queue(queue: asyncio.Queue[Any]) -> None:
    """Tell the next stage no more items are coming, unless the whole run is being torn down
    (then nobody reads the queue, and waiting for room in it would hang)."""
    task = asyncio.current_task()
    if task is None or not task.cancelling():
        await queue.put(END)


class StageMeter:
    """Counts what one stage did into the run's Stats (under stage/<name>/) and draws each
    item's span on the timeline. Used only on the event-loop thread."""

    def __init__(
        self, name: str, model: str, workers: int, stats: Stats, timeline: Timeline | None = None
    ) -> None:
        self.name = name
        self.model = model
        self.workers = workers
        self._stats = stats
        self._timeline = timeline  # None: count, but draw no timeline
        self._key = f"stage/{name}/"
        stats.set(self._key + "model", model)
        stats.set(self._key + "workers", workers)

    def start(self, now: float) -> None:
        """Note that an item started at now (perf_counter): the stage's start is the first."""
        self._stats.min(self._key + "started", now)

    def add(self, span: Span | None, failed: bool) -> None:
        """Count one finished item and the span a worker spent on it (None: no worker)."""
        self._stats.inc(self._key + "items")
        self._stats.inc(self._key + "errors", failed)
        self._stats.max(self._key + "finished", time.perf_counter())
        if span is not None:
            self._stats.inc(self._key + "busy_s", span.busy_s)
            # Where the workers themselves started and ended (one clock for every process):
            # the stage's work without the wait for a worker to start.
            self._stats.min(self._key + "first_start", span.start)
            self._stats.max(self._key + "last_end", span.end)
            if self._timeline is not None:
                self._timeline.add(self.name, span, not failed)

    def value(self, name: str) -> float:
        """One of the stage's numbers: items, errors, busy_s, started, finished, first_start
        or last_end."""
        return self._stats.get(self._key + name, 0)


@dataclass(frozen=True)
class StageWork:
    """What a stage does with each item: work runs on the model's Executor (so it must
    pickle), emit passes its result on, fail turns an exception into the item's record.

    For workers that cannot read our disk (a cluster's), send turns the item into what
    travels to the worker, and receive lands what came back; both run here, in a thread,
    so the event loop never waits on the disk."""

    work: Callable[[Any], Any]
    emit: Callable[[Any], Awaitable[None]]
    fail: Callable[[Any, BaseException], Any]
    send: Callable[[Any], Any] | None = None
    receive: Callable[[Any, Any], Any] | None = None


def in_flight(workers: int) -> int:
    """Items handed to a pool at once: two per worker, so no worker waits for its next."""
    return 2 * workers


async def run_stage(
    stage: StageWork, inbox: asyncio.Queue[Any], executor: Executor, meter: StageMeter
) -> None:
    """Feed each inbox item to stage.work on executor until END, in_flight(workers) at once."""

    retrying = asyncio.Lock()  # one retry at a time: a poisonous item kills only itself

    async def worker() -> None:
        while (item := await inbox.get()) is not END:
            meter.start(time.perf_counter())
            await stage.emit(await _run_one(stage, item, executor, meter, retrying))
        inbox.put_nowait(END)  # pass the marker on to the sibling workers

    async with asyncio.TaskGroup() as workers:  # one dies: the others are cancelled
        for _ in range(in_flight(meter.workers)):
            workers.create_task(worker())


async def _run_one(
    stage: StageWork, item: Any, executor: Executor, meter: StageMeter, retrying: asyncio.Lock
) -> Any:
    """Run one item; an exception the work did not expect becomes a failure record."""
    try:
        payload = await asyncio.to_thread(stage.send, item) if stage.send else item
        sent = time.monotonic()
        try:
            future = executor.submit(call_timed, stage.work, payload)
            result, span = await asyncio.wrap_future(future)
        except BrokenExecutor:
            # A worker died (killed, or crashed in C code), taking this item with it, or
            # it was merely in the same pool: try once more on a fresh pool.
            LOGGER.warning("a worker died while handling %s: retrying once", _describe(item))
            async with retrying:
                future = executor.submit(call_timed, stage.work, payload)
                result, span = await asyncio.wrap_future(future)
        if span.host != HOST:  # its clock is not ours: draw the round trip seen from here
            span = span._replace(start=sent, end=time.monotonic())
        if stage.receive:
            result = await asyncio.to_thread(stage.receive, item, result)
    except Exception as exc:
        LOGGER.error("stage work failed on %r", _describe(item), exc_info=exc)
        meter.add(None, failed=True)
        return stage.fail(item, exc)
    meter.add(span, failed=getattr(result, "error", None) is not None)
    return result


def _describe(item: Any) -> str:
    return getattr(item, "url", repr(item)[:200])
