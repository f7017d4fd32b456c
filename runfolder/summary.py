"""summary.json's contract, built from a finished run's Stats, and its table for the terminal.

Data flow: the run's Stats -> build_summary() -> Summary (written by runfolder.window's
finish(), read back with read_summary() by the report, compare, claims and the benchmarks)
-> format_summary() for the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from config import STAGES, RunConfig
from measure.interpreter import Interpreter, describe, interpreter
from runfolder.contract import read_file
from runfolder.timeline import TimelineInfo
from stats import Stats

SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class Counts:
    """What the run fetched and made."""

    pages: int
    pages_failed: int
    images: int
    images_failed: int
    thumbnails: int
    bytes: int


COUNT_KEYS = tuple(field.name for field in fields(Counts))


@dataclass(frozen=True)
class Politeness:
    """What robots.txt and the rate limit cost the run."""

    robots: str  # obeyed or ignored
    rate: float | None  # --rate: requests per second to one host
    crawl_delays: dict[str, float]  # each host's Crawl-delay, in seconds
    delayed: int  # requests that waited for their host's turn
    waited_s: float


@dataclass(frozen=True)
class StageRow:
    """One stage's costs; start_s and end_s are seconds since the run started. wall_s runs
    from the first item taken to the last one done; work_s from the moment a worker began the
    first to the moment one finished the last (a pool's start-up left out)."""

    model: str
    workers: int
    items: int
    errors: int
    busy_s: float
    wall_s: float
    work_s: float
    per_s: float
    start_s: float
    end_s: float


@dataclass(frozen=True)
class LoopLag:
    """How late the event loop woke a timer, at worst and at the 99th percentile."""

    max_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Summary:
    """summary.json: a whole run's, or one stage's alone (alone names the stage)."""

    SCHEMA: ClassVar[int] = 1

    start_url: str
    run_dir: str
    counts: Counts
    errors: dict[str, int]
    skipped: dict[str, int]
    politeness: Politeness
    stages: dict[str, StageRow]  # only the stages that ran, in the pipeline's order
    wall_s: float
    cpu_s: float
    loop_lag: LoopLag
    interrupted: bool
    signal: str | None
    stopped_by: str | None
    timeline: TimelineInfo | None
    digest: str
    interpreter: Interpreter
    alone: str | None


def read_summary(run_dir: Path) -> Summary:
    """run_dir's summary.json; a ContractError if it is missing or not a Summary."""
    return read_file(Summary, run_dir / SUMMARY_FILE)


def build_summary(config: RunConfig, stats: Stats, alone: str | None = None) -> Summary:
    """The summary of a finished run, from its Stats."""
    started = stats.get("started")
    return Summary(
        start_url=config.start_url,
        run_dir=str(config.run_dir),
        counts=Counts(**{key: stats.get(key) for key in COUNT_KEYS}),
        errors=stats.group("errors"),
        skipped=stats.group("skipped"),
        politeness=Politeness(
            robots="ignored" if config.crawling.ignore_robots else "obeyed",
            rate=config.crawling.rate,
            crawl_delays=stats.group("crawl_delay"),
            delayed=stats.get("politeness/delayed"),
            waited_s=round(stats.get("politeness/waited_s"), 3),
        ),
        stages={
            name: _stage_row(stats.group(f"stage/{name}"), started)
            for name in STAGES
            if stats.get(f"stage/{name}/model", None) is not None  # a stage alone: only its own
        },
        wall_s=round(stats.get("wall_s"), 3),
        cpu_s=round(stats.get("cpu_s"), 3),
        loop_lag=LoopLag(**stats.group("loop_lag")),
        interrupted=stats.get("interrupted", False),
        signal=stats.get("signal", None),
        stopped_by=stats.get("stopped_by", None),
        timeline=stats.get("timeline", None),
        digest=stats.get("digest"),
        interpreter=interpreter(),
        alone=alone,
    )


def _stage_row(stage: dict[str, Any], run_started: float) -> StageRow:
    started = stage.get("started", run_started)
    finished = stage.get("finished", run_started)
    wall_s = finished - started if "started" in stage and "finished" in stage else 0.0
    items = stage.get("items", 0)
    return StageRow(
        model=stage["model"],
        workers=stage["workers"],
        items=items,
        errors=stage.get("errors", 0),
        busy_s=round(stage.get("busy_s", 0.0), 3),
        wall_s=round(wall_s, 3),
        work_s=round(stage.get("last_end", 0.0) - stage.get("first_start", 0.0), 3),
        per_s=round(items / wall_s if wall_s else 0.0, 1),
        start_s=round(started - run_started, 3),
        end_s=round(finished - run_started, 3),
    )


def format_summary(summary: Summary) -> str:
    """Render the summary as the table printed at the end of a run."""
    counts = summary.counts
    lines = [
        f"pages {counts.pages} ({counts.pages_failed} failed)   "
        f"images {counts.images} ({counts.images_failed} failed)   "
        f"thumbnails {counts.thumbnails}   {counts.bytes / 1e6:.1f} MB downloaded",
        "",
        f"{'stage':<8}{'model':<12}{'workers':>8}{'items':>8}{'busy s':>9}{'wall s':>9}"
        f"{'items/s':>9}",
    ]
    for name, row in summary.stages.items():
        lines.append(
            f"{name:<8}{row.model:<12}{row.workers:>8}{row.items:>8}"
            f"{row.busy_s:>9.2f}{row.wall_s:>9.2f}{row.per_s:>9.1f}"
        )
    lines.append("")
    lines.append("errors  " + (_pairs(summary.errors) or "none"))
    lines.append("skipped " + (_pairs(summary.skipped) or "none"))
    lines += _politeness(summary.politeness)
    lag = summary.loop_lag
    lines.append(
        f"wall {summary.wall_s:.2f} s   cpu {summary.cpu_s:.2f} s "
        f"({summary.cpu_s / max(summary.wall_s, 1e-9):.2f} cores)   "
        f"loop lag max {lag.max_ms:.0f} ms, p99 {lag.p99_ms:.0f} ms"
    )
    lines.append(f"digest {summary.digest}")
    lines.append(describe(summary.interpreter))
    if summary.interrupted:
        by = f" by {summary.signal}" if summary.signal else ""
        lines.append(f"INTERRUPTED{by}: the crawl was stopped early; the counts above are partial.")
    return "\n".join(lines)


def _politeness(polite: Politeness) -> list[str]:
    """A line on what politeness cost, when it cost anything or robots.txt was ignored."""
    if not (polite.crawl_delays or polite.robots == "ignored"):
        return []
    delays = ", ".join(f"{host} {seconds:g} s" for host, seconds in polite.crawl_delays.items())
    text = f"polite   between requests: {delays or 'none'}; {polite.delayed} requests waited"
    text += f" {polite.waited_s:.1f} s in all"
    if polite.robots == "ignored":
        text += "; robots.txt IGNORED (--ignore-robots)"
    return [text]


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items())
