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
4. Each claim becomes a Finding: id, words, source, the command that reproduces it, and a
   Side per interpreter (verdict, the reasons, every check with its repeats and the ones set
   aside). claims.json is ClaimsFile, written and read back through runfolder.contract; the
   command line prints the findings in words (report.verdicts), and the folder gets
   report.html.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from claims.catalogue import BY_NUMBER, Claim
from claims.chart import CHART_FILE, plot
from claims.experiments import EXPERIMENTS
from claims.lab import Lab, Series
from claims.measures import peak_in_flight, the_stage
from claims.probes import run_probe
from claims.verdict import Check, Verdict, assess, decide
from measure.interpreter import interpreter_name
from runfolder.contract import read_file, write_file

CLAIMS_FILE = "claims.json"


@dataclass(frozen=True)
class MedianRun:
    """The median run of an alternative (claim 8's crawls): its folder and peak in flight."""

    run_dir: str
    in_flight: int


@dataclass(frozen=True)
class Side:
    """A claim judged on one interpreter: the verdict, what explains it, every check."""

    verdict: Verdict
    because: tuple[str, ...]
    checks: tuple[Check, ...]
    python: str
    gil_enabled: bool
    runs: dict[str, MedianRun] | None  # claim 8's two crawls, drawn on its page


@dataclass(frozen=True)
class Finding:
    """One claim tested: with the GIL as this interpreter runs it, and without it when a
    free-threaded interpreter tested it too."""

    id: int
    claim: str
    question: str
    source: str
    untested: tuple[str, ...]
    command: str
    quick: bool
    here: Side
    without_gil: Side | None


@dataclass(frozen=True)
class ClaimsFile:
    """claims.json: the machine the claims were tested on, and one finding per claim."""

    SCHEMA: ClassVar[int] = 1

    machine: dict[str, Any]
    claims: tuple[Finding, ...]


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
) -> list[Finding]:
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
) -> Finding:
    tested_without = free_checks is not None and bool(claim.without_gil)
    quick = " --quick" if here.lab.sizes.quick else ""
    runs = _median_runs(here("awaiting")) if claim.number == 8 else None
    return Finding(
        id=claim.number,
        claim=claim.words,
        question=claim.question,
        source=claim.source,
        untested=(claim.untested,) if claim.untested and not tested_without else (),
        command=f"python pipeline.py claims --claim {claim.number}{quick}",
        quick=here.lab.sizes.quick,
        here=_side(checks, here, runs),
        without_gil=_side(free_checks, without) if free_checks and without else None,
    )


def _side(checks: list[Check], experiments: Experiments, runs: Any = None) -> Side:
    verdict, because = decide(checks)
    seen = experiments.interpreter
    return Side(verdict, tuple(because), tuple(checks), seen["python"], seen["gil_enabled"], runs)


def _median_runs(series: Series) -> dict[str, MedianRun]:
    """Each alternative's median run (by its stage's time)."""
    chosen = {}
    for name, runs in series.items():
        ordered = sorted(runs, key=lambda run: the_stage(run)["wall_s"])
        run = ordered[(len(ordered) - 1) // 2]
        chosen[name] = MedianRun(run["run_dir"], int(peak_in_flight(run)))
    return chosen


def _interpreter(python: str) -> dict[str, Any]:
    """The interpreter the experiments ran on, as measured inside it."""
    seen = run_probe("sleep_overlap", python=python, threads=1, loops=1, seconds=0.0, kind="sleep")
    return {"python": seen["python"], "gil_enabled": seen["gil_enabled"]}


def write_claims(folder: Path, findings: list[Finding], machine: dict[str, Any]) -> None:
    """Write claims.json atomically and the chart."""
    write_file(folder / CLAIMS_FILE, ClaimsFile(machine, tuple(findings)))
    plot(findings, folder / CHART_FILE)


def read_claims(folder: Path) -> ClaimsFile:
    """folder's claims.json; a ContractError if it is missing or not a ClaimsFile."""
    return read_file(ClaimsFile, folder / CLAIMS_FILE)
