"""The claims' chart: one panel per claim, titled with the question it answers; each of its
checks is a range (fastest to slowest repeat) with its median, beside the threshold it must
reach or stay under, so a reader sees why the verdict is what it is.

matplotlib is an optional extra (`pip install .[plot]`); without it the verdicts still print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claims.catalogue import QUESTIONS
from compare.chart import draw_stacked

OUTCOME_COLOURS = {"holds": "#55a868", "fails": "#c44e52", "inconclusive": "#8c8c8c"}
CHART_FILE = "claims.png"


def plot(findings: list[dict[str, Any]], path: Path) -> bool:
    """Draw every claim's checks to path; return False when matplotlib is not installed."""
    heights = [0.9 + 0.45 * len(finding["evidence"]["checks"]) for finding in findings]
    return draw_stacked(path, findings, heights, _panel)


def _panel(axis: Any, finding: dict[str, Any]) -> None:
    checks = finding["evidence"]["checks"]
    for row, check in enumerate(checks):
        colour = OUTCOME_COLOURS[check["outcome"]]
        low, high = min(check["values"]), max(check["values"])
        axis.plot([low, high], [row, row], color=colour, linewidth=6, solid_capstyle="butt")
        axis.plot([check["median"]], [row], "o", color="black", markersize=4)
        threshold = check.get("at_least", check.get("at_most"))
        side = ">=" if "at_least" in check else "<="
        axis.plot([threshold], [row], marker="|", color="black", markersize=16)
        axis.annotate(
            f"{side} {threshold:g}",
            (threshold, row),
            xytext=(3, 6),
            textcoords="offset points",
            fontsize=7,
        )
    axis.set_yticks(range(len(checks)), [check["name"] for check in checks], fontsize=7.5)
    axis.set_xscale("log")
    axis.set_ylim(-0.7, len(checks) - 0.3)
    axis.invert_yaxis()
    axis.set_title(
        f"{finding['id']}. {QUESTIONS[finding['id']]}  {finding['verdict'].upper()}",
        fontsize=9.5,
        loc="left",
    )
    axis.set_xlabel(
        "ratio (log scale): bar = min to max over the repeats, dot = median", fontsize=7
    )
