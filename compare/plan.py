"""compare: the same work under several models, each run in a fresh child process.

Two views of the same question:
- alone (the default): each stage by itself on each model, over one fixed input
  (stage_alone): the crawl against the local site; write and resize over the originals of
  one crawl made first into <out>/input/. It answers "which model is best for this stage".
- pipeline (--in-pipeline, or --matrix full): the whole pipeline with one stage swapped, or
  every combination: "what does that change for the whole run".

Data flow:
1. plan_runs expands the request into RunPlans: for the alone view, stage x model x the
   sweeps that stage depends on (STAGE_KNOBS); for the pipeline view, one stage swapped at a
   time (or every combination of every stage's models) x every sweep. Repeats are
   interleaved (A B C A B C) so that a noisy moment on a shared machine hits every
   configuration alike.
2. prepare_input crawls the site once with the default models into <out>/input/, when a
   write or resize stage is to run alone: every run of those stages gets the same bytes.
3. For each plan, a fresh local site starts in its own process when the run crawls (so
   latency can differ per run and no state leaks between runs); the plan applied to the
   compare's base RunConfig becomes the child's command line (config.command_line), and
   the child runs in a fresh process measured from outside by measure.process.
   Each run records the cores other programs took meanwhile (measure.conditions).
4. aggregate groups the repeats of each plan: medians, min and max, the most cores others
   took, and checks that every run of a stage alone (or every whole run) produced the same
   outputs (digest).
"""

from __future__ import annotations

import itertools
import statistics
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from config import DEFAULT_STAGES, STAGES, RunConfig, StageConfig, command_line
from measure.conditions import CpuWindow
from measure.interpreter import Interpreter, describe, interpreter_name
from measure.process import run_measured
from models.registry import MODEL_NAMES, MODELS
from runfolder.contract import as_data, from_data
from runfolder.summary import SUMMARY_FILE, read_summary

DEFAULT_MODELS = {stage: config.model for stage, config in DEFAULT_STAGES.items()}
# The knobs each stage's own work depends on: a stage alone is swept over these only.
STAGE_KNOBS = {
    "crawl": ("latency_ms", "concurrency"),
    "write": ("write_workers",),
    "resize": ("resize_workers",),
}
# The RunPlan field that holds each stage's workers (the crawl's: requests in flight).
SWEEPS = {"latency_ms": "latencies_ms", "concurrency": "concurrencies"}
KNOB_LABELS = {
    "latency_ms": "{:g}ms",
    "concurrency": "c{}",
    "resize_workers": "r{}",
    "write_workers": "w{}",
}
INPUT = "input"
# What each stage's items are, in the tables, the findings and the chart.
UNITS = {"crawl": "fetches", "write": "images saved", "resize": "images thumbnailed"}


@dataclass(frozen=True)
class RunPlan:
    """One configuration to run: the view, a model per stage and the swept knobs. In the
    alone view, `stage` is the one stage that runs; in the pipeline view it is empty."""

    view: str = "pipeline"
    stage: str = ""
    crawl: str = DEFAULT_MODELS["crawl"]
    write: str = DEFAULT_MODELS["write"]
    resize: str = DEFAULT_MODELS["resize"]
    latency_ms: float = 0.0
    concurrency: int = DEFAULT_STAGES["crawl"].workers
    resize_workers: int = DEFAULT_STAGES["resize"].workers
    write_workers: int = DEFAULT_STAGES["write"].workers
    python: str = ""  # the interpreter of the child run ("": the one running compare)

    @property
    def crawls(self) -> bool:
        """Whether the run fetches from the site (so it needs one)."""
        return self.view == "pipeline" or self.stage == "crawl"

    @property
    def knobs(self) -> str:
        """The alone stage's own knobs, e.g. '0ms c64' for the crawl ('' in the pipeline)."""
        names = STAGE_KNOBS.get(self.stage, ())
        return " ".join(KNOB_LABELS[knob].format(getattr(self, knob)) for knob in names)

    @property
    def label(self) -> str:
        """A short name, e.g. 'resize alone on threads r2' or 'asyncio/threads/processes
        0ms c64 r2 w4'."""
        where = f" [{interpreter_name(self.python)}]" if self.python else ""
        if self.view == "alone":
            return f"{self.stage} alone on {self.model} {self.knobs}{where}"
        knobs = " ".join(label.format(getattr(self, knob)) for knob, label in KNOB_LABELS.items())
        return f"{self.crawl}/{self.write}/{self.resize} {knobs}{where}"

    @property
    def model(self) -> str:
        """The model of the stage measured alone ('' in the pipeline view)."""
        return getattr(self, self.stage) if self.stage else ""

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


