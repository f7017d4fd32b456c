"""What the live page shows, gathered on the live thread from a watched run's own records.

LiveFeed keeps a bounded window of the run: every lane, the last MAX_SPANS spans and the last
HISTORY_S of samples. The server (live.server) calls sample() every SAMPLE_S and tick() every
TICK_S, sends each browser a snapshot() when it connects and then every tick, and at the end
finish()'s event. Times are seconds since the run began, as in timeline.jsonl and report.html.
Every method runs on the live thread; of the run, it only reads what the live package's
docstring lists. The feed also says what the live thread itself has cost: its CPU seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from config import STAGES, RunConfig
from live.sampling import CpuMeter, LagProbe
from measure.interpreter import describe, gil_enabled, interpreter
from runfolder.summary import COUNT_KEYS
from runfolder.timeline import LaneRow, SpanRow, Tap, Timeline
from stats import Stats

SAMPLE_S = 0.05  # queue depths and loop lag: often enough to see a queue fill and drain
TICK_S = 0.25  # what the page gets: several updates a second
CPU_S = 0.5  # CPU, the GIL and a cluster's dashboard: each reading lists our processes
MAX_SPANS = 20_000  # the spans a browser that connects late gets (and the Tap's bound)
HISTORY_S = 120.0  # the samples it gets, and what the page keeps
RATE_WINDOW_S = 1.0  # items/s: over the last second
NO_DASHBOARD = "no dashboard"


class Run(Protocol):
    """What the live view reads of a run (pipeline.Pipeline, stage_alone.StageAlone): its
    configuration, its Stats (by snapshot), its Timeline (through a Tap), its bounded queues
    by the stage each feeds (their depth) and its pool stages' executors (a dashboard)."""

    config: RunConfig
    stats: Stats
    timeline: Timeline | None
    queues: dict[str, asyncio.Queue[Any]]
    executors: dict[str, Executor]


@dataclass
class Watched:
    """A run being watched, and the live thread's ways of reading it."""

    run: Run
    tap: Tap | None
    probe: LagProbe
    attached: float  # time.monotonic() when the watch began: the clock without a timeline

    def clock(self) -> float:
        """Seconds since the run began (its timeline's start, once the run has begun)."""
        timeline = self.run.timeline
        return time.monotonic() - (timeline.started if timeline is not None else self.attached)


