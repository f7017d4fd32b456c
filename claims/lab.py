"""The claims' laboratory: every measurement in a fresh child process, side by side.

An experiment is a set of alternatives: a probe with its parameters (claims.probes), or one
stage alone on one model (stage_alone, as compare runs it). The lab runs each alternative
once per round, interleaved (A B C A B C) after the site and input are warm, each in a fresh
interpreter, and keeps every measurement, so that ratios can be paired round by round.

Each round runs inside a CpuWindow (measure.conditions), and every measurement of the round
carries what the machine gave it: the cores free while it ran and, when asked for, the
control (two processes of pure Python against one, run first in the round), which on two
free cores must scale whatever the interpreter.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claims.probes import run_probe
from compare.plan import RunPlan, input_url, prepare_input, run_plan
from config import WORKERS, RunConfig
from crawler.crawl import CrawlSettings
from measure.conditions import CpuWindow

Measurement = dict[str, Any]
Series = dict[str, list[Measurement]]
Alternatives = dict[str, Callable[[], Measurement]]


@dataclass(frozen=True)
class Sizes:
    """How much work each experiment does: FULL for `claims`, QUICK for `claims --quick`."""

    quick: bool
    repeats: int  # rounds of every experiment, and the fewest a check is judged on
    # Rounds at most, while a check is unsettled: from five, an odd repeat at each end is
    # set aside (measure.repeats.judged), so more rounds can settle it.
    max_repeats: int
    site_pages: int  # the local site: pages enough for concurrency to matter
    site_images: int  # and photos enough to resize
    spin_loops: int  # pure-Python work of one CPU-bound worker
    control_loops: int  # the control's pure-Python work, per process
    payload_bytes: int  # one item handed to a worker
    handoff_items: int
    round_trips: int
    sleep_s: float
    lag_loops: int  # pure-Python work that blocks, or not, the event loop
    slow_latency_ms: float  # a slow site: waiting dominates
    narrow: int  # requests in flight on the slow site, moderate and wide
    wide: int
    await_latency_ms: float
    await_pages: int
    await_concurrency: int
    fast_concurrency: int


FULL = Sizes(
    quick=False,
    repeats=3,
    max_repeats=6,
    site_pages=300,
    site_images=30,
    spin_loops=8_000_000,
    control_loops=3_000_000,
    payload_bytes=4_000_000,
    handoff_items=60,
    round_trips=20_000,
    sleep_s=0.2,
    lag_loops=2_000_000,
    slow_latency_ms=50,
    narrow=16,
    wide=256,
    await_latency_ms=20,
    await_pages=40,
    await_concurrency=16,
    fast_concurrency=16,
)
QUICK = Sizes(
    quick=True,
    repeats=2,  # a spread still, of two: the verdicts say they are quick
    max_repeats=3,  # one more round at most: a round set aside while the machine was busy
    site_pages=120,
    site_images=12,
    spin_loops=2_000_000,
    control_loops=2_000_000,
    payload_bytes=4_000_000,
    handoff_items=20,
    round_trips=5_000,
    sleep_s=0.05,
    lag_loops=1_000_000,
    slow_latency_ms=30,
    narrow=8,
    wide=64,
    await_latency_ms=20,
    await_pages=15,
    await_concurrency=8,
    fast_concurrency=8,
)


class Lab:
    """Runs experiments' alternatives interleaved, in fresh processes of one interpreter."""

    def __init__(
        self,
        sizes: Sizes,
        folder: Path,
        open_site: Any,
        python: str = "",
        inputs_from: Lab | None = None,
    ) -> None:
        self.sizes = sizes
        self.folder = folder
        self.open_site = open_site  # open_site(latency_ms): a context manager -> origin
        self.python = python or sys.executable
        self._runs = 0
        self._input: Path | None = None
        self._inputs_from = inputs_from  # a lab whose input to share: the same bytes

    def interleave(self, alternatives: Alternatives, rounds: int, control: bool) -> Series:
        """Each alternative once per round, in turn; every measurement, by name, with the
        round's conditions (and its control, when asked for)."""
        series: Series = {name: [] for name in alternatives}
        for _ in range(rounds):
            window = CpuWindow()
            controlled = self.control() if control else None
            measured = {name: measure() for name, measure in alternatives.items()}
            conditions = {**window.close().as_json(), "control": controlled}
            for name, measurement in measured.items():
                series[name].append({**measurement, "conditions": conditions})
        return series

    def control(self) -> float:
        """Two processes of pure Python against one: their speed-up (2 on 2 free cores)."""
        found = run_probe("parallel_control", python=self.python, loops=self.sizes.control_loops)
        return float(found["speedup"])

    def probe(self, name: str, **params: Any) -> Callable[[], Measurement]:
        """A probe with these parameters, to run in a fresh process."""
        return lambda: run_probe(name, python=self.python, **params)

    def stage(
        self, stage: str, model: str, workers: int, url: str = "", **config: Any
    ) -> Callable[[], Measurement]:
        """One stage alone on model with workers, to run in a fresh process; config sets
        RunConfig fields (analysis, crawling). The crawl fetches url; the others read the
        input (made on first use)."""
        plan = RunPlan(
            "alone", stage, **{stage: model, WORKERS[stage]: workers}, python=self.python
        )

        def measure() -> Measurement:
            self._runs += 1
            run_dir = self.folder / "runs" / f"{self._runs:03d}-{stage}-{model}-{workers}"
            input_dir = self.input() if stage != "crawl" else self.folder
            base = RunConfig("", run_dir, **config)
            return run_plan(plan, base, url or input_url(input_dir), run_dir, input_dir)

        return measure

    def input(self) -> Path:
        """The write and resize stages' input: one crawl of the site (made once)."""
        if self._input is None and self._inputs_from is not None:
            self._input = self._inputs_from.input()
        if self._input is None:
            base = RunConfig("", self.folder)
            self._input = prepare_input(base, self.open_site, self.folder / "input")
        return self._input


def limited(max_pages: int) -> dict[str, Any]:
    """RunConfig fields for a crawl that stops admitting pages after max_pages."""
    return {"crawling": CrawlSettings(max_pages=max_pages)}
