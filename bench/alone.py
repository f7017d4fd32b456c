"""Each stage run alone, with the pipeline's own code and default models, for make bench.

- crawl alone: the asyncio crawl (pages and image downloads), its output dropped;
- write alone: the originals of a finished run saved again by a thread pool of 4;
- resize alone: the thumbnails of a finished run's originals, on a process pool.
The overlap target compares the whole pipeline's wall time with the slowest of these, and
the resize scaling target compares this resize at 1 worker and at 2, with nothing else
running (inside the pipeline it shares the 2 cores with the crawl).
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import Executor
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path

from PIL import Image

from crawler.crawl import Crawler, CrawlSettings
from engine.fetchers import open_fetcher
from engine.models import MODELS
from engine.records import prepare_run_dir
from engine.stages import StageStats
from processing.originals import ORIGINALS_DIR, Original, Saved, save_original
from processing.thumbnails import load_upright, make_thumbnails

SIZES = (128, 256)


def crawl_alone(start_url: str, concurrency: int = 64) -> float:
    """Seconds for the asyncio crawl of start_url with nothing downstream."""

    async def discard(_: object) -> None:
        pass

    async def crawl() -> None:
        settings = CrawlSettings(concurrency=concurrency)
        stats = StageStats("crawl", "asyncio", concurrency)
        async with AsyncExitStack() as stack:
            fetcher = await open_fetcher(MODELS["asyncio"], settings, stack, stats)
            crawler = Crawler(start_url, settings, fetcher, discard, discard)
            await crawler.prepare()
            await crawler.run()

    started = time.perf_counter()
    asyncio.run(crawl())
    return time.perf_counter() - started


def saved_originals(run_dir: Path) -> list[Saved]:
    """The originals a finished run saved, as the resize stage receives them."""
    with (run_dir / "images.jsonl").open() as lines:
        rows = {row["original"]: row for row in map(json.loads, lines) if row["original"]}
    return [Saved(row["url"], path, Path(path).stem, row["bytes"]) for path, row in rows.items()]


def write_alone(originals: list[Saved], source: Path, out: Path, workers: int = 4) -> float:
    """Seconds for a thread pool to save every original again into a new run folder."""
    data = [Original(saved.url, (source / saved.path).read_bytes()) for saved in originals]
    prepare_run_dir(out, SIZES)
    with MODELS["threads"].make_executor(workers) as pool:
        started = time.perf_counter()
        list(pool.map(partial(save_original, run_dir=str(out)), data))
        return time.perf_counter() - started


def resize_alone(originals: list[Saved], source: Path, out: Path, workers: int) -> float:
    """Seconds for a fresh process pool of `workers` to make every thumbnail, start-up
    included, reading source's originals and writing into a new run folder."""
    prepare_run_dir(out, SIZES)
    (out / ORIGINALS_DIR).rmdir()
    (out / ORIGINALS_DIR).symlink_to(source / ORIGINALS_DIR)
    started = time.perf_counter()
    with MODELS["processes"].make_executor(workers) as pool:
        _resize_all(pool, originals, out)
    return time.perf_counter() - started


def _resize_all(pool: Executor, originals: list[Saved], out: Path) -> None:
    work = partial(make_thumbnails, run_dir=str(out), sizes=SIZES)
    results = list(pool.map(work, originals))
    if not any(result.ok for result in results):
        raise RuntimeError("no thumbnail was made: the bench measured nothing")


def draft_against_naive(paths: list[Path]) -> tuple[float, float]:
    """Seconds to bring each JPEG down to 2 x 256 px: with draft (ours), and by decoding it
    whole and then resizing (the naive way)."""
    started = time.perf_counter()
    for path in paths:
        load_upright(path, max(SIZES))
    draft = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.load()
            image.thumbnail((2 * max(SIZES), 2 * max(SIZES)))
    return draft, time.perf_counter() - started