class LiveFeed:
    """The run as the live page sees it: a bounded window, and what changed since the last
    tick."""

    def __init__(self) -> None:
        self.watched: Watched | None = None
        self.end: dict[str, Any] | None = None
        self._cpu = CpuMeter()
        self._next_cpu = 0.0
        self._info: dict[str, Any] | None = None
        self._values: dict[str, Any] = {}  # the run's Stats at the last tick
        self._lanes: dict[tuple[str, int], list[Any]] = {}  # [stage, lane, label, kind, n, busy]
        self._workers: dict[int, str] = {}  # a worker process's pid: its stage
        self._spans: deque[list[Any]] = deque(maxlen=MAX_SPANS)
        self._samples: deque[list[Any]] = deque(maxlen=round(HISTORY_S / SAMPLE_S))
        self._rates: deque[list[Any]] = deque(maxlen=round(HISTORY_S / TICK_S))
        self._cpu_samples: deque[list[Any]] = deque(maxlen=round(HISTORY_S / CPU_S))
        self._counted: deque[tuple[float, dict[str, int]]] = deque()
        self._fresh: dict[str, list[Any]] = _nothing_fresh()
        self._fresh_lanes: set[tuple[str, int]] = set()
        self._info_changed = False
        self._seen = interpreter()  # read once: every library's version each tick would cost

    def attach(self, run: Run, tap: Tap | None, loop: asyncio.AbstractEventLoop) -> None:
        """Start watching run, whose event loop is loop and whose Timeline feeds tap."""
        self.watched = Watched(run, tap, LagProbe(loop), time.monotonic())
        self._values = run.stats.snapshot()
        self._info = self._describe()
        self._info_changed = True

    @property
    def status(self) -> str:
        """waiting (for the run), running, finishing (summary and report) or finished."""
        if self.end is not None:
            return "finished"
        if self.watched is None:
            return "waiting"
        return "finishing" if "wall_s" in self._values else "running"

    def sample(self) -> None:
        """Note each bounded queue's depth and the run's loop lag now."""
        watched = self.watched
        if watched is None or self.end is not None:
            return
        if watched.run.stats.get("wall_s", None) is not None:
            watched.probe.stop()  # the measured window is over: the run's loop soon closes
        lag = watched.probe.read()
        queues = list(watched.run.queues.items())
        if len(queues) != len(self._info["queues"]):  # a stage alone makes its queue later
            self._info["queues"] = [{"name": name, "max": queue.maxsize} for name, queue in queues]
            self._info_changed = True
        depths = [queue.qsize() for _, queue in queues]
        row = [round(watched.clock(), 3), None if lag is None else round(lag, 1), depths]
        self._samples.append(row)
        self._fresh["samples"].append(row)

    def tick(self) -> dict[str, Any] | None:
        """What changed since the last tick (None while no run is watched)."""
        watched = self.watched
        if watched is None:
            return None
        now = watched.clock()
        self._values = watched.run.stats.snapshot()
        if watched.tap is not None:
            self._take(*watched.tap.take())
        self._count_rates(now)
        if time.monotonic() >= self._next_cpu:
            self._next_cpu = time.monotonic() + CPU_S
            self._read_machine(now)
        tick = {**self._state(now), **self._fresh}
        tick["lanes"] = [_lane_out(self._lanes[key]) for key in sorted(self._fresh_lanes)]
        if self._info_changed:
            tick["run"] = self._info
        self._fresh, self._fresh_lanes, self._info_changed = _nothing_fresh(), set(), False
        return tick

    def snapshot(self) -> dict[str, Any]:
        """Everything the window holds: what a browser that connects gets first."""
        now = self.watched.clock() if self.watched is not None else 0.0
        return {
            **self._state(now),
            "run": self._info,
            "history_s": HISTORY_S,
            "lanes": [_lane_out(lane) for lane in self._lanes.values()],
            "spans": list(self._spans),
            "samples": list(self._samples),
            "rates": list(self._rates),
            "cpu": list(self._cpu_samples),
            "end": self.end,
        }

    def finish(self, summary: str | None, report: str | None) -> dict[str, Any]:
        """The end: the summary as the terminal shows it (None: the run stopped without one),
        report.html's path and the live thread's CPU seconds; no sampling after it."""
        if self.watched is not None:
            self.watched.probe.stop()
        self.end = {"summary": summary, "report": report, "live_cpu_s": _own_cpu_s()}
        return self.end

    def _state(self, now: float) -> dict[str, Any]:
        """The numbers every tick carries whole: they are small."""
        values = self._values
        counts = {key: values.get(key, 0) for key in COUNT_KEYS}
        counts["errors"] = sum(v for k, v in values.items() if k.startswith("errors/"))
        return {
            "now": round(now, 3),
            "status": self.status,
            "stages": _stages(values),
            "counts": counts,
            "live_cpu_s": _own_cpu_s(),
        }

    def _take(self, lanes: list[LaneRow], spans: list[SpanRow]) -> None:
        """Add the lanes and spans the run's Timeline recorded since the last take."""
        for row in lanes:
            self._lanes[row.stage, row.lane] = [row.stage, row.lane, row.label, row.kind, 0, 0.0]
            self._fresh_lanes.add((row.stage, row.lane))
            if row.kind == "process" and isinstance(row.worker, int):
                self._workers[row.worker] = row.stage
        for span in spans:
            lane = self._lanes.get((span.stage, span.lane))
            if lane is not None:
                lane[4] += 1
                lane[5] += span.end - span.start
                self._fresh_lanes.add((span.stage, span.lane))
            row = [span.stage, span.lane, round(span.start, 4), round(span.end, 4), span.ok]
            self._spans.append(row)
            self._fresh["spans"].append(row)

    def _count_rates(self, now: float) -> None:
        """Each stage's items per second over the last RATE_WINDOW_S."""
        items = {name: row["items"] for name, row in _stages(self._values).items()}
        self._counted.append((now, items))
        while len(self._counted) > 2 and self._counted[1][0] <= now - RATE_WINDOW_S:
            self._counted.popleft()
        then, before = self._counted[0]
        span = now - then
        rates = {
            name: round((count - before.get(name, 0)) / span, 1) if span > 0 else 0.0
            for name, count in items.items()
        }
        row = [round(now, 3), rates]
        self._rates.append(row)
        self._fresh["rates"].append(row)

    def _read_machine(self, now: float) -> None:
        """CPU of each core and each of our processes; the GIL and a cluster's dashboard."""
        processes = [
            [pid, self._process_label(pid), share]
            for pid, share in sorted(self._cpu.processes().items())
        ]
        row = [round(now, 3), self._cpu.cores(), processes]
        self._cpu_samples.append(row)
        self._fresh["cpu"].append(row)
        shown = (self._interpreter(), self._info["dashboard"] or _dashboard(self.watched.run))
        if shown != (self._info["interpreter"], self._info["dashboard"]):
            self._info["interpreter"], self._info["dashboard"] = shown
            self._info_changed = True

    def _interpreter(self) -> str:
        """'Python 3.13.5t, GIL off' now (the GIL can come back on when a module is imported)."""
        return describe(replace(self._seen, gil_enabled=gil_enabled()))

    def _process_label(self, pid: int) -> str:
        if pid == self._cpu.pid:
            return f"this process {pid}"
        stage = self._workers.get(pid)
        return f"{stage} worker {pid}" if stage else f"process {pid}"

    def _describe(self) -> dict[str, Any]:
        """What the page says about the run: its title, stages, queues, interpreter."""
        run, values = self.watched.run, self._values
        stages = {}
        for name in STAGES:
            key = f"stage/{name}/"
            if key + "model" in values:
                stages[name] = {"model": values[key + "model"], "workers": values[key + "workers"]}
        alone = len(stages) < len(STAGES)
        title = f"{', '.join(stages)} alone" if alone else f"crawl of {run.config.start_url}"
        return {
            "title": title,
            "run_dir": str(run.config.run_dir),
            "stages": stages,
            "queues": [{"name": name, "max": queue.maxsize} for name, queue in run.queues.items()],
            "timeline": run.timeline is not None,
            "interpreter": self._interpreter(),
            "dashboard": None,
        }


