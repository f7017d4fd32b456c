"""compare's chart: wall time per model for each stage, with the cores really used marked.

matplotlib is an optional extra (`pip install .[plot]`); without it compare still writes
its table, JSON and CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compare.plan import DEFAULT_MODELS
from config import STAGES
from models.registry import MODEL_NAMES

MODEL_COLOURS = {
    "asyncio": "#4c72b0",
    "threads": "#55a868",
    "processes": "#c44e52",
    "sequential": "#8c8c8c",
}
SWEPT = ("latency_ms", "concurrency", "resize_workers")


def plot(rows: list[dict[str, Any]], path: Path) -> bool:
    """Draw the chart to path; return False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = _panels(rows)
    heights = [0.9 + 0.42 * len(panel_rows) for _, _, panel_rows in panels]
    figure, axes = plt.subplots(
        len(panels),
        1,
        figsize=(9.5, sum(heights) + 0.6),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, (title, stage, panel_rows) in zip(axes[:, 0], panels, strict=True):
        _draw_panel(axis, title, stage, panel_rows, _varied(rows))
    axes[-1, 0].set_xlabel("wall time of the pipeline, s (median; whiskers: min to max)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def _panels(rows: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Group rows by the stage whose model they swap; anything else in one panel."""
    panels = []
    for stage in STAGES:
        others = [other for other in STAGES if other != stage]
        members = [row for row in rows if all(row[o] == DEFAULT_MODELS[o] for o in others)]
        members.sort(key=lambda row: MODEL_NAMES.index(row[stage]))
        if len({row[stage] for row in members}) > 1:
            fixed = ", ".join(f"{o} on {DEFAULT_MODELS[o]}" for o in others)
            panels.append((f"{stage} stage on each model ({fixed})", stage, members))
    if not panels:
        panels.append(("every configuration", "resize", sorted(rows, key=lambda r: r["wall_s"])))
    return panels


def _varied(rows: list[dict[str, Any]]) -> list[str]:
    """The swept knobs that take more than one value, so bar labels must name them."""
    return [knob for knob in SWEPT if len({row[knob] for row in rows}) > 1]


def _draw_panel(
    axis: Any, title: str, stage: str, rows: list[dict[str, Any]], varied: list[str]
) -> None:
    labels = [_label(row, stage, varied, title) for row in rows]
    walls = [row["wall_s"] for row in rows]
    spread = [
        [w - row["wall_min_s"] for w, row in zip(walls, rows, strict=True)],
        [row["wall_max_s"] - w for w, row in zip(walls, rows, strict=True)],
    ]
    colours = [MODEL_COLOURS[row[stage]] for row in rows]
    axis.barh(labels, walls, xerr=spread, color=colours, capsize=3)
    for index, row in enumerate(rows):
        note = (
            f"  {stage} {row[stage + '_per_s']:.0f}/s, {row['cores_used']:.2f} cores, "
            f"{row['peak_rss_mb']:.0f} MB"
        )
        if not row["digest_ok"]:
            note += "  OUTPUT DIFFERS"
        axis.text(row["wall_max_s"], index, note, va="center", fontsize=8)
    axis.set_title(title, fontsize=10, loc="left")
    axis.invert_yaxis()
    axis.set_xlim(0, max(row["wall_max_s"] for row in rows) * 1.6)


def _label(row: dict[str, Any], stage: str, varied: list[str], title: str) -> str:
    name = (
        row[stage]
        if not title.startswith("every")
        else f"{row['crawl']}/{row['write']}/{row['resize']}"
    )
    units = {"latency_ms": "ms", "concurrency": " conc", "resize_workers": " rw"}
    return " ".join([name, *(f"{row[knob]:g}{units[knob]}" for knob in varied)])
