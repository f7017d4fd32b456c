"""compare's tables, one column specification each, for the terminal and for report.html.

A Column says how one cell reads (the same text in both places), its header and its width
in the terminal; numbers right-aligned, words left-aligned. The marks are compare.ranking's
(GAP_MARKS for a gap the repeats do not establish) and measure.conditions' (a busy machine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from compare.ranking import GAP_MARKS, groups
from measure.conditions import busy_words

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """One column: its header, its width in the terminal, and each row's cell as text."""

    label: str
    width: int
    cell: Callable[[Row], str]
    words: bool = False  # left-aligned text rather than a right-aligned number

    def pad(self, text: str) -> str:
        """text aligned in the column's width."""
        return f"{text:<{self.width}}" if self.words else f"{text:>{self.width}}"


def _field(key: str, spec: str = "") -> Callable[[Row], str]:
    return lambda row: format(row[key], spec)


def _range(row: Row) -> str:
    return f"{row['wall_min_s']:.2f}-{row['wall_max_s']:.2f}"


def _vs_best(row: Row) -> str:
    """'1.00x' for the fastest; a mark (GAP_MARKS) on a gap the repeats do not establish."""
    mark, _ = GAP_MARKS.get(row["vs_best_outcome"], (" ", ""))
    return f"{row['vs_best']:.2f}x {mark}"


def _others(row: Row) -> str:
    """The cores other programs took, with '!' when the machine was busy."""
    return f"{row['taken']:.2f}{'!' if busy_words(row['taken']) else ' '}"


def _same(row: Row) -> str:
    return "yes" if row["digest_ok"] else "NO"


COSTS = (
    Column("cpu s", 7, _field("cpu_s", ".2f")),
    Column("cores", 6, _field("cores_used", ".2f")),
    Column("peak MB", 8, _field("peak_rss_mb", ".0f")),
    Column("lag max", 8, _field("lag_max_ms", ".0f")),
    Column("p99", 5, _field("lag_p99_ms", ".0f")),
    Column("others", 7, _others),
    Column("same", 5, _same),
)
ALONE = (
    Column("stage", 7, _field("stage"), words=True),
    Column("model", 11, _field("model"), words=True),
    Column("knobs", 12, _field("knobs"), words=True),
    Column("wall s", 7, _field("wall_s", ".2f")),
    Column("min-max", 11, _range),
    Column("items", 7, _field("items")),
    Column("items/s", 9, _field("per_s", ",.0f")),
    Column("vs best", 9, _vs_best),
    *COSTS,
)
PIPELINE = (
    Column("crawl", 11, _field("crawl"), words=True),
    Column("write", 11, _field("write"), words=True),
    Column("resize", 11, _field("resize"), words=True),
    Column("lat", 5, _field("latency_ms", "g")),
    Column("conc", 5, _field("concurrency")),
    Column("rw", 3, _field("resize_workers")),
    Column("wall s", 8, _field("wall_s", ".2f")),
    Column("min-max", 11, _range),
    Column("fetch/s", 9, _field("crawl_per_s", ".0f")),
    Column("img/s", 7, _field("resize_per_s", ".0f")),
    *COSTS,
)
INTERPRETER = Column("interpreter", 1, _field("interpreter"), words=True)


def alone_columns(rows: Sequence[Row]) -> tuple[Column, ...]:
    """The stage-alone columns, with the interpreter when several ran."""
    several = len({row["python"] for row in rows}) > 1
    return (*ALONE, INTERPRETER) if several else ALONE


def alone_rows(rows: Iterable[Row]) -> list[Row]:
    """The stage-alone rows in the tables' order: by stage and knobs, fastest first."""
    return [row for members in groups(list(rows)) for row in members]


def pipeline_rows(rows: Iterable[Row]) -> list[Row]:
    """The whole-pipeline rows, in the order they ran."""
    return [row for row in rows if row["view"] == "pipeline"]


def terminal(rows: Sequence[Row], columns: Sequence[Column]) -> str:
    """The table as fixed-width text: a header, a rule, a line per row."""
    header = " ".join(column.pad(column.label) for column in columns).rstrip()
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(" ".join(column.pad(column.cell(row)) for column in columns).rstrip())
    return "\n".join(lines)
