"""Crawl a site and make thumbnails of its images, each stage on its own concurrency model.

The data flow of `python pipeline.py crawl [URL]`:
1. Without a URL, start the local test site in its own process (it never shares our GIL).
2. Crawl (default: asyncio + aiohttp): workers fetch pages, follow in-scope links, and
   download every image the pages name. Each page goes to pages.jsonl; each image's bytes go
   into a bounded queue.
3. Write (default: a thread pool): save each image's bytes once as originals/<sha256>.<ext>,
   atomically. Each saved file goes into a second bounded queue.
4. Resize (default: a process pool): make a thumbnail per size from the saved file (workers
   get the path, not the bytes); each image's outcome goes to images.jsonl.
5. The three stages run at once; the bounded queues keep memory flat (a fast stage waits for
   a slow one). At the end summary.json gets the counts, each stage's cost and the digest.
6. The first Ctrl-C (or SIGTERM, as docker stop and systemd send) stops the crawl; what was
   already downloaded is still saved and thumbnailed, and summary.json says the run was
   interrupted, and by which signal. A second one quits at once, removing temporary files
   first, so no half-written file is ever left.

Each stage's model comes from the models.registry: write and resize run through
models.stages.run_stage on that model's concurrent.futures Executor; the crawl runs its own
worker loop (crawler.crawl: it feeds itself) through that model's fetcher. Switching a
stage's model never touches the stage's code. Every number goes into one Stats, and
summary.json is built from it. The command line (cli/) parses options into a RunConfig and
runs this class; `python pipeline.py ...` forwards to it.
"""

from __future__ import annotations

if __name__ == "__main__":
    # `python pipeline.py ...` is `python -m cli ...`, run before this file's imports: the
    # command line then imports the pipeline once (as `pipeline`), and the workers it spawns
    # import only what their work needs, whichever way in was used.
    import runpy

    runpy.run_module("cli", run_name="__main__", alter_sys=True)
    raise SystemExit(0)

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import Any

import psutil

from config import STAGES, RunConfig
from crawler.crawl import Crawler
from crawler.encodings import BROTLI_MISSING, CODINGS
from crawler.http import Response
from crawler.oslimits import open_files_for
from crawler.pages import Page
from errors import ErrorInfo, ErrorKind
from measure.progress import Progress
from models.fetchers import TimedFetcher
from models.registry import MODELS
from models.stages import StageMeter, StageWork, close_queue, run_stage
from processing.files import remove_temp_files
from processing.originals import Original, Saved, failed_save, save_original
from processing.thumbnails import (
    ImageResult,
    failed_resize,
    make_thumbnails,
    read_original,
    render_thumbnails,
    save_thumbnails,
)
from runfolder.folders import prepare_run_dir
from runfolder.records import RunRecorder
from runfolder.resume import Done, load_done, page_from_row
from runfolder.summary import Summary
from runfolder.timeline import Timeline
from runfolder.window import finish, measured
from stats import Stats

LOGGER = logging.getLogger("pipeline")


