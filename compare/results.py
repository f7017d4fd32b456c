"""compare's outputs: the ranked tables, the findings in words, results.json, results.csv,
the chart, and the machine they were measured on."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click

from compare.chart import plot
from compare.plan import DEFAULT_MODELS, STAGE_KNOBS, aggregate
from compare.ranking import GAP_MARKS, MARGIN, busy_note, groups, rank, swapping
from measure.conditions import FREE_MARGIN, busy_words
from measure.interpreter import machine
from measure.verdict import Outcome, judge, paired_ratios, spread

UNITS = {"crawl": "fetches", "write": "images saved", "resize": "images thumbnailed"}


def format_alone(rows: list[dict[str, Any]]) -> str:
    """The stage-alone table: each stage's models ranked by that stage's own time (with the
    interpreter, when several ran)."""
    several = len({row["python"] for row in rows}) > 1
    header = (
        f"{'stage':<7}{'model':<11}{'knobs':<12}{'wall s':>7}{'min-max':>12}{'items':>7}"
        f"{'items/s':>9}{'vs best':>9}  {'cpu s':>6}{'cores':>6}{'peak MB':>8}{'lag max':>8}"
        f"{'p99':>5}{'others':>7}  same" + ("  interpreter" if several else "")
    )
    lines = [header, "-" * len(header)]
    for members in groups(rows):
        for row in members:
            lines.append(
                f"{row['stage']:<7}{row['model']:<11}{row['knobs']:<12}"
                f"{row['wall_s']:>7.2f}{row['wall_min_s']:>6.2f}-{row['wall_max_s']:<5.2f}"
                f"{row['items']:>7}{row['per_s']:>9,.0f}{_vs_best(row):>9}  "
                f"{row['cpu_s']:>6.2f}{row['cores_used']:>6.2f}{row['peak_rss_mb']:>8.0f}"
                f"{row['lag_max_ms']:>8.0f}{row['lag_p99_ms']:>5.0f}{_others(row):>7}  "
                f"{'yes' if row['digest_ok'] else 'NO ':<4}"
                + (f" {row['interpreter']}" if several else "")
            )
    return "\n".join(lines)


def _others(row: dict[str, Any]) -> str:
    """The cores other programs took, with '!' when the machine was busy."""
    return f"{row['taken']:.2f}{'!' if busy_words(row['taken']) else ' '}"


def _vs_best(row: dict[str, Any]) -> str:
    """'1.00x' for the fastest; a mark (GAP_MARKS) on a gap the repeats do not establish."""
    mark, _ = GAP_MARKS.get(row["vs_best_outcome"], (" ", ""))
    return f"{row['vs_best']:.2f}x {mark}"


def format_pipeline(rows: list[dict[str, Any]]) -> str:
    """The whole-pipeline table, one row per configuration."""
    header = (
        f"{'crawl':<11}{'write':<11}{'resize':<11}{'lat':>5}{'conc':>5}{'rw':>3}"
        f"{'wall s':>8}{'min-max':>12}{'fetch/s':>9}{'img/s':>7}{'cpu s':>7}"
        f"{'cores':>6}{'peak MB':>8}{'lag max':>8}{'p99':>6}{'others':>7}  same"
    )
    lines = [header, "-" * len(header)]
    for row in (row for row in rows if row["view"] == "pipeline"):
        lines.append(
            f"{row['crawl']:<11}{row['write']:<11}{row['resize']:<11}"
            f"{row['latency_ms']:>5g}{row['concurrency']:>5}{row['resize_workers']:>3}"
            f"{row['wall_s']:>8.2f}{row['wall_min_s']:>6.2f}-{row['wall_max_s']:<5.2f}"
            f"{row['crawl_per_s']:>9.0f}{row['resize_per_s']:>7.0f}{row['cpu_s']:>7.2f}"
            f"{row['cores_used']:>6.2f}{row['peak_rss_mb']:>8.0f}{row['lag_max_ms']:>8.0f}"
            f"{row['lag_p99_ms']:>6.0f}{_others(row):>7}  {'yes' if row['digest_ok'] else 'NO'}"
        )
    return "\n".join(lines)


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
    out: Path, rows: list[dict[str, Any]], runs: list[dict[str, Any]], info: dict[str, Any]
) -> None:
    """Write results.json (everything) and results.csv (one row per configuration)."""
    document = {
        "machine": machine(),
        "request": info,
        "rows": rows,
        "runs": runs,
        "findings": findings(rows),
    }
    (out / "results.json").write_text(json.dumps(document, indent=2))
    fields = list(dict.fromkeys(key for row in rows for key in row if key != "walls"))
    with (out / "results.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def report_compare(out: Path, results: list[dict[str, Any]], info: dict[str, Any]) -> None:
    """Print the tables and findings, write the files and the chart; a digest mismatch is
    an error."""
    rows = aggregate(results)
    rank(rows)
    write_results(out, rows, results, info)
    if any(row["view"] == "alone" for row in rows):
        click.echo(
            "Each stage alone, ranked by its own time (~: not a measured difference; others: "
            f"cores other programs took while it ran, !: over {FREE_MARGIN:g}, a busy machine)"
        )
        click.echo(format_alone(rows))
    if any(row["view"] == "pipeline" for row in rows):
        click.echo("\nThe whole pipeline")
        click.echo(format_pipeline(rows))
    click.echo("\n" + "\n".join(findings(rows)))
    charted = plot(rows, out / "chart.png")
    click.echo(
        f"Results in {out}/ (results.json, results.csv"
        + (", chart.png)" if charted else "; pip install '.[plot]' for chart.png)")
    )
    if not all(row["digest_ok"] for row in rows):
        raise click.ClickException("the runs did not all produce the same outputs (digest)")
