"""What a check reads from its experiment's measurements: a ratio of two alternatives, or
one alternative's own value, repeat by repeat, with the conditions each repeat ran under.

A Measure names its experiment and the alternatives it compares, so the caller knows which
experiment to repeat when a check needs more repeats, and which rounds' conditions it rests
on. Ratios are paired repeat by repeat (measure.repeats.paired_ratios): round i of A
against round i of B, measured side by side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claims.lab import Measurement, Series
from measure.repeats import paired_ratios
from runfolder.timeline import TIMELINE_FILE


def the_stage(run: Measurement) -> dict[str, Any]:
    """The summary row of the one stage a stage-alone run ran."""
    return next(iter(run["stages"].values()))


def peak_in_flight(run: Measurement) -> float:
    """The most spans of a run's timeline that overlapped in time: requests in flight."""
    events = []
    with (Path(run["run_dir"]) / TIMELINE_FILE).open(encoding="utf-8") as lines:
        for span in map(json.loads, lines):
            events += [(span["start"], 1), (span["end"], -1)]
    peak = current = 0
    for _, step in sorted(events):  # at a tie, an end (-1) comes before a start
        current += step
        peak = max(peak, current)
    return float(peak)


def _overlapped(run: Measurement) -> float:
    """1.0 when each worker of the run started before the other ended, else 0.0."""
    spans = run["spans"]
    return float(max(start for start, _ in spans) < min(end for _, end in spans))


def _stage_rate(run: Measurement) -> float:
    stage = the_stage(run)
    return stage["items"] / max(stage["wall_s"], 1e-9)


# What one measurement says, by name.
METRICS: dict[str, Callable[[Measurement], float]] = {
    "wall_s": lambda run: run["wall_s"],
    # A worker beginning the first item to one finishing the last: a pool's start-up
    # (claim 6's cost, measured apart) is left out.
    "work_s": lambda run: the_stage(run)["work_s"],
    "fetch_rate": _stage_rate,
    "cpu_per_fetch": lambda run: run["cpu_s"] / the_stage(run)["items"],
    "round_trips_per_s": lambda run: run["round_trips_per_s"],
    "per_item_s": lambda run: run["per_item_s"],
    "startup_s": lambda run: run["startup_s"],
    "lag_max_ms": lambda run: run["lag_max_ms"],
    "time_per_one": lambda run: run["wall_s"] / run["one_s"],
    "overlapped": _overlapped,
    "in_flight": peak_in_flight,
}


@dataclass(frozen=True)
class Ratio:
    """metric of alternative top / metric of alternative bottom, repeat by repeat. Across
    interpreters, bottom is read from the reference lab's series (the GIL on) instead."""

    experiment: str
    top: str
    bottom: str
    metric: str
    across: bool = False

    def values(self, series: Series, reference: Series | None = None) -> list[float]:
        """The ratio in each repeat."""
        read = METRICS[self.metric]
        pairs = self._pairs(series, reference)
        return paired_ratios([read(top) for top, _ in pairs], [read(bottom) for _, bottom in pairs])

    def conditions(self, series: Series, reference: Series | None = None) -> list[list[dict]]:
        """The conditions of each repeat's measurements."""
        return [
            [top["conditions"], bottom["conditions"]]
            for top, bottom in self._pairs(series, reference)
        ]

    def _pairs(
        self, series: Series, reference: Series | None
    ) -> list[tuple[Measurement, Measurement]]:
        """(top, bottom) measurements of each repeat (as many as both sides have)."""
        bottoms = (reference if self.across and reference else series)[self.bottom]
        return list(zip(series[self.top], bottoms, strict=False))  # across labs, counts differ

    def pinned(self, series: Series) -> bool:
        """Whether every measurement that could pin its workers did."""
        runs = [*series[self.top], *series.get(self.bottom, [])]
        return all(run.get("pinned", True) for run in runs)


@dataclass(frozen=True)
class Each:
    """One alternative's own metric, repeat by repeat."""

    experiment: str
    alternative: str
    metric: str

    def values(self, series: Series, reference: Series | None = None) -> list[float]:
        """The metric in each repeat."""
        return [METRICS[self.metric](run) for run in series[self.alternative]]

    def conditions(self, series: Series, reference: Series | None = None) -> list[list[dict]]:
        """The conditions of each repeat's measurement."""
        return [[run["conditions"]] for run in series[self.alternative]]

    def pinned(self, series: Series) -> bool:
        """Whether every measurement that could pin its workers did."""
        return all(run.get("pinned", True) for run in series[self.alternative])


Measure = Ratio | Each