class Pipeline:
    """The three stages of one run and the bounded queues between them."""

    def __init__(self, config: RunConfig, progress: Progress) -> None:
        self.config = config
        self.progress = progress
        self.stats = Stats()
        prepare_run_dir(config.run_dir, config.sizes)
        self.done = load_done(config.run_dir) if config.resume else Done([], [])
        self.recorder = RunRecorder(config.run_dir, config.start_url, self.stats)
        for row in self.done.pages:
            self.recorder.count_page(row)
        for row in self.done.images:
            self.recorder.count_image(row)
        self.to_write: asyncio.Queue[Original | None] = asyncio.Queue(config.queue_size)
        self.to_resize: asyncio.Queue[Saved | None] = asyncio.Queue(config.queue_size)
        # The bounded queues by the stage each feeds, and each pool stage's executor once open:
        # what a watcher (the live view) reads from another thread.
        self.queues = {"write": self.to_write, "resize": self.to_resize}
        self.executors: dict[str, Executor] = {}
        self.timeline = Timeline(config.run_dir) if config.timeline else None
        self.meters = {
            name: stage_meter(config, name, self.stats, self.timeline) for name in STAGES
        }
        self.crawler: Crawler | None = None
        self.stop_signal = 0  # the signal that stopped the run early (0: none)
        self.stopped_by = ""  # why the run stopped early, other than Ctrl-C
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> Summary:
        """Run all three stages at once and return the run's summary."""
        self._loop = asyncio.get_running_loop()
        async with measured(self.stats, self.recorder, self.timeline), AsyncExitStack() as stack:
            write_pool, resize_pool = await self._open_stages(stack)
            async with asyncio.TaskGroup() as stages:
                stages.create_task(self.crawl())
                stages.create_task(self.write(write_pool))
                stages.create_task(self.resize(resize_pool))
        self.stats.set("interrupted", self.interrupted)
        self.stats.set(
            "signal", signal.Signals(self.stop_signal).name if self.interrupted else None
        )
        self.stats.set("stopped_by", self.stopped_by or None)
        return finish(self.config, self.stats, self.recorder)

    async def _open_stages(self, stack: AsyncExitStack) -> tuple[Executor, Executor]:
        """Open each stage's executor (closed by stack) and fetch the start page."""
        self.crawler = await open_crawler(
            self.config, self.meters["crawl"], self.stats, self.on_page, self.on_download, stack
        )
        for name in ("write", "resize"):
            stage = self.meters[name]
            self.executors[name] = MODELS[stage.model].open_executor(
                stage.workers, self.config.dask_scheduler, stack
            )
        await self.crawler.prepare(
            [page_from_row(row) for row in self.done.pages],
            [row["url"] for row in self.done.images],
        )
        self.done = Done([], [])  # replayed: no need to hold every recorded row any longer
        if self.interrupted:
            self._stop_crawl()
        return self.executors["write"], self.executors["resize"]

    @property
    def interrupted(self) -> bool:
        """Whether a signal stopped the run early."""
        return bool(self.stop_signal)

    def on_signal(self, signum: int, _frame: Any = None) -> None:
        """SIGINT and SIGTERM handler: the first stops the crawl gracefully, the second
        quits at once."""
        if self.interrupted:
            quit_now(self.config.run_dir, 128 + signum)
        self.stop_signal = signum
        if self._loop is not None:  # hand over to the loop: a signal handler must stay tiny
            self._loop.call_soon_threadsafe(self._stop_crawl)

    def _stop_crawl(self) -> None:
        name = signal.Signals(self.stop_signal).name
        LOGGER.warning(
            f"Interrupted ({name}): saving what was downloaded. Ctrl-C again to quit now."
        )
        if self.crawler is not None:
            self.crawler.stop()

    # The stages. Each closes its output in `finally`, so a stage that dies never leaves the
    # next one waiting forever.

    async def crawl(self) -> None:
        """Stage 1: crawl the site, emitting pages and image bytes."""
        try:
            await self.crawler.run()
        finally:
            await close_queue(self.to_write)

    async def write(self, executor: Executor) -> None:
        """Stage 2: save each image's original bytes."""
        stage = write_work(self.config, self.on_saved)
        try:
            await run_stage(stage, self.to_write, executor, self.meters["write"])
        finally:
            await close_queue(self.to_resize)

    async def resize(self, executor: Executor) -> None:
        """Stage 3: make the thumbnails of each saved original."""
        stage = resize_work(self.config, self.on_thumbnails)
        await run_stage(stage, self.to_resize, executor, self.meters["resize"])

    # Routing between stages: failures go straight to the record, successes move on.

    async def on_page(self, page: Page) -> None:
        """A page was crawled."""
        self.recorder.page(page)
        frontier = self.crawler.frontier
        self.progress.discovered(frontier.pages_admitted, frontier.images_admitted)
        self.progress.pages.update()

    async def on_download(self, response: Response) -> None:
        """An image was downloaded, or failed to."""
        if response.ok:
            await self.to_write.put(Original(response.url, response.body))
        else:
            self.recorder.image(ImageResult(response.url, "", "", error=response.error))

    async def on_saved(self, saved: Saved) -> None:
        """An original was saved, or failed to."""
        self.progress.saved.update()
        if saved.error:
            self.recorder.image(ImageResult(saved.url, "", "", saved.size, error=saved.error))
            self._stop_if_disk_failed(saved.error)
        else:
            await self.to_resize.put(saved)

    async def on_thumbnails(self, result: ImageResult) -> None:
        """An image's thumbnails were made, or failed."""
        self.progress.resized.update()
        self.recorder.image(result)
        self._stop_if_disk_failed(result.error)

    def _stop_if_disk_failed(self, error: ErrorInfo | None) -> None:
        """A full or unwritable disk fails every item after it: stop cleanly instead."""
        if error is None or error.kind != ErrorKind.DISK or self.stopped_by:
            return
        self.stopped_by = f"cannot write to the run folder: {error.message}"
        LOGGER.error("%s; stopping the crawl", self.stopped_by)
        if self.crawler is not None:
            self.crawler.stop()


