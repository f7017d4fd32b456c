"""Record every stage's spans into the run folder's timeline.jsonl, one lane per worker.

Data flow: a worker measures a Span (spans.call_timed) and it comes back with the result;
on the loop thread StageMeter hands it here; Timeline names the worker's lane (a task slot,
the event-loop thread, a thread, a process) and appends one line, so memory stays flat
however long the run. summary.json later gets the lanes (describe()), and report.html
draws them. While the run goes, watch() also hands each new lane and span to a reader on
another thread (the live view) through a Tap.

Line format: {"stage", "lane", "start", "end", "ok"}, times in seconds since the run began.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

from spans import HOST, Span

TIMELINE_FILE = "timeline.jsonl"


@dataclass(frozen=True)
class Lane:
    """summary.json's name for a worker: its lane number within its stage, label and kind."""

    lane: int
    label: str
    kind: str  # task, loop, thread or process


@dataclass(frozen=True)
class TimelineInfo:
    """summary.json's "timeline": the file, its span count and each stage's lanes."""

    file: str
    spans: int
    lanes: dict[str, tuple[Lane, ...]]


class LaneRow(NamedTuple):
    """A worker's lane as a Tap hands it on: which worker (its kind and id) and its name."""

    stage: str
    lane: int
    label: str
    kind: str
    worker: int | str  # a task slot, a thread ident, or a pid ("pid on host" elsewhere)


class SpanRow(NamedTuple):
    """A span as a Tap hands it on: a lane's busy time, seconds since the run began."""

    stage: str
    lane: int
    start: float
    end: float
    ok: bool


class Tap(NamedTuple):
    """What a Timeline hands a reader on another thread: every new lane, and the latest spans
    (at most the spans deque's maxlen: a reader that falls behind loses the oldest). The
    loop's thread appends, the reader takes(): deque's append and popleft are atomic, so the
    two threads share no lock."""

    lanes: deque[LaneRow]
    spans: deque[SpanRow]

    def take(self) -> tuple[list[LaneRow], list[SpanRow]]:
        """The lanes and spans added since the last take, oldest first."""
        return _drain(self.lanes), _drain(self.spans)


def _drain(rows: deque[Any]) -> list[Any]:
    taken = []
    while True:
        try:
            taken.append(rows.popleft())
        except IndexError:
            return taken


class Timeline:
    """Appends spans to timeline.jsonl and numbers each stage's workers as lanes."""

    def __init__(self, run_dir: Path) -> None:
        self.started = time.monotonic()
        self._file: IO[str] | None = open(run_dir / TIMELINE_FILE, "w", encoding="utf-8")  # noqa: SIM115  closed in close()
        self._pid = os.getpid()
        self._loop_thread = threading.get_ident()
        self._lanes: dict[str, dict[tuple[str, int | str], Lane]] = {}
        self.spans = 0
        self._tap: Tap | None = None

    def begin(self) -> None:
        """Start the clock on the loop thread: span times count from the run's start, and
        work on this thread is the event loop's."""
        self.started = time.monotonic()
        self._loop_thread = threading.get_ident()

    def add(self, stage: str, span: Span, ok: bool) -> None:
        """Record that span's worker was busy on one item of stage."""
        lane = self._lane(stage, span)
        start, end = span.start - self.started, span.end - self.started
        self.spans += 1
        if self._file is not None:
            self._file.write(
                f'{{"stage":"{stage}","lane":{lane},"start":{start:.6f},"end":{end:.6f},'
                f'"ok":{"true" if ok else "false"}}}\n'
            )
        if self._tap is not None:
            self._tap.spans.append(SpanRow(stage, lane, start, end, ok))

    def watch(self, max_spans: int) -> Tap:
        """A Tap that gets every lane (those already known first) and the latest max_spans
        spans from now on; call it on the loop's thread, before the run."""
        tap = Tap(deque(), deque(maxlen=max_spans))
        for stage, by_worker in self._lanes.items():
            tap.lanes.extend(_lane_row(stage, key, lane) for key, lane in by_worker.items())
        self._tap = tap
        return tap

    def close(self) -> None:
        """Flush and close the file (a full disk loses the timeline, never the run)."""
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()

    def describe(self) -> TimelineInfo:
        """summary.json's "timeline"."""
        lanes = {stage: tuple(by_worker.values()) for stage, by_worker in self._lanes.items()}
        return TimelineInfo(TIMELINE_FILE, self.spans, lanes)

    def _lane(self, stage: str, span: Span) -> int:
        lanes = self._lanes.setdefault(stage, {})
        key = self._worker(span)
        if key not in lanes:
            lanes[key] = Lane(len(lanes), _label(key, lanes), key[0])
            if self._tap is not None:
                self._tap.lanes.append(_lane_row(stage, key, lanes[key]))
        return lanes[key].lane

    def _worker(self, span: Span) -> tuple[str, int | str]:
        """Which worker made span: its kind and its id."""
        if span.slot is not None:
            return "task", span.slot
        if span.host != HOST:
            return "process", f"{span.pid} on {span.host}"
        if span.pid != self._pid:
            return "process", span.pid
        if span.thread == self._loop_thread:
            return "loop", 0
        return "thread", span.thread


def _lane_row(stage: str, key: tuple[str, int | str], lane: Lane) -> LaneRow:
    return LaneRow(stage, lane.lane, lane.label, key[0], key[1])


def _label(key: tuple[str, int | str], lanes: dict[tuple[str, int | str], Lane]) -> str:
    kind, ident = key
    if kind == "thread":  # thread idents are long and meaningless: number them instead
        return f"thread {1 + sum(lane.kind == 'thread' for lane in lanes.values())}"
    return {"task": f"task slot {ident}", "process": f"process {ident}"}.get(
        kind, "event-loop thread"
    )
