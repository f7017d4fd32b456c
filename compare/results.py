"""compare's outputs: the ranked rows, the findings in words, results.json, results.csv and
the chart; the command line prints the rows (report.tables) and the findings."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from compare.chart import plot
from compare.plan import DEFAULT_MODELS, STAGE_KNOBS, UNITS, aggregate
from compare.ranking import MARGIN, busy_note, groups, rank, swapping
from measure.interpreter import machine
from measure.repeats import Outcome, judge, paired_ratios, spread
from processing.files import write_atomic
from runfolder.contract import read_file, write_file

RESULTS_FILE = "results.json"


@dataclass(frozen=True)
class CompareFile:
    """results.json: the machine, what was asked, one row per configuration, every run and
    the findings. A row's and a run's fields depend on the stages and knobs compared (a
    column per stage's rate in the whole pipeline, a knob per sweep): they stay dicts."""

    SCHEMA: ClassVar[int] = 1

    machine: dict[str, Any]
    request: dict[str, Any]
    rows: tuple[dict[str, Any], ...]
    runs: tuple[dict[str, Any], ...]
    findings: tuple[str, ...]


def read_results(out: Path) -> CompareFile:
    """out's results.json; a ContractError if it is missing or not a CompareFile."""
    return read_file(CompareFile, out / RESULTS_FILE)


def findings(rows: list[dict[str, Any]]) -> list[str]:
    """What the tables say, in words: each stage's fastest model and by how much, and, when
    the whole pipeline was measured too, what that choice changes for the whole run."""
    said = []
    for members in groups(rows):
        said.append(_alone_finding(members))
        if len(members) > 1:
            whole = _pipeline_finding(rows, members)
            said += [whole] if whole else []
    return said


def _alone_finding(members: list[dict[str, Any]]) -> str:
    best, stage = members[0], members[0]["stage"]
    where = f" on {best['interpreter']}" if best["python"] else ""
    text = f"{stage} alone ({best['knobs']}{where}): {best['model']} is fastest, "
    text += f"{best['per_s']:,.0f} "
    text += f"{UNITS[stage]}/s"
    others = [f"{row['model']} {_slower(row)}" for row in members[1:]]
    busy = busy_note(members)
    return (
        text + ("; " + ", ".join(others) if others else "") + "." + (f" ({busy}.)" if busy else "")
    )


def _slower(row: dict[str, Any]) -> str:
    outcome = row["vs_best_outcome"]
    if outcome == Outcome.HOLDS:
        return f"{row['vs_best']:.2f}x slower"
    if outcome == Outcome.FAILS:
        return f"within {MARGIN - 1:.0%} ({row['vs_best']:.2f}x)"
    return f"{row['vs_best']:.2f}x but inconclusive (the repeats overlap)"


def _pipeline_finding(rows: list[dict[str, Any]], members: list[dict[str, Any]]) -> str:
    """How long the whole run takes with the stage on each model, against its fastest model
    alone; and, where a gap the stage shows alone disappears in the whole run, why."""
    stage, fast = members[0]["stage"], members[0]["model"]
    whole = {
        row[stage]: row
        for row in swapping(rows, stage)
        if all(row[knob] == members[0][knob] for knob in STAGE_KNOBS[stage])
    }
    if fast not in whole:
        return ""
    parts, hidden = [], []
    for row in (row for row in members[1:] if row["model"] in whole):
        ratios = paired_ratios(whole[row["model"]]["walls"], whole[fast]["walls"])
        shows = judge(ratios, MARGIN) == Outcome.HOLDS
        faster = judge(ratios, at_most=1 / MARGIN) == Outcome.HOLDS
        note = "" if shows else " (faster here)" if faster else " (no clear difference)"
        parts.append(f"{row['model']} {spread(ratios)[0]:.2f}x{note}")
        if row["vs_best_outcome"] == Outcome.HOLDS and not shows:
            hidden.append(row["model"])
    if not parts:
        return ""
    text = f"In the whole pipeline, {stage} on each model makes the run, against {fast}: "
    text += ", ".join(parts) + " as long."
    pace = _pacing_stage(rows, stage)
    if hidden:
        reason = f": the {pace} stage sets its pace" if pace else ""
        text += f" What {stage} alone shows for {', '.join(hidden)} hardly shows there{reason}."
    return text


def _pacing_stage(rows: list[dict[str, Any]], stage: str) -> str:
    """The stage that takes longest alone on its default model, if it is not stage."""
    defaults = {
        row["stage"]: row["wall_s"]
        for row in rows
        if row["view"] == "alone" and row["model"] == DEFAULT_MODELS[row["stage"]]
    }
    slowest = max(defaults, key=defaults.get, default="")
    return slowest if slowest != stage else ""


def write_results(
    out: Path,
    rows: list[dict[str, Any]],
    runs: list[dict[str, Any]],
    info: dict[str, Any],
    said: list[str],
) -> None:
    """Write results.json (everything) and results.csv (one row per configuration), each
    atomically."""
    document = CompareFile(machine(), info, tuple(rows), tuple(runs), tuple(said))
    write_file(out / RESULTS_FILE, document)
    fields = list(dict.fromkeys(key for row in rows for key in row if key != "walls"))
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "results.csv", table.getvalue().encode())


class OutputsDiffer(Exception):
    """Runs that had to produce the same outputs did not (their digests differ)."""


def finish_compare(
    out: Path, results: list[dict[str, Any]], info: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Rank the results, write the files and the chart; return the rows, the findings and
    whether the chart was drawn. Raises OutputsDiffer, after writing, on a digest mismatch."""
    rows = aggregate(results)
    rank(rows)
    said = findings(rows)
    write_results(out, rows, results, info, said)
    charted = plot(rows, out / "chart.png")
    if not all(row["digest_ok"] for row in rows):
        raise OutputsDiffer("the runs did not all produce the same outputs (digest)")
    return rows, said, charted
