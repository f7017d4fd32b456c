"""Turn a finished run into summary.json's dictionary and a table for the terminal."""

from __future__ import annotations

from typing import Any

from config import STAGES, RunConfig
from measure.interpreter import describe, interpreter
from stats import Stats

COUNT_KEYS = ("pages", "pages_failed", "images", "images_failed", "thumbnails", "bytes")


def build_summary(config: RunConfig, stats: Stats) -> dict[str, Any]:
    """Return the summary of a finished run, from its Stats, as JSON-ready data."""
    started = stats.get("started")
    return {
        "start_url": config.start_url,
        "run_dir": str(config.run_dir),
        "counts": {key: stats.get(key) for key in COUNT_KEYS},
        "errors": stats.group("errors"),
        "skipped": stats.group("skipped"),
        "politeness": {
            "robots": "ignored" if config.crawling.ignore_robots else "obeyed",
            "rate": config.crawling.rate,
            "crawl_delays": stats.group("crawl_delay"),
            "delayed": stats.get("politeness/delayed"),
            "waited_s": round(stats.get("politeness/waited_s"), 3),
        },
        "stages": {
            name: _stage_row(stats.group(f"stage/{name}"), started)
            for name in STAGES
            if stats.get(f"stage/{name}/model", None) is not None  # a stage alone: only its own
        },
        "wall_s": round(stats.get("wall_s"), 3),
        "cpu_s": round(stats.get("cpu_s"), 3),
        "loop_lag": stats.group("loop_lag"),
        "interrupted": stats.get("interrupted", False),
        "signal": stats.get("signal", None),
        "stopped_by": stats.get("stopped_by", None),
        "timeline": stats.get("timeline", None),
        "digest": stats.get("digest"),
        "interpreter": interpreter(),
    }


def _stage_row(stage: dict[str, Any], run_started: float) -> dict[str, Any]:
    """One stage's costs; start_s and end_s are seconds since the run started. wall_s runs
    from the first item taken to the last one done; work_s from the moment a worker began
    the first to the moment one finished the last (a pool's start-up left out)."""
    started = stage.get("started", run_started)
    finished = stage.get("finished", run_started)
    wall_s = finished - started if "started" in stage and "finished" in stage else 0.0
    items = stage.get("items", 0)
    return {
        "model": stage["model"],
        "workers": stage["workers"],
        "items": items,
        "errors": stage.get("errors", 0),
        "busy_s": round(stage.get("busy_s", 0.0), 3),
        "wall_s": round(wall_s, 3),
        "work_s": round(stage.get("last_end", 0.0) - stage.get("first_start", 0.0), 3),
        "per_s": round(items / wall_s if wall_s else 0.0, 1),
        "start_s": round(started - run_started, 3),
        "end_s": round(finished - run_started, 3),
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
    lines += _politeness(summary["politeness"])
    lag = summary["loop_lag"]
    lines.append(
        f"wall {summary['wall_s']:.2f} s   cpu {summary['cpu_s']:.2f} s "
        f"({summary['cpu_s'] / max(summary['wall_s'], 1e-9):.2f} cores)   "
        f"loop lag max {lag['max_ms']:.0f} ms, p99 {lag['p99_ms']:.0f} ms"
    )
    lines.append(f"digest {summary['digest']}")
    lines.append(describe(summary["interpreter"]))
    if summary["interrupted"]:
        by = f" by {summary['signal']}" if summary.get("signal") else ""
        lines.append(f"INTERRUPTED{by}: the crawl was stopped early; the counts above are partial.")
    return "\n".join(lines)


def _politeness(polite: dict[str, Any]) -> list[str]:
    """A line on what politeness cost, when it cost anything or robots.txt was ignored."""
    if not (polite["crawl_delays"] or polite["robots"] == "ignored"):
        return []
    delays = ", ".join(f"{host} {seconds:g} s" for host, seconds in polite["crawl_delays"].items())
    text = f"polite   between requests: {delays or 'none'}; {polite['delayed']} requests waited"
    text += f" {polite['waited_s']:.1f} s in all"
    if polite["robots"] == "ignored":
        text += "; robots.txt IGNORED (--ignore-robots)"
    return [text]


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items())
