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
from claims.rules import RULES, peak_in_flight
from claims.verdict import Verdict, decide
from processing.files import write_atomic

CLAIMS_FILE = "claims.json"


def run_claims(lab: Lab, ids: Iterable[int], progress: Callable[[str], None]) -> list[dict]:
    """Every asked-for claim's verdict and evidence, measuring each experiment once."""
    measured: dict[str, Series] = {}

    def results(name: str) -> Series:
        if name not in measured:
            progress(name)
            measured[name] = EXPERIMENTS[name](lab)
        return measured[name]

    interpreter = _interpreter(lab.python)
    return [_finding(number, RULES[number](results), lab, interpreter, measured) for number in ids]


def _finding(
    number: int, checks: list, lab: Lab, interpreter: dict[str, Any], measured: dict[str, Series]
) -> dict[str, Any]:
    verdict, because = decide(checks)
    quick = " --quick" if lab.sizes.quick else ""
    finding = {
        "id": number,
        "claim": CLAIMS[number],
        "verdict": str(verdict),
        "because": because,
        "untested": [UNTESTED[number]] if number in UNTESTED else [],
        "evidence": {"checks": [check.as_json() for check in checks], **interpreter},
        "command": f"python pipeline.py claims --claim {number}{quick}",
        "quick": lab.sizes.quick,
    }
    if number == 8:
        finding["evidence"]["runs"] = _median_runs(measured["awaiting"])
    return finding


def _median_runs(series: Series) -> dict[str, dict[str, Any]]:
    """Each alternative's median run (by its stage's time): its folder and peak in flight."""
    chosen = {}
    for name, runs in series.items():
        ordered = sorted(runs, key=lambda run: next(iter(run["stages"].values()))["wall_s"])
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
        lines.append(f"    reproduce: {finding['command']}")
        lines.append("")
    return "\n".join(lines).rstrip()


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