@dataclass(frozen=True)
class CompareRequest:
    """What the user asked compare to vary."""

    stages: tuple[str, ...] = STAGES
    models: tuple[str, ...] = MODEL_NAMES
    views: tuple[str, ...] = ("alone",)
    full_matrix: bool = False
    repeat: int = 1
    latencies_ms: tuple[float, ...] = (0.0,)
    concurrencies: tuple[int, ...] = (DEFAULT_STAGES["crawl"].workers,)
    resize_workers: tuple[int, ...] = (DEFAULT_STAGES["resize"].workers,)
    write_workers: tuple[int, ...] = (DEFAULT_STAGES["write"].workers,)
    pythons: tuple[str, ...] = ("",)


def plan_runs(request: CompareRequest) -> list[tuple[int, RunPlan]]:
    """Return (repeat index, plan) pairs in interleaved order, each plan on each
    interpreter."""
    plans = list(dict.fromkeys([*_alone_plans(request), *_pipeline_plans(request)]))
    plans = [replace(plan, python=python) for plan in plans for python in request.pythons]
    return [(repeat, plan) for repeat in range(request.repeat) for plan in plans]


def _alone_plans(request: CompareRequest) -> Iterator[RunPlan]:
    """Each stage alone on each model, over the sweeps that stage depends on."""
    if "alone" not in request.views or request.full_matrix:
        return
    for stage in request.stages:
        knobs = STAGE_KNOBS[stage]
        values = [getattr(request, SWEEPS.get(knob, knob)) for knob in knobs]
        for model in _usable(request.models, stage):
            for combo in itertools.product(*values):
                yield RunPlan(
                    "alone", stage, **{stage: model}, **dict(zip(knobs, combo, strict=True))
                )


def _pipeline_plans(request: CompareRequest) -> Iterator[RunPlan]:
    """The whole pipeline: one stage swapped at a time (or every combination) x sweeps."""
    if "pipeline" not in request.views and not request.full_matrix:
        return
    yield from _swept(request, _model_choices(request))


def _model_choices(request: CompareRequest) -> Iterator[dict[str, str]]:
    """Model assignments: one stage swapped at a time, or every combination."""
    if request.full_matrix:
        usable = [_usable(request.models, stage) for stage in STAGES]
        for combo in itertools.product(*usable):
            yield dict(zip(STAGES, combo, strict=True))
        return
    for stage in request.stages:
        for model in _usable(request.models, stage):
            yield {**DEFAULT_MODELS, stage: model}


def _usable(models: Iterable[str], stage: str) -> list[str]:
    """The models that can run stage and are installed."""
    return [name for name in models if MODELS[name].runs(stage) and MODELS[name].available()]


def _swept(request: CompareRequest, choices: Iterable[dict[str, str]]) -> Iterator[RunPlan]:
    """Each model assignment at every combination of the sweep values."""
    for models in choices:
        for latency, concurrency, resize, write in itertools.product(
            request.latencies_ms,
            request.concurrencies,
            request.resize_workers,
            request.write_workers,
        ):
            yield RunPlan(
                "pipeline",
                "",
                **models,
                latency_ms=latency,
                concurrency=concurrency,
                resize_workers=resize,
                write_workers=write,
            )


def child_command(config: RunConfig, plan: RunPlan, input_dir: Path) -> list[str]:
    """The command that runs plan's config in a child process of plan's interpreter,
    quietly: the whole `crawl`, or one `stage` alone (write and resize reading input_dir)."""
    command = [plan.python or sys.executable, "-m", "cli"]
    if plan.view == "pipeline":
        return [*command, "crawl", "--quiet", *command_line(config)]
    inputs = [] if plan.stage == "crawl" else ["--input", str(input_dir)]
    return [*command, "stage", plan.stage, *inputs, "--quiet", *command_line(config)]


