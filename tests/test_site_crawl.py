"""The pipeline against the generated site: exactly the right pages and images, every
thumbnail valid and upright, and the same outputs run after run, errors or not."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from config import RunConfig, StageConfig
from crawler.crawl import CrawlSettings
from crawler.http import FetchLimits
from measure.progress import Progress
from pipeline import Pipeline
from testsite import ServeOptions, Site, SiteSpec, build_site, site_process

SPEC = SiteSpec(pages=60, images=30, seed=7, max_megapixels=1.0)
SIZES = (64, 128)
ROTATED = {5, 6, 7, 8}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site-cache")


@pytest.fixture(scope="module")
def site(cache: Path) -> Site:
    return build_site(SPEC, cache)


def crawl_site(cache: Path, run_dir: Path, options: ServeOptions | None = None) -> tuple:
    """Serve the site in its own process, run the default pipeline on it."""
    with site_process(SPEC, options or ServeOptions(), cache) as origin:
        config = RunConfig(
            start_url=f"{origin}/",
            run_dir=run_dir,
            crawl=StageConfig("asyncio", 16),
            crawling=CrawlSettings(limits=FetchLimits(backoff_s=0.01)),
            sizes=SIZES,
        )
        summary = asyncio.run(Pipeline(config, Progress(enabled=False)).run())
    return origin, summary


@pytest.fixture(scope="module")
def first_run(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    run_dir = tmp_path_factory.mktemp("first") / "run"
    origin, summary = crawl_site(cache, run_dir)
    yield origin, summary, run_dir


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_exactly_the_reachable_allowed_pages_are_crawled(site: Site, first_run: tuple) -> None:
    origin, summary, run_dir = first_run
    pages = {row["url"] for row in lines(run_dir / "pages.jsonl")}
    assert pages == site.expected_page_urls(origin)
    assert not pages & site.private_page_urls(origin)  # robots.txt obeyed
    assert not pages & site.hidden_page_urls(origin)  # links in comments and scripts ignored
    assert summary.counts.pages_failed == 0
    assert summary.skipped["robots"] >= 1


def test_every_named_image_is_fetched_and_thumbnailed(site: Site, first_run: tuple) -> None:
    origin, _, run_dir = first_run
    images = lines(run_dir / "images.jsonl")
    assert {row["url"] for row in images} == site.expected_image_urls(origin)
    assert any("://localhost:" in row["url"] for row in images)  # the CDN host too
    assert all(row["ok"] for row in images), [row["error"] for row in images if not row["ok"]]
    for row in images:
        for size in SIZES:
            with Image.open(run_dir / row["thumbnails"][str(size)]) as thumb:
                thumb.load()  # decodes completely: a valid image
                assert max(thumb.size) == min(size, max(row["width"], row["height"]))


def test_exif_orientation_is_applied(site: Site, first_run: tuple) -> None:
    origin, _, run_dir = first_run
    rotated = 0
    for row in lines(run_dir / "images.jsonl"):
        info = site.image_info(row["url"], origin)
        turned = info.exif_orientation in ROTATED
        rotated += turned
        expected = (info.height, info.width) if turned else (info.width, info.height)
        assert (row["width"], row["height"]) == expected
        with Image.open(run_dir / row["thumbnails"]["128"]) as thumb:
            assert (thumb.width >= thumb.height) == (expected[0] >= expected[1])
    assert rotated >= 1


def test_each_original_is_saved_once_under_its_hash(first_run: tuple) -> None:
    _, _, run_dir = first_run
    images = lines(run_dir / "images.jsonl")
    originals = list((run_dir / "originals").iterdir())
    assert len(originals) == len({row["sha256"] for row in images})
    assert all(hashlib.sha256(path.read_bytes()).hexdigest() == path.stem for path in originals)


def test_a_second_crawl_gives_the_same_digest(
    cache: Path, first_run: tuple, tmp_path: Path
) -> None:
    _, again = crawl_site(cache, tmp_path / "run")
    assert again.digest == first_run[1].digest


def test_transient_errors_are_retried_to_the_same_outputs(
    cache: Path, first_run: tuple, tmp_path: Path
) -> None:
    _, flaky = crawl_site(cache, tmp_path / "run", ServeOptions(error_rate=0.3))
    assert flaky.digest == first_run[1].digest
    assert flaky.stages["crawl"].items == first_run[1].stages["crawl"].items
