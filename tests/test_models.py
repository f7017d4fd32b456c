"""The model registry: every model runs the same stage code to the same results, each on
the threads or processes its name promises."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import NamedTuple

import psutil
import pytest

from errors import ErrorInfo, ErrorKind
from models.pools import RenewingProcessPool
from models.registry import MODELS, Model
from models.stages import END, StageMeter, StageWork, run_stage
from runfolder.timeline import TIMELINE_FILE, Timeline
from spans import span_since
from stats import Stats
from tests.conftest import marked, marked_environment


class Where(NamedTuple):
    item: int
    square: int
    pid: int
    thread: int
    started: float
    ended: float


def square_where(item: int, sleep_s: float = 0.01) -> Where:
    """Stage work for the tests: picklable, slow enough to overlap, says where it ran."""
    started = time.perf_counter()
    if item == 13:
        raise ValueError("unlucky item")
    time.sleep(sleep_s)
    return Where(
        item, item * item, os.getpid(), threading.get_ident(), started, time.perf_counter()
    )


def square_or_die(item: int) -> Where:
    """Like square_where, but item 7 kills the worker process running it."""
    if item == 7:
        os._exit(1)
    return square_where(item)


def run_items(
    model_name: str,
    items: list[int],
    workers: int = 3,
    work=square_where,
    timeline: Timeline | None = None,
) -> tuple[list, StageMeter]:
    """Push items through run_stage on the named model; return results and the meter."""
    model = MODELS[model_name]
    meter = StageMeter("test", model_name, model.workers(workers), Stats(), timeline)
    results: list = []

    async def main() -> None:
        inbox: asyncio.Queue = asyncio.Queue(4)

        async def emit(result: Where | str) -> None:
            results.append(result)

        async def feed() -> None:
            for item in items:
                await inbox.put(item)
            await inbox.put(END)

        with model.make_executor(meter.workers, None) as executor:
            await asyncio.gather(
                feed(),
                run_stage(
                    StageWork(work, emit, lambda item, exc: f"failed {item}"),
                    inbox,
                    executor,
                    meter,
                ),
            )
        results.append(threading.get_ident())  # the loop's own thread, last

    asyncio.run(main())
    return results, meter


def test_every_model_gives_the_same_results(model: str) -> None:
    results, meter = run_items(model, list(range(12)))
    results.pop()
    assert sorted(r.square for r in results) == [i * i for i in range(12)]
    assert meter.value("items") == 12 and meter.value("errors") == 0


def test_a_failing_item_is_recorded_and_the_stage_goes_on(model: str) -> None:
    results, meter = run_items(model, [12, 13, 14])
    results.pop()
    assert "failed 13" in results
    assert sorted(r.item for r in results if isinstance(r, Where)) == [12, 14]
    assert meter.value("errors") == 1


def overlaps(results: list[Where]) -> bool:
    spans = sorted((r.started, r.ended) for r in results)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


@pytest.mark.parametrize(
    ("model", "in_main_process", "on_loop_thread", "concurrent"),
    [
        ("asyncio", True, True, False),
        ("sequential", True, False, False),
        ("threads", True, False, True),
        ("processes", False, False, True),
    ],
)
def test_each_model_runs_where_its_name_says(
    model: str, in_main_process: bool, on_loop_thread: bool, concurrent: bool
) -> None:
    # Long enough items that every pool worker has started (spawn is slow) before they end.
    results, _ = run_items(model, list(range(9)), work=partial(square_where, sleep_s=0.3))
    loop_thread = results.pop()
    assert all((r.pid == os.getpid()) == in_main_process for r in results)
    assert all((r.thread == loop_thread) == on_loop_thread for r in results)
    if in_main_process:
        assert overlaps(results) == concurrent
    else:
        assert len({r.pid for r in results}) > 1


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("asyncio", "loop"),
        ("sequential", "thread"),
        ("threads", "thread"),
        ("processes", "process"),
    ],
)
def test_the_timeline_draws_one_lane_per_worker_that_did_the_work(
    model: str, kind: str, tmp_path: Path
) -> None:
    timeline = Timeline(tmp_path)
    timeline.begin()
    results, _ = run_items(
        model, list(range(9)), work=partial(square_where, sleep_s=0.3), timeline=timeline
    )
    results.pop()
    timeline.close()
    lanes = timeline.describe().lanes["test"]
    assert {lane.kind for lane in lanes} == {kind}
    assert len(lanes) == len({(r.pid, r.thread) for r in results})
    if kind == "process":
        assert {lane.label for lane in lanes} == {f"process {r.pid}" for r in results}
    spans = [json.loads(line) for line in (tmp_path / TIMELINE_FILE).read_text().splitlines()]
    assert len(spans) == 9 == timeline.describe().spans
    assert {span["lane"] for span in spans} == {lane.lane for lane in lanes}
    assert all(0 <= span["start"] < span["end"] and span["ok"] for span in spans)


def test_a_watched_timeline_hands_on_every_lane_and_only_its_latest_spans(tmp_path: Path) -> None:
    timeline = Timeline(tmp_path)
    timeline.begin()
    timeline.add("write", span_since(time.monotonic())._replace(thread=1), ok=True)
    tap = timeline.watch(max_spans=3)  # a reader that comes late gets the lane already made
    for thread in (1, 2, 2, 3, 3):
        span = span_since(time.monotonic())._replace(thread=thread)
        timeline.add("write", span, ok=thread != 3)
    lanes, spans = tap.take()
    timeline.close()
    assert [(lane.lane, lane.label, lane.worker) for lane in lanes] == [
        (0, "thread 1", 1),
        (1, "thread 2", 2),
        (2, "thread 3", 3),
    ]
    assert [(span.lane, span.ok) for span in spans] == [(1, True), (2, False), (2, False)]
    assert tap.take() == ([], [])
    assert timeline.describe().spans == 6  # the file still has every one


def test_sequential_uses_one_worker_whatever_is_asked() -> None:
    assert MODELS["sequential"].workers(8) == 1
    assert MODELS["threads"].workers(8) == 8


def test_a_killed_worker_process_costs_only_its_own_item() -> None:
    results, meter = run_items("processes", list(range(12)), work=square_or_die)
    results.pop()
    assert "failed 7" in results
    assert sorted(r.item for r in results if isinstance(r, Where)) == [
        i for i in range(12) if i != 7
    ]
    assert meter.value("errors") == 1


def test_a_dead_worker_is_its_own_error_kind() -> None:
    assert ErrorInfo.internal(BrokenProcessPool("gone")).kind == ErrorKind.WORKER_DIED
    assert ErrorInfo.internal(ValueError("bug")).kind == ErrorKind.INTERNAL


PARENT_SCRIPT = """
import os, sys, time
from models.registry import MODELS
pool = MODELS["processes"].make_executor(1, None)
print(pool.submit(os.getpid).result(), flush=True)
time.sleep(60)
"""


def test_pool_workers_die_with_a_killed_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    worker = psutil.Process(int(parent.stdout.readline()))
    parent.kill()
    parent.wait()
    worker.wait(timeout=5)  # raises psutil.TimeoutExpired if the orphan lives on
    assert not worker.is_running()


# The parent dies the instant its pool's workers are spawned, before any has started up.
PARENT_DYING_AT_ONCE = """
import os
from models.registry import MODELS
pool = MODELS["processes"].make_executor(2, None)
pool.submit(abs, -1)
pool.submit(abs, -2)
os._exit(0)
"""


def test_pool_workers_die_with_a_parent_killed_before_they_started_up() -> None:
    mark, env = marked_environment()
    try:
        subprocess.run(
            [sys.executable, "-c", PARENT_DYING_AT_ONCE],
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            check=True,
            timeout=30,
        )
        left = marked(mark)  # the workers, and the resource tracker they share
        _, alive = psutil.wait_procs(left, timeout=15)
        assert alive == []
    finally:
        for orphan in marked(mark):
            orphan.kill()


class RecordedPool(RenewingProcessPool):
    """The processes model's pool, noting which thread shut it down."""

    shut_down_on: int | None = None

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shut_down_on = threading.get_ident()
        super().shutdown(wait, cancel_futures=cancel_futures)


