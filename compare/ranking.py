"""Rank each stage's models by that stage's own time, and say when a gap is only noise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compare.plan import DEFAULT_MODELS
from config import STAGES
from measure.conditions import busy_words
from measure.repeats import Outcome, judge, paired_ratios

# Differences under this share are not worth a ranking, even when they are repeatable.
MARGIN = 1.05
# How a gap to the fastest is marked when the repeats do not make it a difference, and why.
GAP_MARKS = {
    Outcome.INCONCLUSIVE: ("~", "repeats overlap"),
    Outcome.FAILS: ("=", f"within {MARGIN - 1:.0%}"),
}


def groups(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The alone rows that compete with each other (one stage at the same knobs on the same
    interpreter), fastest first."""
    alone = [row for row in rows if row["view"] == "alone"]
    for key in dict.fromkeys(_rivals(row) for row in alone):
        members = [row for row in alone if _rivals(row) == key]
        yield sorted(members, key=lambda row: row["wall_s"])


def rank(rows: list[dict[str, Any]]) -> None:
    """Give each alone row its place against the fastest of its group: `vs_best` (its
    median wall over the fastest's) and `vs_best_outcome` (do the paired ratios of wall
    times say it is really slower?)."""
    for members in groups(rows):
        best = members[0]
        for row in members:
            # The ratio of medians follows the wall column and the bars, so a slower model
            # can never show the smaller ratio; the judgement uses the pairs, which cancel
            # the machine's drift between repeats.
            row["vs_best"] = round(row["wall_s"] / best["wall_s"], 2)
            row["vs_best_outcome"] = str(gap(row, best)) if row is not best else ""


def gap(row: dict[str, Any], fastest: dict[str, Any]) -> Outcome:
    """Whether row is really slower than fastest: by MARGIN or more on every paired repeat
    (holds), under it on every one (fails), or some of each (inconclusive)."""
    return judge(paired_ratios(row["walls"], fastest["walls"]), MARGIN)


def busy_note(rows: list[dict[str, Any]]) -> str:
    """'' when the machine was quiet while rows ran, else what that means for their ranking."""
    said = busy_words(max(row["taken"] for row in rows))
    return f"{said}: this ranking may not hold on a quiet machine" if said else ""


def _rivals(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["stage"], row["knobs"], row["python"]


def swapping(rows: list[dict[str, Any]], stage: str) -> list[dict[str, Any]]:
    """The whole-pipeline rows that differ from the default models in stage's model only."""
    return [
        row
        for row in rows
        if row["view"] == "pipeline"
        and all(row[other] == DEFAULT_MODELS[other] for other in STAGES if other != stage)
    ]
