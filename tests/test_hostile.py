"""The hostile site under every crawl model: each trap is recorded as it must be, the crawl
goes on, and nothing is written outside the run folder, whatever the URLs say."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from config import RunConfig, StageConfig
from crawler.crawl import CrawlSettings
from crawler.http import FetchLimits
from measure.progress import Progress
from pipeline import Pipeline
from tests.conftest import serving
from testsite.hostile.app import make_hostile_app
from testsite.hostile.catalog import IMAGES
from testsite.hostile.handlers import HITS
from testsite.hostile.pages import NEVER_FETCHED, PAGES

RUN_FILES = {"pages.jsonl", "images.jsonl", "summary.json", "timeline.jsonl"}


@pytest.fixture
def hostile() -> Iterator[tuple[web.Application, str]]:
    """A fresh hostile site per test: its flaky routes fail once for each crawl."""
    app = make_hostile_app()
    with serving(app) as origin:
        yield app, origin


def outcomes(path: Path) -> dict[str, str]:
    """URL path -> recorded error kind ('ok' for none), from a JSON Lines file."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {
        urlsplit(row["url"]).path: row["error"]["kind"] if row["error"] else "ok" for row in rows
    }


def test_every_trap_is_recorded_and_the_crawl_goes_on(
    hostile: tuple[web.Application, str], tmp_path: Path, model: str
) -> None:
    app, origin = hostile
    run_dir = tmp_path / "run"
    limits = FetchLimits(timeout_s=1.0, retries=1, backoff_s=0.01, max_page_bytes=2_000_000)
    config = RunConfig(
        start_url=f"{origin}/",
        run_dir=run_dir,
        crawl=StageConfig(model, 8),
        sizes=(64,),
        crawling=CrawlSettings(max_depth=8, limits=limits),
    )
    summary = asyncio.run(Pipeline(config, Progress(enabled=False)).run())

    pages = outcomes(run_dir / "pages.jsonl")
    assert {path: pages.get(path) for path in PAGES} == PAGES
    assert not set(NEVER_FETCHED) & set(pages)
    assert not [path for path in NEVER_FETCHED if app[HITS].get(path)]  # not even requested
    assert app[HITS]["/flaky/503"] == app[HITS]["/flaky/429"] == 2  # failed once, retried
    # Known and documented: the HTTP libraries follow a redirect before we see where it
    # went, so an off-site redirect's target is requested once, then discarded.
    assert app[HITS]["/elsewhere"] == 1
    assert set(pages) == set(PAGES)  # nothing else: no mailto:, no malformed URL, no ftp:
    assert outcomes(run_dir / "images.jsonl") == IMAGES
    assert summary.skipped["max_depth"] == 1  # the endless calendar, stopped
    assert summary.skipped["url_too_long"] == 1  # a link of 3,000 characters

    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # nothing written beside the run
    records = (run_dir / "pages.jsonl").read_text() + (run_dir / "images.jsonl").read_text()
    assert str(tmp_path) not in records and "object at 0x" not in records
    for path in run_dir.rglob("*"):
        relative = path.relative_to(run_dir)
        assert relative.parts[0] in {"originals", "thumbnails"} or str(relative) in RUN_FILES
        if path.is_file() and relative.parts[0] != str(relative):
            assert re.fullmatch(r"[0-9a-f]{64}\.\w+", path.name)