def stage_meter(
    config: RunConfig, name: str, stats: Stats, timeline: Timeline | None
) -> StageMeter:
    """The meter of config's stage name, on its model with the workers it really uses."""
    stage = config.stage(name)
    model = MODELS[stage.model]
    return StageMeter(name, model.name, model.workers(stage.workers), stats, timeline)


async def open_crawler(
    config: RunConfig,
    meter: StageMeter,
    stats: Stats,
    emit_page: Callable[[Page], Awaitable[None]],
    emit_image: Callable[[Response], Awaitable[None]],
    stack: AsyncExitStack,
) -> Crawler:
    """The crawl of config's start URL on meter's model, through its fetcher (stack closes
    it), counting into meter and stats."""
    open_files_for(meter.workers)
    if "br" not in CODINGS:
        LOGGER.info(BROTLI_MISSING)
    model = MODELS[meter.model]
    fetcher = await model.open_fetcher(meter.workers, config.crawling.limits, stack)
    return Crawler(
        config.start_url,
        config.crawling,
        meter.workers,
        TimedFetcher(fetcher, meter),
        emit_page,
        emit_image,
        stats,
    )


def write_work(config: RunConfig, emit: Callable[[Saved], Awaitable[None]]) -> StageWork:
    """The write stage's work: save each original into config's run folder."""
    return StageWork(partial(save_original, run_dir=str(config.run_dir)), emit, failed_save)


def resize_work(config: RunConfig, emit: Callable[[ImageResult], Awaitable[None]]) -> StageWork:
    """The resize stage's work on config's resize model: a worker that shares our disk reads
    the original and writes the thumbnails itself; for one that does not (a cluster's), the
    original's bytes travel to it and the encoded thumbnails come back to be written here."""
    run_dir, sizes, analysis = str(config.run_dir), config.sizes, config.analysis
    if MODELS[config.resize.model].shares_disk:
        work = partial(make_thumbnails, run_dir=run_dir, sizes=sizes, analysis=analysis)
        return StageWork(work, emit, failed_resize)
    return StageWork(
        partial(render_thumbnails, sizes=sizes, analysis=analysis),
        emit,
        failed_resize,
        send=partial(read_original, run_dir=run_dir),
        receive=partial(save_thumbnails, run_dir=run_dir),
    )


def quit_now(run_dir: Path, status: int) -> None:
    """Stop our worker processes, remove temporary files, and exit at once with status."""
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()
    remove_temp_files(run_dir)
    os._exit(status)
