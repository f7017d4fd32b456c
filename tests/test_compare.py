"""compare: what it plans, and real runs in child processes measured, ranked and checked."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from claims.measures import peak_in_flight
from compare.chart import MODEL_COLOURS, alone_panels, pipeline_panels, plot
from compare.plan import DEFAULT_MODELS, CompareRequest, RunPlan, aggregate, plan_runs, run_all
from compare.ranking import rank
from compare.results import findings, write_results
from config import RunConfig
from measure.interpreter import machine
from models.registry import MODEL_NAMES, models_for
from report import tables
from tests.conftest import MiniSite, photo_bytes, serving

LOCAL = models_for("crawl")  # the four models of one machine; dask has tests of its own


def test_by_default_each_stage_runs_alone_on_each_model_once() -> None:
    plans = [plan for _, plan in plan_runs(CompareRequest(models=LOCAL))]
    assert len(plans) == 12  # 3 stages x 4 models
    assert {(plan.view, plan.stage) for plan in plans} == {
        ("alone", "crawl"),
        ("alone", "write"),
        ("alone", "resize"),
    }
    assert {plan.model for plan in plans if plan.stage == "write"} == set(LOCAL)


def test_in_pipeline_adds_the_whole_run_with_one_stage_swapped() -> None:
    request = CompareRequest(models=LOCAL, views=("alone", "pipeline"))
    whole = [plan for _, plan in plan_runs(request) if plan.view == "pipeline"]
    assert len(whole) == 10  # 3 stages x 4 models, the all-defaults run counted once
    assert RunPlan(**DEFAULT_MODELS) in whole
    swapped = [sum(getattr(p, s) != m for s, m in DEFAULT_MODELS.items()) for p in whole]
    assert max(swapped) == 1


def test_the_full_matrix_has_all_64_combinations_of_the_whole_pipeline() -> None:
    plans = {plan for _, plan in plan_runs(CompareRequest(models=LOCAL, full_matrix=True))}
    assert len(plans) == 64 and {plan.view for plan in plans} == {"pipeline"}


def test_a_stage_alone_is_swept_only_over_its_own_knobs() -> None:
    request = CompareRequest(
        models=("threads",), latencies_ms=(0, 50), concurrencies=(4, 64), resize_workers=(1, 2)
    )
    plans = [plan for _, plan in plan_runs(request)]
    assert [plan.stage for plan in plans].count("crawl") == 4  # 2 latencies x 2 concurrencies
    assert [plan.stage for plan in plans].count("resize") == 2
    assert [plan.stage for plan in plans].count("write") == 1


def test_repeats_are_interleaved() -> None:
    request = CompareRequest(stages=("crawl",), repeat=2, latencies_ms=(0, 50))
    planned = plan_runs(request)
    first_round = [plan for repeat, plan in planned if repeat == 0]
    assert len(planned) == 2 * len(first_round) == 2 * 4 * 2
    assert planned[: len(first_round)] == [(0, plan) for plan in first_round]
    assert [plan for repeat, plan in planned if repeat == 1] == first_round


class Counting:
    """Stands in for the tqdm bar: counts updates."""

    def __init__(self) -> None:
        self.updates = 0

    def update(self) -> None:
        self.updates += 1

    def set_postfix_str(self, text: str) -> None:
        self.text = text


def serve_as_is(origin: str):
    """An open_site for run_all that always yields the same running site."""

    @contextlib.contextmanager
    def open_site(latency_ms: float) -> Iterator[str]:
        yield origin

    return open_site


@pytest.fixture(scope="module")
def small_site() -> Iterator[str]:
    """Four pages, six images (one broken, one shown under two URLs)."""
    site = MiniSite()
    images = {f"/i{index}.jpg": photo_bytes((300 + 40 * index, 200)) for index in range(4)}
    images["/copy.jpg"] = images["/i0.jpg"]
    images["/broken.jpg"] = b"\xff\xd8\xff not really"
    for path, data in images.items():
        site.add_bytes(path, data)
    site.add_page("/", links=["/a", "/b", "/c"], images=["/i0.jpg", "/broken.jpg"])
    site.add_page("/a", images=["/i1.jpg", "/copy.jpg"])
    site.add_page("/b", images=["/i2.jpg"])
    site.add_page("/c", images=["/i3.jpg", "/i0.jpg"])
    with serving(site.app) as origin:
        yield origin


@pytest.fixture(scope="module")
def compared(small_site: str, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """Every stage alone on every model once, plus the whole pipeline with resize swapped."""
    out = tmp_path_factory.mktemp("compare")
    knobs = {"concurrencies": (4,), "resize_workers": (2,), "write_workers": (2,)}
    alone = CompareRequest(models=LOCAL, **knobs)
    whole = CompareRequest(
        views=("pipeline",), stages=("resize",), models=("threads", "processes"), **knobs
    )
    plans = [*plan_runs(alone), *plan_runs(whole)]
    results: list[dict] = []
    progress = Counting()
    run_all(plans, RunConfig("", out, sizes=(64,)), serve_as_is(small_site), out, progress, results)
    assert progress.updates == len(plans)
    return results


def test_every_model_of_every_stage_alone_gives_the_same_outputs(compared: list[dict]) -> None:
    results = compared
    rows = aggregate(results)
    alone = [row for row in rows if row["view"] == "alone"]
    assert len(alone) == 12 and all(row["digest_ok"] for row in alone)
    for stage in ("crawl", "write", "resize"):
        digests = {r["digest"] for r in results if r["plan"]["stage"] == stage}
        assert len(digests) == 1, stage
    # The proof covers the files each stage wrote, byte for byte.
    for stage, folder in (("write", "originals"), ("resize", "thumbnails")):
        written = [
            {p.relative_to(Path(r["run_dir"])): p.read_bytes() for p in _files(r, folder)}
            for r in results
            if r["plan"]["stage"] == stage
        ]
        assert written[0] and all(files == written[0] for files in written)
    alone_results = [r for r in results if r["plan"]["view"] == "alone"]
    counts = {r["plan"]["stage"]: r["stages"][r["plan"]["stage"]]["items"] for r in alone_results}
    assert counts == {"crawl": 11, "write": 6, "resize": 6}  # crawl: robots.txt, 4 pages, 6 images


def _files(result: dict, folder: str) -> list[Path]:
    return sorted(p for p in (Path(result["run_dir"]) / folder).rglob("*") if p.is_file())


def test_a_stage_alone_is_measured_by_its_own_window(compared: list[dict]) -> None:
    results = compared
    for result in results:
        if result["plan"]["view"] == "alone":
            assert 0 < result["wall_s"] <= result["process_wall_s"]
            assert result["cpu_s"] > 0 and result["peak_rss_mb"] > 10
            assert list(result["stages"]) == [result["plan"]["stage"]]


def test_the_files_tables_and_chart_rank_each_stage_by_its_own_time(
    compared: list[dict], tmp_path: Path
) -> None:
    results = compared
    rows = aggregate(results)
    rank(rows)
    write_results(tmp_path, rows, results, {"note": "test"}, findings(rows))
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["machine"]["cores"] == machine()["cores"]
    assert len(document["runs"]) == len(results) and document["findings"]
    assert (tmp_path / "results.csv").read_text().count("\n") == len(rows) + 1
    assert "resize" in format_alone(rows) and "processes" in format_pipeline(rows)
    for _, _, members, _ in alone_panels(rows):
        walls = [row["wall_s"] for row in members]
        rates = [row["per_s"] for row in members]
        assert walls == sorted(walls)  # fastest first: a shorter bar is a faster model
        assert rates == sorted(rates, reverse=True)
    assert plot(rows, tmp_path / "chart.png")
    with Image.open(tmp_path / "chart.png") as chart:
        assert chart.format == "PNG" and chart.width > 500


def test_an_asyncio_crawl_overlaps_the_waits_a_sequential_one_takes_in_turn(
    tmp_path: Path,
) -> None:
    site = MiniSite()
    paths = [f"/p{index}" for index in range(40)]
    site.add_page("/", links=paths)
    for path in paths:
        site.add_page(path, links=paths[:3])
    site.delay_s = 0.02  # every answer takes 20 ms: waiting is what concurrency overlaps
    plans = [
        (0, RunPlan("alone", "crawl", crawl=model, concurrency=16))
        for model in ("asyncio", "sequential")
    ]
    results: list[dict] = []
    with serving(site.app) as origin:
        run_all(plans, RunConfig("", tmp_path), serve_as_is(origin), tmp_path, Counting(), results)
    # What concurrency does to waiting, read from each run's timeline rather than its speed
    # (a busy machine slows both; it cannot make one fetch at a time overlap).
    in_flight = {r["plan"]["crawl"]: peak_in_flight(r) for r in results}
    assert in_flight["sequential"] == 1
    assert in_flight["asyncio"] >= 8


def row(stage: str, model: str, walls: list[float], view: str = "alone", **extra: object) -> dict:
    """A synthetic aggregated row, as compare.plan.aggregate makes them."""
    plan = {**DEFAULT_MODELS, **({stage: model} if stage else {})}
    return {
        **plan,
        "view": view,
        "stage": stage if view == "alone" else "",
        "model": model,
        "knobs": "k",
        "label": f"{view} {stage} {model}",
        "walls": walls,
        "wall_s": sorted(walls)[len(walls) // 2],
        "items": 100,
        "per_s": 100 / sorted(walls)[len(walls) // 2],
        "latency_ms": 0.0,
        "concurrency": 64,
        "resize_workers": 2,
        "write_workers": 4,
        "python": "",
        "interpreter": "3.11.7, GIL on",
        "taken": 0.02,  # a quiet machine
        **extra,
    }


def test_a_gap_the_repeats_do_not_establish_is_called_inconclusive() -> None:
    rows = [
        row("crawl", "asyncio", [1.0, 1.0, 1.0]),
        row("crawl", "threads", [1.5, 1.6, 1.55]),
        row("crawl", "sequential", [1.02, 1.3, 0.99]),
    ]
    rank(rows)
    outcomes = {r["model"]: r["vs_best_outcome"] for r in rows}
    assert outcomes == {"asyncio": "", "threads": "holds", "sequential": "inconclusive"}
    said = findings(rows)[0]
    assert "threads 1.55x slower" in said and "sequential 1.02x but inconclusive" in said


def test_a_gap_under_5_percent_on_every_repeat_is_marked_within_not_overlapping() -> None:
    shown = {"cpu_s": 1.0, "cores_used": 1.0, "peak_rss_mb": 100.0, "digest_ok": True}
    shown |= {"lag_max_ms": 1.0, "lag_p99_ms": 1.0}
    rows = [
        row("write", "threads", [1.0, 1.0, 1.0], **shown),
        row("write", "processes", [1.02, 1.03, 1.01], **shown),  # under 1.05x on every repeat
        row("write", "sequential", [1.02, 1.3, 0.99], **shown),  # repeats on both sides
    ]
    for r in rows:
        r["wall_min_s"], r["wall_max_s"] = min(r["walls"]), max(r["walls"])
    rank(rows)
    table = {line.split()[1]: line for line in format_alone(rows).splitlines()[2:]}
    assert "1.02x =" in table["processes"] and "1.02x ~" in table["sequential"]
    [(_, _, members, note)] = alone_panels(rows)
    notes = {r["model"]: note(r) for r in members}
    assert "(= fastest: within 5%)" in notes["processes"]
    assert "(~ fastest: repeats overlap)" in notes["sequential"]
    assert "processes within 5% (1.02x)" in findings(rows)[0]


def test_a_slower_model_never_shows_a_smaller_ratio_to_the_fastest() -> None:
    # Paired ratios' medians can order two close rivals the other way round from their
    # median walls (seen: threads 0.61 s at 1.59x above sequential 0.62 s at 1.54x).
    rows = [
        row("crawl", "asyncio", [0.38, 0.41, 0.38]),
        row("crawl", "threads", [0.61, 0.66, 0.61]),
        row("crawl", "sequential", [0.55, 0.62, 0.71]),
    ]
    rank(rows)
    ranked = sorted(rows, key=lambda r: r["wall_s"])
    assert [r["model"] for r in ranked] == ["asyncio", "threads", "sequential"]
    assert [r["vs_best"] for r in ranked] == sorted(r["vs_best"] for r in ranked)
    assert ranked[2]["vs_best"] == round(0.62 / 0.38, 2)


def test_when_a_stage_is_not_the_bottleneck_the_findings_say_so() -> None:
    rows = [
        row("crawl", "asyncio", [0.4, 0.4, 0.4]),
        row("crawl", "sequential", [1.0, 1.0, 1.0]),
        row("resize", "processes", [2.5, 2.5, 2.5]),
        row("", "asyncio", [3.0, 3.1, 3.0], view="pipeline", crawl="asyncio"),
        row("", "sequential", [3.05, 3.0, 3.1], view="pipeline", crawl="sequential"),
    ]
    rank(rows)
    said = " ".join(findings(rows))
    assert (
        "crawl on each model makes the run, against asyncio: sequential 1.02x (no clear difference)"
        in said
    )
    assert "for sequential hardly shows there: the resize stage sets its pace" in said


def test_every_model_has_a_colour_of_its_own_on_the_chart() -> None:
    assert set(MODEL_COLOURS) == set(MODEL_NAMES)
    assert len(set(MODEL_COLOURS.values())) == len(MODEL_COLOURS)


def test_the_whole_pipeline_chart_marks_a_gap_the_repeats_do_not_establish() -> None:
    shown = {"resize_per_s": 100.0, "cores_used": 1.9, "peak_rss_mb": 200.0}
    rows = [
        row("resize", "processes", [1.97, 1.98, 1.96], "pipeline", **shown),
        row("resize", "threads", [2.02, 1.95, 2.07], "pipeline", **shown),
        row("resize", "sequential", [2.98, 2.97, 3.00], "pipeline", **shown),
    ]
    for r in rows:
        r["wall_min_s"], r["wall_max_s"] = min(r["walls"]), max(r["walls"])
    [(_, _, members, note)] = pipeline_panels(rows)
    notes = {r["resize"]: note(r) for r in members}
    assert "~ fastest" in notes["threads"]
    assert "fastest" not in notes["processes"] + notes["sequential"]


def test_a_ranking_measured_on_a_busy_machine_says_so_in_words_table_and_chart() -> None:
    rows = [
        row("crawl", "asyncio", [1.0, 1.0, 1.0]),
        row("crawl", "threads", [1.5, 1.6, 1.55], taken=0.93),
    ]
    rank(rows)
    assert findings(rows)[0].endswith(
        "(measured while other programs used up to 0.9 core: this ranking may not hold on a "
        "quiet machine.)"
    )
    table = format_alone([{**r, **TABLE_FIELDS} for r in rows]).splitlines()
    assert table[2].split()[-2:] == ["0.02", "yes"] and "0.93!" in table[3]
    [(title, _, _, _)] = alone_panels(rows)
    assert title.endswith(
        "\nBUSY MACHINE: measured while other programs used up to 0.9 core: "
        "this ranking may not hold on a quiet machine"
    )


def test_a_quiet_ranking_carries_no_warning() -> None:
    rows = [row("crawl", "asyncio", [1.0] * 3), row("crawl", "threads", [1.5] * 3, taken=0.2)]
    rank(rows)
    [(title, _, _, _)] = alone_panels(rows)
    assert "busy" not in findings(rows)[0] and "BUSY" not in title


TABLE_FIELDS = {
    "wall_min_s": 1.0,
    "wall_max_s": 1.6,
    "cpu_s": 1.0,
    "cores_used": 1.0,
    "peak_rss_mb": 100.0,
    "lag_max_ms": 1.0,
    "lag_p99_ms": 1.0,
    "digest_ok": True,
}


def format_alone(rows: list[dict]) -> str:
    """The stage-alone table as the terminal shows it."""
    alone = tables.alone_rows(rows)
    return tables.terminal(alone, tables.alone_columns(alone))


def format_pipeline(rows: list[dict]) -> str:
    """The whole-pipeline table as the terminal shows it."""
    return tables.terminal(tables.pipeline_rows(rows), tables.PIPELINE)