def test_an_executor_is_shut_down_off_the_event_loop() -> None:
    # A process pool's shutdown joins its workers: on the loop's thread, that stalled
    # every coroutine for 50 ms at the end of each run.
    model = Model("recorded", lambda workers, _scheduler: RecordedPool(workers))

    async def main() -> tuple[RecordedPool, int]:
        async with AsyncExitStack() as stack:
            pool = model.open_executor(2, None, stack)
            assert pool.submit(pow, 3, 2).result() == 9
        return pool, threading.get_ident()

    pool, loop_thread = asyncio.run(main())
    assert pool.shut_down_on not in (None, loop_thread)
    with pytest.raises(RuntimeError):  # and it really is shut down
        pool.submit(pow, 3, 2)


class CountedPool(RenewingProcessPool):
    """The processes model's pool, counting the process pools it made."""

    made = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        self.made += 1
        return super()._new_pool()


def test_a_broken_pool_is_replaced_once_however_many_threads_find_it_broken() -> None:
    pool = CountedPool(1)
    try:
        with pytest.raises(BrokenProcessPool):
            pool.submit(os._exit, 1).result()
        with ThreadPoolExecutor(4) as threads:  # as the asyncio crawl's large pages arrive
            squares = list(threads.map(lambda n: pool.submit(pow, n, 2).result(), range(8)))
        assert squares == [n * n for n in range(8)]
        assert pool.made == 2
    finally:
        pool.shutdown()
