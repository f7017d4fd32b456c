"""compare's chart: for each stage, which model does that stage's work fastest.

One panel per stage alone (at each setting of its own knobs): a bar per model, its length
the stage's own time over the same input (so a shorter bar is always a faster model; every
model did the same items), fastest at the top, whiskers from the fastest to the slowest
repeat, and beside it the throughput, cores used and peak memory. When the whole pipeline
was measured too, one panel per swapped stage shows what the choice changed for the run.

matplotlib is an optional extra (`pip install .[plot]`); without it compare still writes
its tables, JSON and CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from compare.plan import DEFAULT_MODELS, KNOB_LABELS, UNITS
from compare.ranking import GAP_MARKS, busy_note, gap, groups, swapping
from config import STAGES
from models.registry import MODEL_NAMES

MODEL_COLOURS = {
    "asyncio": "#4c72b0",
    "threads": "#55a868",
    "processes": "#c44e52",
    "sequential": "#8c8c8c",
    "dask": "#8172b2",
}
Panel = tuple[str, str, list[dict[str, Any]], Callable[[dict[str, Any]], str]]
T = TypeVar("T")


def plot(rows: list[dict[str, Any]], path: Path) -> bool:
    """Draw the chart to path; return False when matplotlib is not installed."""
    panels = [*alone_panels(rows), *pipeline_panels(rows)]
    heights = [1.0 + 0.42 * len(panel[2]) for panel in panels]
    return bool(panels) and draw_stacked(path, panels, heights, lambda axis, p: _draw(axis, *p))


def draw_stacked(
    path: Path, panels: Sequence[T], heights: Sequence[float], draw: Callable[[Any, T], None]
) -> bool:
    """Draw one panel per item of panels, top to bottom, each as tall as its height (inches),
    into path; return False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(
        len(panels),
        1,
        figsize=(9.5, sum(heights) + 0.4),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, panel in zip(axes[:, 0], panels, strict=True):
        draw(axis, panel)
    figure.tight_layout()
    figure.savefig(path, dpi=110, bbox_inches="tight")  # long labels widen it, never cut
    plt.close(figure)
    return True


def alone_panels(rows: list[dict[str, Any]]) -> list[Panel]:
    """One panel per stage alone at one setting of its knobs, fastest model first."""
    panels = []
    for members in groups(rows):
        first = members[0]
        where = f", {first['interpreter']}" if first["python"] else ""
        title = (
            f"{first['stage']} alone ({first['knobs']}{where}): seconds for the same "
            f"{first['items']} {UNITS[first['stage']]} on each model (shorter is faster)"
        ) + _busy_line(members)
        panels.append((title, first["stage"], members, _alone_note))
    return panels


# What a bar's gap to the fastest bar is worth, when the repeats do not make it a difference.
GAP_NOTES = {outcome: f"  ({mark} fastest: {why})" for outcome, (mark, why) in GAP_MARKS.items()}


def _alone_note(row: dict[str, Any]) -> str:
    return (
        f"  {row['per_s']:,.0f}/s, {row['cores_used']:.2f} cores, {row['peak_rss_mb']:.0f} MB"
        + GAP_NOTES.get(row.get("vs_best_outcome", ""), "")
    )


def pipeline_panels(rows: list[dict[str, Any]]) -> list[Panel]:
    """The whole pipeline, grouped by the stage whose model the rows swap."""
    whole = [row for row in rows if row["view"] == "pipeline"]
    panels = []
    for stage in STAGES:
        others = [other for other in STAGES if other != stage]
        members = swapping(whole, stage)
        if len({row[stage] for row in members}) > 1:
            members.sort(key=lambda row: (row["wall_s"], MODEL_NAMES.index(row[stage])))
            fixed = ", ".join(f"{o} on {DEFAULT_MODELS[o]}" for o in others)
            title = f"whole pipeline, {stage} on each model ({fixed}): wall seconds of the run"
            title += _busy_line(members)
            panels.append((title, stage, members, _pipeline_note(stage, members[0])))
    if whole and not panels:
        ordered = sorted(whole, key=lambda row: row["wall_s"])
        panels.append(("whole pipeline, every configuration: wall seconds", "", ordered, _note))
    return panels


def _busy_line(rows: list[dict[str, Any]]) -> str:
    """A second title line when rows were measured on a busy machine."""
    note = busy_note(rows)
    return f"\nBUSY MACHINE: {note}" if note else ""


def _pipeline_note(stage: str, fastest: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    def note(row: dict[str, Any]) -> str:
        mark = GAP_NOTES.get(str(gap(row, fastest)), "") if row is not fastest else ""
        return f"  {stage} {row[stage + '_per_s']:.0f}/s" + _note(row) + mark

    return note


def _note(row: dict[str, Any]) -> str:
    return f", {row['cores_used']:.2f} cores, {row['peak_rss_mb']:.0f} MB"


def _draw(
    axis: Any,
    title: str,
    stage: str,
    rows: list[dict[str, Any]],
    note: Callable[[dict[str, Any]], str],
) -> None:
    labels = [_label(row, stage, rows) for row in rows]
    walls = [row["wall_s"] for row in rows]
    spread = [
        [wall - row["wall_min_s"] for wall, row in zip(walls, rows, strict=True)],
        [row["wall_max_s"] - wall for wall, row in zip(walls, rows, strict=True)],
    ]
    colours = [MODEL_COLOURS.get(row[stage], "#8c8c8c") if stage else "#8c8c8c" for row in rows]
    axis.barh(labels, walls, xerr=spread, color=colours, capsize=3)
    for index, row in enumerate(rows):
        text = note(row) + ("  OUTPUT DIFFERS" if not row["digest_ok"] else "")
        axis.text(row["wall_max_s"], index, text, va="center", fontsize=8)
    axis.set_title(title, fontsize=9.5, loc="left")
    axis.invert_yaxis()  # fastest at the top
    axis.set_xlim(0, max(row["wall_max_s"] for row in rows) * 1.75)
    axis.set_xlabel(f"seconds (median of {rows[0]['runs']}; whiskers: min to max)", fontsize=8)


def _label(row: dict[str, Any], stage: str, rows: list[dict[str, Any]]) -> str:
    """The bar's name: the model, plus any swept knob that differs between the bars."""
    name = row[stage] if stage else f"{row['crawl']}/{row['write']}/{row['resize']}"
    varied = [knob for knob in KNOB_LABELS if len({other[knob] for other in rows}) > 1]
    return " ".join([name, *(KNOB_LABELS[knob].format(row[knob]) for knob in varied)])
