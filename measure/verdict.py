"""Is a measured difference real? A ratio's spread over repeats, judged against a threshold.

Noise is not a finding: when the repeats of a measurement fall on both sides of the
threshold, the answer is "inconclusive", never a guess. Ratios are paired by repeat (run i
of A against run i of B, interleaved A B A B), so a noisy moment hits both sides of a pair.
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


def judge(values: Sequence[float], at_least: float) -> Outcome:
    """HOLDS when every repeat reaches at_least, FAILS when none does, else INCONCLUSIVE."""
    if min(values) >= at_least:
        return Outcome.HOLDS
    if max(values) < at_least:
        return Outcome.FAILS
    return Outcome.INCONCLUSIVE


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """numerator i / denominator i for each repeat i (a zero denominator counts as tiny)."""
    return [top / max(bottom, 1e-12) for top, bottom in zip(numerators, denominators, strict=True)]


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, min and max of the repeats."""
    return statistics.median(values), min(values), max(values)
