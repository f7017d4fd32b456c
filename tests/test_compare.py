"""compare: what it plans, and real runs in child processes measured and checked."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from compare.chart import plot
from compare.plan import (
    DEFAULT_MODELS,
    CompareRequest,
    RunPlan,
    aggregate,
    plan_runs,
    run_all,
)
from compare.results import format_table, machine, write_results
from config import RunConfig
from tests.conftest import MiniSite, photo_bytes, serving


def test_the_default_plan_swaps_each_stage_through_each_model_once() -> None:
    plans = [plan for _, plan in plan_runs(CompareRequest())]
    assert len(plans) == 10  # 3 stages x 4 models, the all-defaults run counted once
    assert RunPlan(**DEFAULT_MODELS) in plans
    assert RunPlan(crawl="threads") in plans and RunPlan(resize="asyncio") in plans
    assert all(sum(getattr(p, s) != DEFAULT_MODELS[s] for s in DEFAULT_MODELS) <= 1 for p in plans)


def test_the_full_matrix_has_all_64_combinations() -> None:
    plans = {plan for _, plan in plan_runs(CompareRequest(full_matrix=True))}
    assert len(plans) == 64


def test_models_can_be_limited() -> None:
    request = CompareRequest(stages=("crawl",), models=("asyncio", "threads"))
    assert [plan.crawl for _, plan in plan_runs(request)] == ["asyncio", "threads"]


def test_repeats_are_interleaved_and_sweeps_multiply() -> None:
    request = CompareRequest(
        stages=("crawl",), repeat=2, latencies_ms=(0, 50), concurrencies=(4, 64)
    )
    planned = plan_runs(request)
    assert len(planned) == 2 * 4 * 2 * 2
    first_round = [plan for repeat, plan in planned if repeat == 0]
    assert [plan for repeat, plan in planned if repeat == 1] == first_round
    assert planned[: len(first_round)] == [(0, plan) for plan in first_round]


@pytest.fixture
def tiny_site() -> Iterator[str]:
    site = MiniSite()
    site.add_page("/", links=["/a"], images=["/x.jpg"])
    site.add_page("/a", images=["/y.jpg", "/x.jpg"])
    site.add_bytes("/x.jpg", photo_bytes((400, 300)))
    site.add_bytes("/y.jpg", photo_bytes((300, 400)))
    with serving(site.app) as origin:
        yield origin


class Counting:
    """Stands in for the tqdm bar: counts updates."""

    def __init__(self) -> None:
        self.updates = 0

    def update(self) -> None:
        self.updates += 1

    def set_postfix_str(self, text: str) -> None:
        self.text = text


def test_runs_in_child_processes_are_measured_and_agree(tiny_site: str, tmp_path: Path) -> None:
    plans = [
        (0, RunPlan(resize="threads", concurrency=4)),
        (0, RunPlan(resize="processes", concurrency=4)),
        (1, RunPlan(resize="threads", concurrency=4)),
    ]

    @contextlib.contextmanager
    def open_site(latency_ms: float) -> Iterator[str]:
        yield tiny_site

    progress = Counting()
    results: list[dict] = []
    run_all(plans, RunConfig("", tmp_path, sizes=(64,)), open_site, tmp_path, progress, results)
    assert progress.updates == 3
    rows = aggregate(results)
    assert [row["resize"] for row in rows] == ["threads", "processes"]
    assert rows[0]["runs"] == 2
    assert all(row["digest_ok"] for row in rows)
    for row in rows:
        assert row["wall_min_s"] <= row["wall_s"] <= row["wall_max_s"]
        assert row["cpu_s"] > 0 and row["peak_rss_mb"] > 10
        assert row["resize_per_s"] > 0
    write_results(tmp_path, rows, results, {"note": "test"})
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["machine"]["cores"] == machine()["cores"]
    assert len(document["runs"]) == 3
    assert (tmp_path / "results.csv").read_text().count("\n") == 3
    assert "processes" in format_table(rows)
    assert plot(rows, tmp_path / "chart.png")
    with Image.open(tmp_path / "chart.png") as chart:
        assert chart.format == "PNG" and chart.width > 500


def test_a_digest_mismatch_is_flagged() -> None:
    run = {
        "plan": {},
        "label": "x",
        "pipeline_wall_s": 1.0,
        "process_wall_s": 1.2,
        "cpu_s": 1.0,
        "cores_used": 1.0,
        "peak_rss_mb": 50.0,
        "loop_lag": {"max_ms": 1.0, "p99_ms": 1.0},
        "stages": {s: {"per_s": 1.0, "busy_s": 1.0} for s in ("crawl", "write", "resize")},
    }
    rows = aggregate([{**run, "digest": "a"}, {**run, "label": "y", "digest": "b"}])
    assert [row["digest_ok"] for row in rows] == [True, False]
