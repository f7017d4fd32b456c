"""The claims' chart: one panel per claim, titled with the question it answers and its
verdicts with and without the GIL; each check is a range (lowest to highest repeat judged)
with its median, beside the threshold it must reach or stay under, so a reader sees why the
verdict is what it is. The checks measured without the GIL sit under those with it.

matplotlib is an optional extra (`pip install .[plot]`); without it the verdicts still print.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claims.catalogue import BY_NUMBER
from claims.verdict import Check
from compare.chart import draw_stacked

if TYPE_CHECKING:
    from claims.run import Finding

OUTCOME_COLOURS = {"holds": "#55a868", "fails": "#c44e52", "inconclusive": "#8c8c8c"}
CHART_FILE = "claims.png"
LABEL_WIDTH = 48  # characters of a check's name on one line of the axis


def plot(findings: list[Finding], path: Path) -> bool:
    """Draw every claim's checks to path; return False when matplotlib is not installed."""
    heights = [0.9 + 0.5 * len(_rows(finding)) for finding in findings]
    return draw_stacked(path, findings, heights, _panel)


def _rows(finding: Finding) -> list[tuple[str, Check]]:
    """(label, check) for each check with the GIL, then each without it."""
    rows = [(check.name, check) for check in finding.here.checks]
    without = finding.without_gil.checks if finding.without_gil else ()
    return rows + [(f"no GIL: {check.name}", check) for check in without]


def _panel(axis: Any, finding: Finding) -> None:
    rows = _rows(finding)
    for row, (_, check) in enumerate(rows):
        _draw_check(axis, row, check)
    labels = [textwrap.fill(label, LABEL_WIDTH) for label, _ in rows]
    axis.set_yticks(range(len(rows)), labels, fontsize=7)
    axis.set_xscale("log")
    _ratio_ticks(axis)
    axis.set_ylim(-0.7, len(rows) - 0.3)
    axis.invert_yaxis()
    verdicts = f"GIL on: {finding.here.verdict.upper()}"
    if finding.without_gil:
        verdicts += f"  ·  GIL off: {finding.without_gil.verdict.upper()}"
    axis.set_title(
        f"{finding.id}. {BY_NUMBER[finding.id].question}\n{verdicts}",
        fontsize=9,
        loc="left",
    )
    axis.set_xlabel("bar = lowest to highest repeat judged, dot = median (log scale)", fontsize=7)


def _draw_check(axis: Any, row: int, check: Check) -> None:
    """One check's range, median and threshold on row."""
    colour = OUTCOME_COLOURS[check.outcome]
    threshold = check.at_least if check.at_least is not None else check.at_most
    side = ">=" if check.at_least is not None else "<="
    axis.plot([threshold], [row], marker="|", color="black", markersize=16)
    axis.annotate(
        f"{side} {threshold:g}{check.unit}",
        (threshold, row),
        xytext=(3, 6),
        textcoords="offset points",
        fontsize=7,
    )
    if not check.values:
        axis.annotate(
            "no repeat judged: the machine was busy",
            (threshold, row),
            xytext=(8, -3),
            textcoords="offset points",
            fontsize=7,
            color=colour,
        )
        return
    low, high = min(check.values), max(check.values)
    axis.plot([low, high], [row, row], color=colour, linewidth=6, solid_capstyle="butt")
    axis.plot([check.median], [row], "o", color="black", markersize=4)


def _ratio_ticks(axis: Any) -> None:
    """Ticks that read as ratios ('1.5x'), not as powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
    axis.xaxis.set_minor_formatter(NullFormatter())
    axis.tick_params(axis="x", labelsize=7)