def run_one(command: list[str], run_dir: Path, label: str) -> dict[str, Any]:
    """Run command (which writes run_dir/summary.json) in a child process; return its
    summary joined with the costs measured from outside."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    log = run_dir.with_suffix(".log")
    window = CpuWindow()
    measured = run_measured(command, log)
    conditions = window.close()
    if measured.returncode != 0 or not (run_dir / SUMMARY_FILE).exists():
        raise RuntimeError(f"run {label} failed: see {log}")
    summary = read_summary(run_dir)
    return {
        "label": label,
        "run_dir": str(run_dir),
        "process_wall_s": round(measured.wall_s, 3),
        "process_cpu_s": round(measured.cpu_s, 3),
        "wall_s": summary.wall_s,
        "cpu_s": summary.cpu_s if summary.alone else round(measured.cpu_s, 3),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "loop_lag": as_data(summary.loop_lag),
        "stages": as_data(summary.stages),
        "counts": as_data(summary.counts),
        "digest": summary.digest,
        "interpreter": as_data(summary.interpreter),
        "conditions": conditions.as_json(),
    }


def prepare_input(base: RunConfig, open_site: Any, folder: Path) -> Path:
    """Crawl the site once on the default models into folder: the write and resize stages'
    fixed input for every run alone."""
    with open_site(0.0) as origin:
        config = replace(base, start_url=f"{origin}/", run_dir=folder)
        run_one(child_command(config, RunPlan(), folder), folder, "input")
    return folder


def run_all(
    plans: list[tuple[int, RunPlan]],
    base: RunConfig,
    open_site: Any,
    out: Path,
    progress: Any,
    results: list[dict[str, Any]],
) -> None:
    """Run every plan on base, against a fresh site from open_site(latency_ms) when it
    crawls, appending to results as each finishes (so a failure or Ctrl-C keeps what was
    measured)."""
    input_dir = out / INPUT
    if any(plan.view == "alone" and not plan.crawls for _, plan in plans):
        prepare_input(base, open_site, input_dir)
    url = input_url(input_dir)
    for index, (repeat, plan) in enumerate(plans):
        name = plan.stage or f"{plan.crawl}-{plan.write}-{plan.resize}"
        run_dir = out / "runs" / f"{index:03d}-{plan.view}-{name}-{plan.model}-r{repeat}"
        progress.set_postfix_str(plan.label)
        if plan.crawls:
            with open_site(plan.latency_ms) as origin:
                measured = run_plan(plan, base, f"{origin}/", run_dir, input_dir)
        else:
            measured = run_plan(plan, base, url, run_dir, input_dir)
        results.append({**measured, "plan": asdict(plan), "knobs": plan.knobs, "repeat": repeat})
        progress.update()


def run_plan(plan: RunPlan, base: RunConfig, url: str, run_dir: Path, input_dir: Path) -> dict:
    """Run plan on base in a child process, into run_dir: its crawl fetches url, its write or
    resize stage alone reads input_dir."""
    config = plan.config(base, url, run_dir)
    return run_one(child_command(config, plan, input_dir), run_dir, plan.label)


def input_url(input_dir: Path) -> str:
    """The URL the input was crawled from (a stage alone records its images under it)."""
    if not (input_dir / SUMMARY_FILE).exists():
        return "http://127.0.0.1/"
    return read_summary(input_dir).start_url


def aggregate(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per plan: medians over its repeats, min and max of the wall time, and
    whether its outputs equal those of the first run of the same stage alone (or of the
    first whole run)."""
    references: dict[tuple[str, str], str] = {}
    for result in results:
        references.setdefault(_output_group(result), result["digest"])
    rows = []
    for label in dict.fromkeys(result["label"] for result in results):
        runs = [result for result in results if result["label"] == label]
        rows.append(_row(runs, references[_output_group(runs[0])]))
    return rows


def _output_group(result: dict[str, Any]) -> tuple[str, str, str]:
    """Runs that must produce the same outputs: a stage alone, or whole runs, with the same
    Pillow (another version encodes other bytes; the row says which it used)."""
    pillow = result["interpreter"]["libraries"]["pillow"] or ""
    return result["plan"]["view"], result["plan"]["stage"], pillow


def _row(runs: list[dict[str, Any]], reference: str) -> dict[str, Any]:
    walls = [run["wall_s"] for run in runs]
    plan = runs[0]["plan"]
    row = {
        **plan,
        "model": plan[plan["stage"]] if plan["stage"] else "",
        "knobs": runs[0]["knobs"],
        "label": runs[0]["label"],
        "interpreter": describe(from_data(Interpreter, runs[0]["interpreter"])).removeprefix(
            "Python "
        ),
        "pillow": runs[0]["interpreter"]["libraries"]["pillow"],
        "runs": len(runs),
        "walls": walls,
        "wall_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "wall_max_s": max(walls),
        "process_wall_s": _median(runs, lambda run: run["process_wall_s"]),
        "cpu_s": _median(runs, lambda run: run["cpu_s"]),
        "cores_used": _median(runs, lambda run: run["cpu_s"] / max(run["wall_s"], 1e-9)),
        "peak_rss_mb": _median(runs, lambda run: run["peak_rss_mb"]),
        "lag_max_ms": _median(runs, lambda run: run["loop_lag"]["max_ms"]),
        "lag_p99_ms": _median(runs, lambda run: run["loop_lag"]["p99_ms"]),
        "digest_ok": all(run["digest"] == reference for run in runs),
        # Cores other programs took while the busiest repeat ran.
        "taken": max(run["conditions"]["taken"] for run in runs),
    }
    if plan["view"] == "alone":
        stage = plan["stage"]
        row["items"] = runs[0]["stages"][stage]["items"]
        row["per_s"] = round(row["items"] / max(row["wall_s"], 1e-9), 1)
        return row
    for stage in STAGES:
        row[f"{stage}_per_s"] = _median(runs, lambda run, s=stage: run["stages"][s]["per_s"])
        row[f"{stage}_busy_s"] = _median(runs, lambda run, s=stage: run["stages"][s]["busy_s"])
    return row


def _median(runs: list[dict[str, Any]], value: Any) -> float:
    return round(statistics.median(value(run) for run in runs), 3)
