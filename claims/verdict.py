"""From measured comparisons to one verdict per claim: holds, holds with a caveat, fails, or
inconclusive, always with the reason.

A claim predicts a few comparisons (catalogue.Spec); measured, each becomes a Check: a
value per repeat and the threshold written beside it. Before a repeat is judged, the
conditions it ran under are: a check that needs N cores is judged only on repeats that had
N cores free (less FREE_MARGIN) and, for N >= 2, whose control (two processes of pure
Python against one, run in the same round) scaled as two free cores must. Repeats that fail
are set aside with the reason; with fewer than the experiment's repeats left, the check is
inconclusive and says why. A check whose judged repeats straddle its threshold is
inconclusive too (measure.repeats.judge): noise and a busy machine are never findings.

A claim fails when any of its main checks fails, is inconclusive when none fails but one is
inconclusive (or a caveat check is unsettled), and holds with a caveat when its main checks
hold but a caveat check (a part of the claim that the guides state too broadly) fails.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from claims.catalogue import CONTROL_SCALES, Spec, bound_words
from claims.lab import Series, Sizes
from measure.conditions import FREE_MARGIN, Conditions
from measure.repeats import Outcome, judge, judged


class Verdict(StrEnum):
    """What the measurements say of one claim."""

    HOLDS = "holds"
    CAVEAT = "holds with a caveat"
    FAILS = "fails"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Check:
    """One comparison measured: the repeats judged, the threshold, and the repeats set
    aside (each with why). `fewest` repeats must be judged for an outcome; `unexplained`
    is what a hold would mean without the GIL, when the GIL is off."""

    name: str
    values: tuple[float, ...]
    at_least: float | None = None
    at_most: float | None = None
    caveat: str = ""
    cores: int = 1
    set_aside: tuple[str, ...] = ()
    fewest: int = 1
    unexplained: str = ""
    unit: str = "x"

    @property
    def raw_outcome(self) -> Outcome | None:
        """What the judged repeats say of the threshold, or None with too few of them."""
        if len(self.values) < self.fewest:
            return None
        return judge(self.values, self.at_least, self.at_most)

    @property
    def outcome(self) -> Outcome:
        """The judged outcome, inconclusive with too few repeats or when the GIL's absence
        leaves a hold unexplained."""
        raw = self.raw_outcome
        if raw is None or (raw == Outcome.HOLDS and self.unexplained):
            return Outcome.INCONCLUSIVE
        return raw

    @property
    def reason(self) -> str:
        """Why the outcome is inconclusive, in words ('' when it is not)."""
        raw = self.raw_outcome
        if raw is None:
            return _set_aside_reason(self.set_aside, len(self.values) + len(self.set_aside))
        if raw == Outcome.INCONCLUSIVE:
            return f"its repeats fall on both sides of its threshold ({self.threshold})"
        if raw == Outcome.HOLDS and self.unexplained:
            return self.unexplained.format(median=statistics.median(self.values))
        return ""

    @property
    def wants_more(self) -> bool:
        """Whether more repeats could settle it: its repeats straddle the threshold, or
        some repeats were set aside while others met the conditions (the machine was busy
        for a while, not throughout)."""
        if self.raw_outcome == Outcome.INCONCLUSIVE:
            return True
        return self.raw_outcome is None and bool(self.values)

    @property
    def threshold(self) -> str:
        """'at least 1.6x' or 'at most 1.3x'."""
        return bound_words(self.at_least, self.at_most, self.unit)

    @property
    def median(self) -> float | None:
        """The median of the judged repeats (None when none was judged)."""
        return statistics.median(self.values) if self.values else None

    @property
    def outliers(self) -> int:
        """Judged repeats left out as outliers (the lowest and highest fifth, from five)."""
        return len(self.values) - len(judged(self.values))


def assess(
    spec: Spec,
    series: Series,
    sizes: Sizes,
    reference: Series | None = None,
    gil_off: bool = False,
) -> Check:
    """spec measured on series (and, across interpreters, reference): its repeats judged
    where their conditions held, the others set aside with the reason."""
    values = spec.measure.values(series, reference)
    conditions = spec.measure.conditions(series, reference)
    pinned = spec.measure.pinned(series)
    kept, set_aside = [], []
    for value, seen in zip(values, conditions, strict=True):
        why = unmet(seen, spec.cores, pinned)
        if why:
            set_aside.append(why)
        else:
            kept.append(value)
    return Check(
        name=spec.label(sizes),
        values=tuple(kept),
        at_least=spec.at_least,
        at_most=spec.at_most,
        caveat=spec.caveat,
        cores=spec.cores,
        set_aside=tuple(set_aside),
        fewest=sizes.repeats,
        unexplained=spec.unexplained if gil_off else "",
        unit=spec.unit,
    )


def unmet(conditions: Sequence[dict[str, Any]], cores: int, pinned: bool = True) -> str:
    """Why a repeat measured under these conditions cannot be judged by a check that needs
    `cores` free cores ('' when it can)."""
    if cores == 0:
        return ""
    if not pinned:
        return "the workers could not be pinned to one CPU here"
    worst = min(conditions, key=lambda seen: seen["free"])
    if worst["free"] < cores - FREE_MARGIN:
        fields = {name: worst[name] for name in Conditions._fields}  # as CpuWindow made them
        return Conditions(**fields).explain()
    controls = [seen["control"] for seen in conditions if seen.get("control") is not None]
    if cores >= 2 and controls and min(controls) < CONTROL_SCALES:
        return (
            f"the control, 2 processes of pure Python, ran only {min(controls):.2f}x as fast "
            f"as one (on 2 free cores at least {CONTROL_SCALES:g}x): 2 cores were not free for it"
        )
    return ""


def _set_aside_reason(set_aside: Sequence[str], taken: int) -> str:
    """Why too few repeats were judged: the first reason, and how many were set aside."""
    if not set_aside:
        return f"only {taken} repeats"
    return f"{set_aside[0]} (in {len(set_aside)} of {taken} repeats)"


def decide(checks: Sequence[Check]) -> tuple[Verdict, list[str]]:
    """The claim's verdict and what explains it: the failing checks, the unsettled checks
    with their reasons, or the caveats."""
    main = [check for check in checks if not check.caveat]
    failed = [check.name for check in main if check.outcome == Outcome.FAILS]
    if failed:
        return Verdict.FAILS, failed
    unsettled = [f"{c.name}: {c.reason}" for c in checks if c.outcome == Outcome.INCONCLUSIVE]
    if unsettled:
        return Verdict.INCONCLUSIVE, unsettled
    caveats = [c.caveat for c in checks if c.caveat and c.outcome == Outcome.FAILS]
    if caveats:
        return Verdict.CAVEAT, caveats
    return Verdict.HOLDS, []
