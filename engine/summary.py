"""Turn a finished run into summary.json's dictionary and a table for the terminal."""

from __future__ import annotations

import resource
from collections import Counter
from typing import Any

from engine.config import RunConfig
from engine.records import RunRecorder
from engine.stages import StageStats

COUNT_KEYS = ("pages", "pages_failed", "images", "images_failed", "thumbnails", "bytes")


def build_summary(
    config: RunConfig,
    recorder: RunRecorder,
    stages: dict[str, StageStats],
    skipped: Counter[str],
    costs: dict[str, Any],
) -> dict[str, Any]:
    """Return the summary of a run as JSON-ready data (costs: started, wall_s, cpu_s, loop_lag)."""
    return {
        "start_url": config.start_url,
        "run_dir": str(config.run_dir),
        "counts": {key: recorder.counts[key] for key in COUNT_KEYS},
        "errors": dict(sorted(recorder.errors.items())),
        "skipped": dict(sorted(skipped.items())),
        "stages": {name: _stage_row(stats, costs["started"]) for name, stats in stages.items()},
        "wall_s": round(costs["wall_s"], 3),
        "cpu_s": round(costs["cpu_s"], 3),
        "loop_lag": costs["loop_lag"],
        "interrupted": costs["interrupted"],
        "stopped_by": costs["stopped_by"],
        "timeline": costs["timeline"],
        "digest": recorder.digest(),
    }


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have exited."""
    usages = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(usage.ru_utime + usage.ru_stime for usage in usages)


def _stage_row(stats: StageStats, run_started: float) -> dict[str, Any]:
    """One stage's costs; start_s and end_s are seconds since the run started."""
    per_s = stats.items / stats.wall_s if stats.wall_s else 0.0
    start_s = (stats.started or run_started) - run_started
    end_s = (stats.finished or run_started) - run_started
    return {
        "model": stats.model,
        "workers": stats.workers,
        "items": stats.items,
        "errors": stats.errors,
        "busy_s": round(stats.busy_s, 3),
        "wall_s": round(stats.wall_s, 3),
        "per_s": round(per_s, 1),
        "start_s": round(start_s, 3),
        "end_s": round(end_s, 3),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """Render the summary as the table printed at the end of a run."""
    counts = summary["counts"]
    lines = [
        f"pages {counts['pages']} ({counts['pages_failed']} failed)   "
        f"images {counts['images']} ({counts['images_failed']} failed)   "
        f"thumbnails {counts['thumbnails']}   {counts['bytes'] / 1e6:.1f} MB downloaded",
        "",
        f"{'stage':<8}{'model':<12}{'workers':>8}{'items':>8}{'busy s':>9}{'wall s':>9}"
        f"{'items/s':>9}",
    ]
    for name, row in summary["stages"].items():
        lines.append(
            f"{name:<8}{row['model']:<12}{row['workers']:>8}{row['items']:>8}"
            f"{row['busy_s']:>9.2f}{row['wall_s']:>9.2f}{row['per_s']:>9.1f}"
        )
    lines.append("")
    lines.append("errors  " + (_pairs(summary["errors"]) or "none"))
    lines.append("skipped " + (_pairs(summary["skipped"]) or "none"))
    lag = summary["loop_lag"]
    lines.append(
        f"wall {summary['wall_s']:.2f} s   cpu {summary['cpu_s']:.2f} s "
        f"({summary['cpu_s'] / max(summary['wall_s'], 1e-9):.2f} cores)   "
        f"loop lag max {lag['max_ms']:.0f} ms, p99 {lag['p99_ms']:.0f} ms"
    )
    lines.append(f"digest {summary['digest']}")
    if summary["interrupted"]:
        lines.append("INTERRUPTED: the crawl was stopped early; the counts above are partial.")
    return "\n".join(lines)


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items())
