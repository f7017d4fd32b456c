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
from typing import NamedTuple

from PIL import Image

from crawler.crawl import Crawler, CrawlSettings
from measure.process import cpu_seconds
from models.fetchers import TimedFetcher
from models.registry import MODELS
from models.stages import StageStats
from processing.originals import ORIGINALS_DIR, Original, Saved, save_original
from processing.thumbnails import load_upright, make_thumbnails
from runfolder.folders import prepare_run_dir
from stats import Stats

SIZES = (128, 256)


class Cost(NamedTuple):
    """What running a stage alone took: wall seconds, and CPU seconds of every process."""

    wall_s: float
    cpu_s: float


class _Timer:
    """Measures the wall and CPU time of a with-block (CPU: ours and our reaped children)."""

    def __enter__(self) -> _Timer:
        self.started, self.cpu_started = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *_: object) -> None:
        self.cost = Cost(time.perf_counter() - self.started, cpu_seconds() - self.cpu_started)


def crawl_alone(start_url: str, concurrency: int = 64) -> Cost:
    """The cost of the asyncio crawl of start_url with nothing downstream."""

    async def discard(_: object) -> None:
        pass

    async def crawl() -> None:
        settings, stats = CrawlSettings(), Stats()
        meter = StageStats("crawl", "asyncio", concurrency, stats)
        async with AsyncExitStack() as stack:
            opened = await MODELS["asyncio"].open_fetcher(concurrency, settings.limits, stack)
            fetcher = TimedFetcher(opened, meter)
            crawler = Crawler(start_url, settings, concurrency, fetcher, discard, discard, stats)
            await crawler.prepare()
            await crawler.run()

    with _Timer() as timer:
        asyncio.run(crawl())
    return timer.cost


def saved_originals(run_dir: Path) -> list[Saved]:
    """The originals a finished run saved, as the resize stage receives them."""
    with (run_dir / "images.jsonl").open() as lines:
        rows = {row["original"]: row for row in map(json.loads, lines) if row["original"]}
    return [Saved(row["url"], path, Path(path).stem, row["bytes"]) for path, row in rows.items()]


def write_alone(originals: list[Saved], source: Path, out: Path, workers: int = 4) -> Cost:
    """The cost of a thread pool saving every original again into a new run folder."""
    data = [Original(saved.url, (source / saved.path).read_bytes()) for saved in originals]
    prepare_run_dir(out, SIZES)
    with _Timer() as timer, MODELS["threads"].make_executor(workers) as pool:
        list(pool.map(partial(save_original, run_dir=str(out)), data))
    return timer.cost


def resize_alone(originals: list[Saved], source: Path, out: Path, workers: int) -> Cost:
    """The cost of a fresh process pool of `workers` making every thumbnail, start-up
    included, reading source's originals and writing into a new run folder."""
    prepare_run_dir(out, SIZES)
    (out / ORIGINALS_DIR).rmdir()
    (out / ORIGINALS_DIR).symlink_to(source / ORIGINALS_DIR)
    with _Timer() as timer, MODELS["processes"].make_executor(workers) as pool:
        _resize_all(pool, originals, out)
    return timer.cost


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
