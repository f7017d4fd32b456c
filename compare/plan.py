"""compare: the same work under several models, each run in a fresh child process.

Data flow:
1. plan_runs expands the request (stages x models, or the full 4x4x4 matrix, times every
   sweep value) into RunPlans, repeated in interleaved order (A B C A B C) so that a noisy
   moment on a shared machine hits every configuration alike.
2. For each plan, a fresh local site starts in its own process (so latency can differ per
   run and no state leaks between runs); the plan applied to the compare's base RunConfig
   becomes the command line of `crawl` (config.command_line), which runs in a fresh child
   process with its own run folder, measured from outside by measure.process.
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
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from config import DEFAULT_STAGES, STAGES, RunConfig, StageConfig, command_line
from measure.process import run_measured
from models.registry import MODEL_NAMES

DEFAULT_MODELS = {stage: config.model for stage, config in DEFAULT_STAGES.items()}


@dataclass(frozen=True)
class RunPlan:
    """One configuration to run: a model per stage and the swept knobs."""

    crawl: str = DEFAULT_STAGES["crawl"].model
    write: str = DEFAULT_STAGES["write"].model
    resize: str = DEFAULT_STAGES["resize"].model
    latency_ms: float = 0.0
    concurrency: int = DEFAULT_STAGES["crawl"].workers
    resize_workers: int = DEFAULT_STAGES["resize"].workers
    write_workers: int = DEFAULT_STAGES["write"].workers

    def config(self, base: RunConfig, url: str, run_dir: Path) -> RunConfig:
        """base with this plan's models and workers, crawling url into run_dir."""
        return replace(
            base,
            start_url=url,
            run_dir=run_dir,
            crawl=StageConfig(self.crawl, self.concurrency),
            write=StageConfig(self.write, self.write_workers),
            resize=StageConfig(self.resize, self.resize_workers),
        )

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
    concurrencies: tuple[int, ...] = (DEFAULT_STAGES["crawl"].workers,)
    resize_workers: tuple[int, ...] = (DEFAULT_STAGES["resize"].workers,)
    write_workers: int = DEFAULT_STAGES["write"].workers


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


def crawl_command(config: RunConfig) -> list[str]:
    """The command that runs config's crawl in a child process, quietly."""
    return [sys.executable, "-m", "cli", "crawl", "--quiet", *command_line(config)]


def run_one(config: RunConfig, label: str) -> dict[str, Any]:
    """Run config in a child process; return its summary joined with the outside measures."""
    run_dir = config.run_dir
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    measured = run_measured(crawl_command(config), run_dir.with_suffix(".log"))
    summary_path = run_dir / "summary.json"
    if measured.returncode != 0 or not summary_path.exists():
        raise RuntimeError(f"run {label} failed: see {run_dir.with_suffix('.log')}")
    summary = json.loads(summary_path.read_text())
    return {
        "label": label,
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
    base: RunConfig,
    open_site: Any,
    out: Path,
    progress: Any,
    results: list[dict[str, Any]],
) -> None:
    """Run every plan on base against a fresh site from open_site(latency_ms), appending to
    results as each finishes (so a failure or Ctrl-C keeps what was measured)."""
    for index, (repeat, plan) in enumerate(plans):
        run_dir = out / "runs" / f"{index:03d}-{plan.crawl}-{plan.write}-{plan.resize}-r{repeat}"
        progress.set_postfix_str(plan.label)
        with open_site(plan.latency_ms) as origin:
            config = plan.config(base, f"{origin}/", run_dir)
            measured = run_one(config, plan.label)
        results.append({**measured, "plan": asdict(plan), "repeat": repeat})
        progress.update()
