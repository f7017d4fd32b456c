"""`claims`: test each rule of thumb of shared/CLAIMS.md on this machine, one verdict each.

Data flow:
1. For each claim asked for, its rule (claims.rules) asks for the experiments it needs
   (claims.experiments); each experiment runs once, its alternatives interleaved in fresh
   child processes (claims.lab), and is shared by every claim that needs it.
2. The rule turns the measurements into Checks, ratios paired repeat by repeat against the
   thresholds written in claims.rules; claims.verdict decides: holds, holds with a caveat,
   fails, or inconclusive when the repeats straddle a threshold.
3. claims.json gets one object per claim: id, claim, verdict, evidence (every check with its
   repeats), and the command that reproduces it; the terminal gets the same in words, and
   the folder gets report.html (the report package).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from claims.catalogue import CLAIMS, UNTESTED
from claims.chart import CHART_FILE, plot
from claims.experiments import EXPERIMENTS
from claims.lab import Lab, Series
from claims.probes import run_probe
from claims.rules import RULES, peak_in_flight, ratio, stage_work, the_stage
from claims.verdict import Check, Verdict, decide
from compare.plan import interpreter_name
from processing.files import write_atomic

CLAIMS_FILE = "claims.json"


# The claims about the GIL: with a free-threaded interpreter they are tested on it too.
GIL_CLAIMS = (4, 6, 10)


class Measured:
    """Each experiment of one lab, measured on first use and kept for every claim."""

    def __init__(self, lab: Lab, progress: Callable[[str], None]) -> None:
        self.lab = lab
        self._progress = progress
        self.series: dict[str, Series] = {}
        self.interpreter = _interpreter(lab.python)  # as measured inside it

    def __call__(self, name: str) -> Series:
        if name not in self.series:
            self._progress(f"{name} on {interpreter_name(self.lab.python)}")
            self.series[name] = EXPERIMENTS[name](self.lab)
        return self.series[name]


def run_claims(
    lab: Lab, ids: Iterable[int], progress: Callable[[str], None], free: Lab | None = None
) -> list[dict]:
    """Every asked-for claim's verdict and evidence, measuring each experiment once; the
    GIL's claims also on the free-threaded lab, when there is one."""
    results = Measured(lab, progress)
    without = Measured(free, progress) if free is not None else None
    findings = []
    for number in ids:
        finding = _finding(number, RULES[number](results), results, tested_without_gil=without)
        if number == 8:
            finding["evidence"]["runs"] = _median_runs(results("awaiting"))
        if without is not None and number in GIL_CLAIMS:
            finding["without_gil"] = _without_gil(number, results, without)
        findings.append(finding)
    return findings


def _finding(
    number: int, checks: list[Check], results: Measured, tested_without_gil: Measured | None
) -> dict[str, Any]:
    verdict, because = decide(checks)
    # Claim 4's one thread is tested against the free-threaded build when there is one.
    untested = [] if number == 4 and tested_without_gil else [UNTESTED.get(number, "")]
    quick = " --quick" if results.lab.sizes.quick else ""
    return {
        "id": number,
        "claim": CLAIMS[number],
        "verdict": str(verdict),
        "because": because,
        "untested": [note for note in untested if note],
        "evidence": {"checks": [check.as_json() for check in checks], **results.interpreter},
        "command": f"python pipeline.py claims --claim {number}{quick}",
        "quick": results.lab.sizes.quick,
    }


def _without_gil(number: int, results: Measured, without: Measured) -> dict[str, Any]:
    """The claim's verdict on the free-threaded interpreter; for claim 4, also what one
    thread of pure Python costs there against the interpreter with the GIL."""
    checks = RULES[number](without)
    verdict, because = decide(checks)
    found = {
        "verdict": str(verdict),
        "because": because,
        "checks": [check.as_json() for check in checks],
        **without.interpreter,
    }
    if number == 4:
        one = ratio(
            stage_work(without("python_cpu")["threads 1"]),
            stage_work(results("python_cpu")["threads 1"]),
        )
        versions = f"{without.interpreter['python']} against {results.interpreter['python']}"
        name = f"pure Python, 1 thread: time without / with the GIL ({versions})"
        found["one_thread_cost"] = Check(name, one, at_most=1.1).as_json()
    return found


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


def format_claims(findings: list[dict], machine: dict[str, Any]) -> str:
    """The verdicts in words, each with its numbers and the command that reproduces it."""
    first = findings[0]["evidence"] if findings else {}
    gil = "GIL on" if first.get("gil_enabled", True) else "GIL off"
    quick = (
        "; quick: smaller inputs, verdicts less sure" if findings and findings[0]["quick"] else ""
    )
    lines = [
        f"The rules of thumb on this machine: {machine.get('cores')} cores, "
        f"Python {first.get('python', platform.python_version())} ({gil}){quick}",
        "",
    ]
    for finding in findings:
        lines.append(f"{finding['id']:>2}  {finding['verdict'].upper():<20}{finding['claim']}")
        for check in finding["evidence"]["checks"]:
            lines.append(f"    {_describe(check)}")
        if finding["verdict"] == Verdict.CAVEAT:
            lines.append(f"    caveat: {'; '.join(finding['because'])}")
        lines += [f"    {note}" for note in finding["untested"]]
        if "without_gil" in finding:
            lines += _without_gil_lines(finding["without_gil"])
        lines.append(f"    reproduce: {finding['command']}")
        lines.append("")
    return "\n".join(lines).rstrip()


def _without_gil_lines(found: dict[str, Any]) -> list[str]:
    lines = [f"    without the GIL (Python {found['python']}): {found['verdict'].upper()}"]
    checks = [*found["checks"], *([found["one_thread_cost"]] if "one_thread_cost" in found else [])]
    return lines + [f"      {_describe(check)}" for check in checks]


def _describe(check: dict[str, Any]) -> str:
    bound = (
        f"at least {check['at_least']:g}"
        if "at_least" in check
        else f"at most {check['at_most']:g}"
    )
    low, high = min(check["values"]), max(check["values"])
    return (
        f"{check['name']}: {check['median']:.2f} ({low:.2f}-{high:.2f} over "
        f"{len(check['values'])}; {bound}) {check['outcome']}"
    )
