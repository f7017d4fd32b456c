"""Is a measured difference real? A ratio's spread over repeats, judged against a threshold.

Noise is not a finding: when the repeats of a measurement fall on both sides of the
threshold, the answer is "inconclusive", never a guess. Ratios are paired by repeat (run i
of A against run i of B, interleaved A B A B), so a noisy moment hits both sides of a pair.

With five repeats or more, the lowest and the highest fifth are set aside as outliers
before judging (one of each from five to nine): so more repeats can settle a comparison
that one odd repeat left straddling its threshold, and a single repeat never decides it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from enum import StrEnum


class Outcome(StrEnum):
    """What the repeats of one comparison say about its threshold."""

    HOLDS = "holds"
    FAILS = "fails"
    INCONCLUSIVE = "inconclusive"


def judge(
    values: Sequence[float], at_least: float | None = None, at_most: float | None = None
) -> Outcome:
    """Against at_least: HOLDS when every repeat judged reaches it, FAILS when none does,
    else INCONCLUSIVE. Against at_most, the same for staying at or under it."""
    values = judged(values)
    if at_least is not None:
        low, high = min(values) >= at_least, max(values) >= at_least
    elif at_most is not None:
        low, high = max(values) <= at_most, min(values) <= at_most
    else:
        raise ValueError("judge needs a threshold: at_least or at_most")
    if low:
        return Outcome.HOLDS
    return Outcome.INCONCLUSIVE if high else Outcome.FAILS


def judged(values: Sequence[float]) -> list[float]:
    """The repeats a verdict rests on: all of them, less the lowest and highest fifth."""
    cut = len(values) // 5
    ordered = sorted(values)
    return ordered[cut : len(ordered) - cut]


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """numerator i / denominator i for each repeat i (a zero denominator counts as tiny)."""
    return [top / max(bottom, 1e-12) for top, bottom in zip(numerators, denominators, strict=True)]


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, min and max of the repeats."""
    return statistics.median(values), min(values), max(values)
