"""The whole pipeline under every model: the same site gives the same outputs, byte for byte."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from config import RunConfig, StageConfig
from crawler.crawl import CrawlSettings
from crawler.http import FetchLimits
from measure.progress import Progress
from models.registry import MODELS, models_for
from pipeline import Pipeline
from runfolder.summary import Summary, read_summary
from tests.conftest import MiniSite, photo_bytes, serving

DEFAULTS = {"crawl": "asyncio", "write": "threads", "resize": "processes"}
SINGLE_SWAPS = [
    {**DEFAULTS, stage: model}
    for stage in DEFAULTS
    for model in models_for(stage)
    if DEFAULTS[stage] != model and not MODELS[model].needs  # dask: tests/test_cluster.py
]
MIXED = [
    {"crawl": "threads", "write": "processes", "resize": "threads"},
    {"crawl": "processes", "write": "asyncio", "resize": "sequential"},
    {"crawl": "sequential", "write": "sequential", "resize": "asyncio"},
]


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def small_site() -> Iterator[str]:
    """Twelve pages, ten images of several formats (one broken), served for the module."""
    site = MiniSite()
    images = {
        "/i/photo.jpg": photo_bytes((900, 600)),
        "/i/alpha.png": encoded(Image.new("RGBA", (300, 200), (10, 200, 30, 100)), "PNG"),
        "/i/grey.jpg": encoded(Image.effect_noise((400, 300), 30), "JPEG"),
        "/i/pal.gif": encoded(Image.effect_noise((200, 200), 60).convert("P"), "GIF"),
        "/i/web.webp": photo_bytes((500, 400), "WEBP"),
        "/i/broken.jpg": b"\xff\xd8\xff truncated",
    }
    for index in range(4):
        images[f"/i/extra{index}.jpg"] = photo_bytes((320 + 40 * index, 240))
    for path, data in images.items():
        site.add_bytes(path, data)
    names = sorted(images)
    for index in range(12):
        links = [f"/p{n}" if n else "/" for n in ((index * 5 + k) % 12 for k in (1, 2, 3))]
        shown = [names[(index + k) % len(names)] for k in (0, 3)]
        site.add_page(f"/p{index}" if index else "/", links=[*links, "/"], images=shown)
    site.delay_s = 0.01  # enough latency for the stages to overlap
    with serving(site.app) as origin:
        yield origin


def run(origin: str, run_dir: Path, models: dict[str, str], analysis: bool = False) -> dict:
    config = RunConfig(
        start_url=f"{origin}/",
        run_dir=run_dir,
        crawl=StageConfig(models["crawl"], 4),
        crawling=CrawlSettings(limits=FetchLimits(retries=1, backoff_s=0.01)),
        write=StageConfig(models["write"], 2),
        resize=StageConfig(models["resize"], 2),
        sizes=(32, 64),
        analysis=analysis,
    )
    return asyncio.run(Pipeline(config, Progress(enabled=False)).run())


def files_of(run_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(run_dir)): path.read_bytes()
        for folder in ("originals", "thumbnails")
        for path in sorted((run_dir / folder).rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def reference(small_site: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Summary, Path]:
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    return run(small_site, run_dir, DEFAULTS), run_dir


def test_the_default_run_finds_everything(reference: tuple[Summary, Path]) -> None:
    summary, run_dir = reference
    assert summary.counts.pages == 12
    assert summary.counts.images == 10
    assert summary.errors == {"undecodable": 1}
    assert summary.counts.thumbnails == 2 * 9
    assert len(files_of(run_dir)) == 10 + 2 * 9
    assert not list(run_dir.rglob(".tmp-*"))
    assert_timeline_shows_the_models(summary, DEFAULTS)
    assert read_summary(run_dir) == summary  # summary.json gives back what the run returned


@pytest.mark.parametrize(
    "models", SINGLE_SWAPS + MIXED, ids=lambda m: "-".join(f"{k}={v}" for k, v in m.items())
)
def test_every_model_produces_identical_outputs(
    small_site: str, reference: tuple[Summary, Path], tmp_path: Path, models: dict[str, str]
) -> None:
    expected, expected_dir = reference
    summary = run(small_site, tmp_path / "run", models)
    assert summary.digest == expected.digest
    assert summary.counts == expected.counts
    assert files_of(tmp_path / "run") == files_of(expected_dir)
    assert {name: row.model for name, row in summary.stages.items()} == models
    assert_timeline_shows_the_models(summary, models)


LANE_KINDS = {"threads": "thread", "sequential": "thread", "processes": "process"}


def assert_timeline_shows_the_models(summary: Summary, models: dict[str, str]) -> None:
    """Each stage's lanes are the workers its model promises: task slots for the asyncio
    crawl, the loop thread for asyncio work, threads, or processes; no more than asked."""
    timeline = summary.timeline
    assert timeline is not None
    assert timeline.spans == sum(row.items for row in summary.stages.values())
    for stage, model in models.items():
        kind = "task" if stage == "crawl" else "loop"
        kinds = {lane.kind for lane in timeline.lanes[stage]}
        assert kinds == {LANE_KINDS.get(model, kind)}, stage
        assert len(timeline.lanes[stage]) <= summary.stages[stage].workers


def test_stages_overlap_in_time(reference: tuple[Summary, Path]) -> None:
    summary, run_dir = reference
    images = [json.loads(line) for line in (run_dir / "images.jsonl").read_text().splitlines()]
    assert len(images) == 10
    crawl, write, resize = (summary.stages[name] for name in ("crawl", "write", "resize"))
    assert write.start_s < crawl.end_s
    assert resize.start_s < crawl.end_s  # thumbnails were made while pages were fetched


def test_the_analysis_step_gives_the_same_colours_on_threads_and_processes(
    small_site: str, tmp_path: Path
) -> None:
    runs = {
        model: run(small_site, tmp_path / model, {**DEFAULTS, "resize": model}, analysis=True)
        for model in ("threads", "processes")
    }
    assert runs["threads"].digest == runs["processes"].digest
    rows = [json.loads(line) for line in (tmp_path / "threads" / "images.jsonl").open()]
    assert sum(bool(row["colours"]) for row in rows) == 9  # every decodable image


async def run_watching_queues(pipeline: Pipeline) -> tuple[dict[str, int], Summary]:
    """Run the pipeline while noting the most items each queue between stages ever held."""
    peaks = {"to_write": 0, "to_resize": 0}

    async def watch() -> None:
        while True:
            for name in peaks:
                peaks[name] = max(peaks[name], getattr(pipeline, name).qsize())
            await asyncio.sleep(0.001)

    watcher = asyncio.create_task(watch())
    try:
        return peaks, await pipeline.run()
    finally:
        watcher.cancel()


def test_a_fast_stage_waits_for_a_slow_one_instead_of_piling_up(tmp_path: Path) -> None:
    site = MiniSite()
    names = [f"/i{index}.jpg" for index in range(12)]
    for name in names:
        site.add_bytes(name, photo_bytes((200, 150)))  # noise: every image differs
    site.add_page("/", images=names)
    config = RunConfig(
        start_url="",
        run_dir=tmp_path / "run",
        crawl=StageConfig("asyncio", 8),  # fast: local, no latency
        write=StageConfig("threads", 1),
        resize=StageConfig("sequential", 1),  # slow: one at a time, pure-Python colours
        analysis=True,
        sizes=(64,),
        queue_size=2,
    )
    with serving(site.app) as origin:
        pipeline = Pipeline(replace(config, start_url=f"{origin}/"), Progress(enabled=False))
        peaks, summary = asyncio.run(run_watching_queues(pipeline))
    assert summary.counts.thumbnails == 12  # every image made it through
    # Each queue filled up to its bound, and the stage before it waited there.
    assert peaks == {"to_write": 2, "to_resize": 2}
