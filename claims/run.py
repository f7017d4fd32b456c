"""`claims`: test each rule of thumb of the catalogue on this machine, one verdict each.

Data flow:
1. Each claim asked for names, through its checks (claims.catalogue), the experiments it
   needs (claims.experiments). Each experiment runs once per lab, its alternatives
   interleaved in fresh child processes for the base number of rounds (claims.lab); every
   round records the cores that were free and, for experiments a two-core check reads, the
   control (two processes of pure Python against one).
2. Each check is assessed (claims.verdict): repeats whose conditions did not hold are set
   aside with the reason; the rest are judged against the threshold. While a check's
   repeats straddle its threshold, or the machine was busy for only some of them, its
   experiment gets one more interleaved round, up to the lab's cap.
3. The GIL's claims run on the free-threaded lab too, when there is one, with the checks
   only such a run has (one thread without against with the GIL).
4. claims.json gets one object per claim: id, words, source, verdict, the reasons, every
   check with its repeats and conditions, and the command that reproduces it; the command
   line prints them in words (report.verdicts), and the folder gets report.html.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from claims.catalogue import BY_NUMBER, Claim
from claims.chart import CHART_FILE, plot
from claims.experiments import EXPERIMENTS
from claims.lab import Lab, Series
from claims.measures import peak_in_flight, the_stage
from claims.probes import run_probe
from claims.verdict import Check, assess, decide
from measure.interpreter import interpreter_name
from processing.files import write_atomic

CLAIMS_FILE = "claims.json"


class Experiments:
    """Each experiment of one lab, measured on first use, given more rounds on request, and
    kept for every claim that reads it."""

    def __init__(self, lab: Lab, progress: Callable[[str], None], controlled: set[str]) -> None:
        self.lab = lab
        self._progress = progress
        self._controlled = controlled  # experiments a two-core check reads
        self.series: dict[str, Series] = {}
        self.interpreter = _interpreter(lab.python)  # as measured inside it

    def __call__(self, name: str) -> Series:
        """The experiment's measurements, taken now if they were not yet."""
        if name not in self.series:
            self._progress(f"{name} on {interpreter_name(self.lab.python)}")
            self.series[name] = self._rounds(name, self.lab.sizes.repeats)
        return self.series[name]

    def more(self, name: str) -> bool:
        """One more round of the experiment, unless it has had the most the lab allows."""
        taken = len(next(iter(self.series[name].values())))
        if taken >= self.lab.sizes.max_repeats:
            return False
        self._progress(
            f"{name} on {interpreter_name(self.lab.python)}: round {taken + 1} of at most "
            f"{self.lab.sizes.max_repeats}, to settle a check"
        )
        for alternative, runs in self._rounds(name, 1).items():
            self.series[name][alternative] += runs
        return True

    def _rounds(self, name: str, rounds: int) -> Series:
        with EXPERIMENTS[name](self.lab) as alternatives:
            return self.lab.interleave(alternatives, rounds, name in self._controlled)


def run_claims(
    lab: Lab, ids: Iterable[int], progress: Callable[[str], None], free: Lab | None = None
) -> list[dict]:
    """Every asked-for claim's verdict and evidence, measuring each experiment once (and
    again while a check is unsettled and the cap allows); the GIL's claims also on the
    free-threaded lab, when there is one."""
    claims = [BY_NUMBER[number] for number in ids]
    controlled = {
        spec.measure.experiment
        for claim in claims
        for spec in (*claim.checks, *claim.without_gil)
        if spec.cores >= 2
    }
    here = Experiments(lab, progress, controlled)
    without = Experiments(free, progress, controlled) if free is not None else None
    while True:
        assessed = {claim.number: _assess(claim, here, without) for claim in claims}
        if not _settle_more(claims, assessed, here, without):
            break
    return [_finding(claim, *assessed[claim.number], here, without) for claim in claims]


Assessed = tuple[list[Check], list[Check] | None]


def _assess(claim: Claim, here: Experiments, without: Experiments | None) -> Assessed:
    """The claim's checks here, and without the GIL when it is tested there."""
    sizes = here.lab.sizes
    checks = [assess(spec, here(spec.measure.experiment), sizes) for spec in claim.checks]
    if without is None or not claim.gil:
        return checks, None
    gil_off = not without.interpreter["gil_enabled"]
    free_checks = [
        assess(spec, without(spec.measure.experiment), sizes, gil_off=gil_off)
        for spec in claim.checks
    ]
    free_checks += [
        assess(spec, without(spec.measure.experiment), sizes, here(spec.measure.experiment))
        for spec in claim.without_gil
    ]
    return checks, free_checks


def _settle_more(
    claims: list[Claim],
    assessed: dict[int, Assessed],
    here: Experiments,
    without: Experiments | None,
) -> bool:
    """One more round of each experiment an unsettled check reads; whether any was taken."""
    wanted: dict[Experiments, set[str]] = {}
    for claim in claims:
        checks, free_checks = assessed[claim.number]
        specs = (*claim.checks, *claim.without_gil)
        for experiments, found in ((here, checks), (without, free_checks or [])):
            for spec, check in zip(specs, found, strict=False):
                if check.wants_more and experiments is not None:
                    wanted.setdefault(experiments, set()).add(spec.measure.experiment)
    taken = [experiments.more(name) for experiments, names in wanted.items() for name in names]
    return any(taken)


def _finding(
    claim: Claim,
    checks: list[Check],
    free_checks: list[Check] | None,
    here: Experiments,
    without: Experiments | None,
) -> dict[str, Any]:
    verdict, because = decide(checks)
    tested_without = free_checks is not None and bool(claim.without_gil)
    quick = " --quick" if here.lab.sizes.quick else ""
    finding = {
        "id": claim.number,
        "claim": claim.words,
        "question": claim.question,
        "source": claim.source,
        "verdict": str(verdict),
        "because": because,
        "untested": [claim.untested] if claim.untested and not tested_without else [],
        "evidence": {"checks": [check.as_json() for check in checks], **here.interpreter},
        "command": f"python pipeline.py claims --claim {claim.number}{quick}",
        "quick": here.lab.sizes.quick,
    }
    if claim.number == 8:
        finding["evidence"]["runs"] = _median_runs(here("awaiting"))
    if free_checks is not None and without is not None:
        free_verdict, free_because = decide(free_checks)
        finding["without_gil"] = {
            "verdict": str(free_verdict),
            "because": free_because,
            "checks": [check.as_json() for check in free_checks],
            **without.interpreter,
        }
    return finding


def _median_runs(series: Series) -> dict[str, dict[str, Any]]:
    """Each alternative's median run (by its stage's time): its folder and peak in flight."""
    chosen = {}
    for name, runs in series.items():
        ordered = sorted(runs, key=lambda run: the_stage(run)["wall_s"])
        run = ordered[(len(ordered) - 1) // 2]
        chosen[name] = {"run_dir": run["run_dir"], "in_flight": peak_in_flight(run)}
    return chosen


def _interpreter(python: str) -> dict[str, Any]:
    """The interpreter the experiments ran on, as measured inside it."""
    seen = run_probe("sleep_overlap", python=python, threads=1, loops=1, seconds=0.0, kind="sleep")
    return {"python": seen["python"], "gil_enabled": seen["gil_enabled"]}


def write_claims(folder: Path, findings: list[dict], machine: dict[str, Any]) -> None:
    """Write claims.json atomically (the machine and one object per claim) and the chart."""
    document = {"machine": machine, "claims": findings}
    write_atomic(folder / CLAIMS_FILE, json.dumps(document, indent=2).encode())
    plot(findings, folder / CHART_FILE)
