"""From measured comparisons to one verdict per claim: holds, holds with a caveat, fails, or
inconclusive.

A claim predicts a few comparisons (Checks), each a ratio measured once per repeat and a
threshold written beside it. A check whose repeats straddle its threshold is inconclusive
(measure.verdict.judge): noise is never reported as a finding. A claim fails when any of its
main checks fails, is inconclusive when none fails but one is inconclusive, and holds with a
caveat when its main checks hold but a caveat check (a part of the claim that the guides
state too broadly) fails.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from measure.verdict import Outcome, judge


class Verdict(StrEnum):
    """What the measurements say of one claim."""

    HOLDS = "holds"
    CAVEAT = "holds with a caveat"
    FAILS = "fails"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Check:
    """One comparison a claim predicts: what is compared, its value in each repeat, and the
    threshold it must reach (at_least) or stay under (at_most). A check with a caveat is a
    part of the claim that may fail while the rest holds; the caveat says what then."""

    name: str
    values: tuple[float, ...]
    at_least: float | None = None
    at_most: float | None = None
    caveat: str = ""

    @property
    def outcome(self) -> Outcome:
        """What the repeats say about the threshold."""
        return judge(self.values, self.at_least, self.at_most)

    def as_json(self) -> dict[str, Any]:
        """The check with its repeats, median and outcome, for claims.json."""
        threshold = (
            {"at_least": self.at_least} if self.at_least is not None else {"at_most": self.at_most}
        )
        return {
            "name": self.name,
            "values": [round(value, 4) for value in self.values],
            "median": round(statistics.median(self.values), 4),
            **threshold,
            "outcome": str(self.outcome),
            **({"caveat": self.caveat} if self.caveat else {}),
        }


def decide(checks: Sequence[Check]) -> tuple[Verdict, list[str]]:
    """The claim's verdict and the caveats (or failing or unsettled checks) that explain it."""
    main = [check for check in checks if not check.caveat]
    failed = [check.name for check in main if check.outcome == Outcome.FAILS]
    if failed:
        return Verdict.FAILS, failed
    unsettled = [check.name for check in main if check.outcome == Outcome.INCONCLUSIVE]
    if unsettled:
        return Verdict.INCONCLUSIVE, unsettled
    caveats = [c.caveat for c in checks if c.caveat and c.outcome == Outcome.FAILS]
    if caveats:
        return Verdict.CAVEAT, caveats
    return Verdict.HOLDS, []
