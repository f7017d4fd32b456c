"""compare: the same work under several models, each run in a fresh child process.

Data flow:
1. plan_runs expands the request (stages x models, or the full 4x4x4 matrix, times every
   sweep value) into RunPlans, repeated in interleaved order (A B C A B C) so that a noisy
   moment on a shared machine hits every configuration alike.
2. For each plan, a fresh local site starts in its own process (so latency can differ per
   run and no state leaks between runs), then `pipeline.py crawl` runs in a fresh child
   process with its own run folder, measured from outside by engine.measure.
3. The child's summary.json and the outside measurements become one RunResult.
4. aggregate groups the repeats of each plan: medians, with min and max of the wall time,
   and checks that every run produced the same digest.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.measure import run_measured
from engine.models import MODEL_NAMES

STAGES = ("crawl", "write", "resize")
DEFAULT_MODELS = {"crawl": "asyncio", "write": "threads", "resize": "processes"}
PIPELINE = Path(__file__).resolve().parent.parent / "pipeline.py"


@dataclass(frozen=True)
class RunPlan:
    """One configuration to run: a model per stage and the swept knobs."""

    crawl: str = "asyncio"
    write: str = "threads"
    resize: str = "processes"
    latency_ms: float = 0.0
    concurrency: int = 64
    resize_workers: int = 2
    write_workers: int = 4

    @property
    def label(self) -> str:
        """A short name, e.g. 'asyncio/threads/processes 0ms c64 r2'."""
        return (
            f"{self.crawl}/{self.write}/{self.resize} {self.latency_ms:g}ms "
            f"c{self.concurrency} r{self.resize_workers}"
        )


@dataclass(frozen=True)
class CompareRequest:
    """What the user asked compare to vary."""

    stages: tuple[str, ...] = STAGES
    models: tuple[str, ...] = MODEL_NAMES
    full_matrix: bool = False
    repeat: int = 1
    latencies_ms: tuple[float, ...] = (0.0,)
    concurrencies: tuple[int, ...] = (64,)
    resize_workers: tuple[int, ...] = (2,)
    write_workers: int = 4


def plan_runs(request: CompareRequest) -> list[tuple[int, RunPlan]]:
    """Return (repeat index, plan) pairs in interleaved order."""
    plans = list(dict.fromkeys(_swept(request, _model_choices(request))))
    return [(repeat, plan) for repeat in range(request.repeat) for plan in plans]


def _model_choices(request: CompareRequest) -> Iterator[dict[str, str]]:
    """Model assignments: one stage swapped at a time, or every combination."""
    if request.full_matrix:
        for combo in itertools.product(request.models, repeat=3):
            yield dict(zip(STAGES, combo, strict=True))
        return
    for stage in request.stages:
        for model in request.models:
            yield {**DEFAULT_MODELS, stage: model}


def _swept(request: CompareRequest, choices: Iterable[dict[str, str]]) -> Iterator[RunPlan]:
    """Each model assignment at every combination of the sweep values."""
    for models in choices:
        for latency, concurrency, workers in itertools.product(
            request.latencies_ms, request.concurrencies, request.resize_workers
        ):
            yield RunPlan(
                **models,
                latency_ms=latency,
                concurrency=concurrency,
                resize_workers=workers,
                write_workers=request.write_workers,
            )


def crawl_command(plan: RunPlan, url: str, run_dir: Path, extra: list[str]) -> list[str]:
    """The `pipeline.py crawl` command line that runs plan."""
    return [
        sys.executable,
        str(PIPELINE),
        "crawl",
        url,
        "--out",
        str(run_dir),
        "--quiet",
        "--crawl-model",
        plan.crawl,
        "--write-model",
        plan.write,
        "--resize-model",
        plan.resize,
        "--concurrency",
        str(plan.concurrency),
        "--resize-workers",
        str(plan.resize_workers),
        "--write-workers",
        str(plan.write_workers),
        *extra,
    ]


def run_one(plan: RunPlan, url: str, run_dir: Path, extra: list[str]) -> dict[str, Any]:
    """Run plan in a child process; return its summary joined with the outside measures."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    measured = run_measured(crawl_command(plan, url, run_dir, extra), run_dir.with_suffix(".log"))
    summary_path = run_dir / "summary.json"
    if measured.returncode != 0 or not summary_path.exists():
        raise RuntimeError(f"run {plan.label} failed: see {run_dir.with_suffix('.log')}")
    summary = json.loads(summary_path.read_text())
    return {
        "plan": asdict(plan),
        "label": plan.label,
        "process_wall_s": round(measured.wall_s, 3),
        "pipeline_wall_s": summary["wall_s"],
        "cpu_s": round(measured.cpu_s, 3),
        "cores_used": round(measured.cpu_s / measured.wall_s, 2),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "loop_lag": summary["loop_lag"],
        "stages": summary["stages"],
        "counts": summary["counts"],
        "digest": summary["digest"],
    }


def aggregate(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per plan: medians over its repeats, min and max of the wall time."""
    reference = results[0]["digest"] if results else ""
    rows = []
    for label in dict.fromkeys(result["label"] for result in results):
        runs = [result for result in results if result["label"] == label]
        rows.append(_row(runs, reference))
    return rows


def _row(runs: list[dict[str, Any]], reference: str) -> dict[str, Any]:
    walls = [run["pipeline_wall_s"] for run in runs]
    return {
        **runs[0]["plan"],
        "label": runs[0]["label"],
        "runs": len(runs),
        "wall_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "wall_max_s": max(walls),
        "process_wall_s": _median(runs, lambda run: run["process_wall_s"]),
        "cpu_s": _median(runs, lambda run: run["cpu_s"]),
        "cores_used": _median(runs, lambda run: run["cores_used"]),
        "peak_rss_mb": _median(runs, lambda run: run["peak_rss_mb"]),
        "lag_max_ms": _median(runs, lambda run: run["loop_lag"]["max_ms"]),
        "lag_p99_ms": _median(runs, lambda run: run["loop_lag"]["p99_ms"]),
        **{
            f"{stage}_per_s": _median(runs, lambda run, s=stage: run["stages"][s]["per_s"])
            for stage in STAGES
        },
        **{
            f"{stage}_busy_s": _median(runs, lambda run, s=stage: run["stages"][s]["busy_s"])
            for stage in STAGES
        },
        "digest_ok": all(run["digest"] == reference for run in runs),
    }


def _median(runs: list[dict[str, Any]], value: Any) -> float:
    return round(statistics.median(value(run) for run in runs), 3)


def run_all(
    plans: list[tuple[int, RunPlan]],
    open_site: Any,
    out: Path,
    extra: list[str],
    progress: Any,
    results: list[dict[str, Any]],
) -> None:
    """Run every plan against a fresh site from open_site(latency_ms), appending to results
    as each finishes (so a failure or Ctrl-C keeps what was measured)."""
    for index, (repeat, plan) in enumerate(plans):
        run_dir = out / "runs" / f"{index:03d}-{plan.crawl}-{plan.write}-{plan.resize}-r{repeat}"
        progress.set_postfix_str(plan.label)
        with open_site(plan.latency_ms) as origin:
            results.append({**run_one(plan, f"{origin}/", run_dir, extra), "repeat": repeat})
        progress.update()