def _nothing_fresh() -> dict[str, list[Any]]:
    return {"spans": [], "samples": [], "rates": [], "cpu": []}


def _lane_out(lane: list[Any]) -> list[Any]:
    stage, number, label, kind, spans, busy = lane
    return [stage, number, label, kind, spans, round(busy, 4)]


def _stages(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each stage's numbers so far from a Stats snapshot; start and end in seconds since the
    run began (None: not yet)."""
    started = values.get("started")
    rows = {}
    for name in STAGES:
        key = f"stage/{name}/"
        if key + "model" in values:
            rows[name] = {
                "items": values.get(key + "items", 0),
                "errors": values.get(key + "errors", 0),
                "busy": round(values.get(key + "busy_s", 0.0), 3),
                "start": _since(values.get(key + "started"), started),
                "end": _since(values.get(key + "finished"), started),
            }
    return rows


def _since(moment: float | None, started: float | None) -> float | None:
    return None if moment is None or started is None else round(moment - started, 3)


def _own_cpu_s() -> float:
    """CPU seconds this thread (the live one: every LiveFeed method runs there) has used."""
    return round(time.thread_time(), 3)


def _dashboard(run: Run) -> str | None:
    """The address of the dashboard of the cluster a stage runs on, NO_DASHBOARD when its
    cluster has none, None when no stage runs on a cluster (or not yet)."""
    for executor in list(run.executors.values()):
        if hasattr(type(executor), "dashboard"):
            return executor.dashboard or NO_DASHBOARD
    return None
