"""Read a run's timeline.jsonl into the lanes the report draws, merged so the page stays small.

Every span lands on a grid of `resolution` steps across the run: spans of one lane that touch
on that grid become one bar. Memory is one lane's bars at most `resolution` long however many
spans the file holds, and the file is read one line at a time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import STAGES
from report.page import number, read_rows, stage_names
from runfolder.summary import StageRow, Summary
from runfolder.timeline import TIMELINE_FILE, Lane

RUN_RESOLUTION = 20_000  # grid steps across the run: finer than any screen is wide
COMPARE_RESOLUTION = 3_000  # compare embeds many runs: coarser, still finer than the page


@dataclass
class DrawnLane:
    """One worker's busy time: bars as flat [start, end, start, end, ...] grid steps."""

    lane: int
    label: str
    kind: str
    bars: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    spans: int = 0
    busy_s: float = 0.0
    in_order: bool = True

    def add(self, start: int, end: int, ok: bool, busy_s: float) -> None:
        """Record one span, already on the grid."""
        self.spans += 1
        self.busy_s += busy_s
        self.in_order &= _extend(self.bars, start, end)
        if not ok:
            self.in_order &= _extend(self.failed, start, end)

    def as_data(self) -> dict[str, Any]:
        """The lane as the page's script reads it."""
        bars, failed = self.bars, self.failed
        if not self.in_order:
            bars, failed = _merged(bars), _merged(failed)
        return {
            "lane": self.lane,
            "label": self.label,
            "kind": self.kind,
            "bars": bars,
            "failed": failed,
            "spans": self.spans,
            "busy": round(self.busy_s, 6),
        }


def _extend(bars: list[int], start: int, end: int) -> bool:
    """Append [start, end] to bars, merged into the last bar if they touch; False when the
    span starts before the last bar (out of order: sorted and merged at the end instead)."""
    if bars and start < bars[-2]:
        bars += (start, end)
        return False
    if bars and start <= bars[-1] + 1:
        bars[-1] = max(bars[-1], end)
    else:
        bars += (start, end)
    return True


def _merged(bars: list[int]) -> list[int]:
    """bars sorted by start, touching ones merged."""
    out: list[int] = []
    for start, end in sorted(zip(bars[::2], bars[1::2], strict=True)):
        _extend(out, start, end)
    return out


def read_timeline(
    run_dir: Path, summary: Summary | None, resolution: int = RUN_RESOLUTION
) -> dict[str, Any] | None:
    """The run's timeline as JSON-ready data for the page, or None if it has none (a run
    without a summary, one that did not finish, still shows the spans it wrote)."""
    info = summary and summary.timeline
    # Only a file name is taken from the summary: never a path out of the run folder.
    path = run_dir / Path(info.file if info else TIMELINE_FILE).name
    if not path.is_file():
        return None
    wall_s = max(summary.wall_s if summary else 0.0, 1e-3)
    unit = wall_s / resolution
    stages = summary.stages if summary else {}
    lanes = _declared_lanes(info.lanes if info else {}, list(stages) or list(STAGES))
    end_s = wall_s
    for stage, lane_id, start, end, ok in _spans(path):
        lane = lanes.setdefault(stage, {}).get(lane_id)
        if lane is None:  # a span on a lane summary.json does not name: still show it
            lane = lanes[stage][lane_id] = DrawnLane(lane_id, f"lane {lane_id}", "unknown")
        lane.add(math.floor(start / unit), math.ceil(end / unit), ok, end - start)
        end_s = max(end_s, end)
    return {
        "unit": unit,
        "duration": end_s,
        "stages": [_stage_data(name, lanes[name], stages.get(name)) for name in stage_names(lanes)],
    }


def _declared_lanes(
    declared: dict[str, tuple[Lane, ...]], ran: list[str]
) -> dict[str, dict[int, DrawnLane]]:
    """summary.json's lanes by stage and lane number (every worker, even one without spans),
    with a row for every stage that ran (a stage alone: only its own)."""
    lanes: dict[str, dict[int, DrawnLane]] = {name: {} for name in ran}
    for stage, entries in declared.items():
        for entry in entries:
            lanes.setdefault(stage, {})[entry.lane] = DrawnLane(entry.lane, entry.label, entry.kind)
    return lanes


def _spans(path: Path) -> Any:
    """(stage, lane, start, end, ok) of each well-formed line of timeline.jsonl."""
    for row in read_rows(path):
        start, end, lane = row.get("start"), row.get("end"), row.get("lane")
        if not isinstance(lane, int) or isinstance(lane, bool):
            continue
        start, end = number(start, -1.0), number(end, -1.0)
        if start < 0 or end < start:
            continue
        yield str(row.get("stage")), lane, start, end, row.get("ok") is not False


def _stage_data(name: str, lanes: dict[int, DrawnLane], row: StageRow | None) -> dict[str, Any]:
    """One stage's header facts and its lanes, in a natural order (slot 2 before slot 10)."""
    ordered = sorted(lanes.values(), key=lambda lane: _natural(lane.label))
    spans = [lane.as_data() for lane in ordered]
    return {
        "stage": name,
        "model": row.model if row else "",
        "workers": row.workers if row else 0,
        "start": row.start_s if row else 0.0,
        "end": row.end_s if row else 0.0,
        "spans": sum(lane.spans for lane in ordered),
        "lanes": spans,
    }


def _natural(label: str) -> tuple[Any, ...]:
    """Sort key that orders the numbers inside labels by value."""
    parts = re.split(r"(\d+)", label)
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts)
