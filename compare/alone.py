"""One stage alone: the pipeline's own stage code on one model, over a fixed input, with
nothing upstream or downstream. compare runs each in a child process
(`python pipeline.py stage STAGE --input DIR ...`) to measure what a model does for a stage.

Data flow:
1. The input is fixed, prepared once by compare: for the crawl, the site at the start URL;
   for write and resize, a finished run's folder (DIR): write gets the bytes of each image
   DIR/images.jsonl names (read from DIR/originals/ as the stage takes them), resize gets
   those originals on disk.
2. The stage runs on its model exactly as in the pipeline: the crawl through
   crawler.crawl.Crawler and the model's fetcher, write and resize through
   models.stages.run_stage on the model's Executor. Its records go to pages.jsonl and
   images.jsonl (the crawl's images with the SHA-256 of their bytes, then dropped).
3. The measured window runs from opening the model's executor (start-up included: a process
   pool's is part of its cost) to its shutdown: summary.json's wall_s and cpu_s (this
   process and its reaped workers), its loop lag and timeline.
4. After the window, every file the stage wrote (originals/, thumbnails/) is hashed into the
   digest, so runs on different models prove they wrote the same bytes.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from config import RunConfig
from crawler.crawl import Crawler
from crawler.http import Response
from crawler.oslimits import open_files_for
from crawler.pages import Page
from measure.looplag import LoopLag
from measure.process import cpu_seconds
from models.fetchers import TimedFetcher
from models.registry import MODELS
from models.stages import END, StageStats, StageWork, run_stage
from pipeline import resize_work, write_work
from processing.files import sha256_hex
from processing.originals import ORIGINALS_DIR, Original, Saved
from processing.thumbnails import THUMBNAILS_DIR, ImageResult
from runfolder.folders import prepare_run_dir
from runfolder.records import RunRecorder
from runfolder.summary import build_summary
from runfolder.timeline import Timeline
from stats import Stats

ALONE_STAGES = ("crawl", "write", "resize")


def input_images(input_dir: Path) -> Iterator[dict[str, Any]]:
    """The rows of input_dir/images.jsonl whose original was saved, one at a time."""
    with (input_dir / "images.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row.get("original"):
                yield row


class StageAlone:
    """Runs one stage of config by itself on its model and records it in config.run_dir."""

    def __init__(self, config: RunConfig, stage: str, input_dir: Path | None) -> None:
        self.config = config
        self.stage = stage
        self.input_dir = input_dir
        self.stats = Stats()
        prepare_run_dir(config.run_dir, config.sizes if stage == "resize" else ())
        self.recorder = RunRecorder(config.run_dir, config.start_url, self.stats)
        self.timeline = Timeline(config.run_dir) if config.timeline else None
        chosen = config.stage(stage)
        model = MODELS[chosen.model]
        workers = model.workers(chosen.workers)
        self.meter = StageStats(stage, model.name, workers, self.stats, self.timeline)

    async def run(self) -> dict[str, Any]:
        """Run the stage over its whole input and return the summary (also summary.json)."""
        run = {"crawl": self._crawl, "write": self._write, "resize": self._resize}[self.stage]
        lag = LoopLag()
        watcher = asyncio.create_task(lag.watch())
        if self.timeline is not None:
            self.timeline.begin()
        started, cpu_started = time.perf_counter(), cpu_seconds()
        self.stats.set("started", started)
        try:
            await run()
        finally:
            self.stats.set("wall_s", time.perf_counter() - started)
            self.stats.set("cpu_s", cpu_seconds() - cpu_started)
            watcher.cancel()
            self.recorder.close()
            if self.timeline is not None:
                self.timeline.close()
        return self._finish(lag)

    def _finish(self, lag: LoopLag) -> dict[str, Any]:
        for folder in (ORIGINALS_DIR, THUMBNAILS_DIR):
            self.recorder.digest_files(folder)
        for key, value in lag.as_json().items():
            self.stats.set(f"loop_lag/{key}", value)
        self.stats.set("timeline", self.timeline and self.timeline.describe())
        self.stats.set("digest", self.recorder.digest())
        summary = {**build_summary(self.config, self.stats), "alone": self.stage}
        self.recorder.write_summary(summary)
        return summary

    async def _crawl(self) -> None:
        """The crawl of the start URL; pages recorded, image bytes hashed and dropped."""
        workers, crawling = self.meter.workers, self.config.crawling
        open_files_for(workers)
        async with AsyncExitStack() as stack:
            model = MODELS[self.meter.model]
            fetcher = await model.open_fetcher(workers, crawling.limits, stack)
            crawler = Crawler(
                self.config.start_url,
                crawling,
                workers,
                TimedFetcher(fetcher, self.meter),
                self._page,
                self._download,
                self.stats,
            )
            await crawler.prepare()
            await crawler.run()

    async def _page(self, page: Page) -> None:
        self.recorder.page(page)

    async def _download(self, response: Response) -> None:
        sha256 = sha256_hex(response.body) if response.ok else ""
        size = len(response.body)
        self.recorder.image(ImageResult(response.url, "", sha256, size, error=response.error))

    async def _write(self) -> None:
        """Save every input image's bytes into this run's originals/."""
        await self._run_stage(write_work(self.config, self._saved), self._originals())

    async def _saved(self, saved: Saved) -> None:
        result = ImageResult(saved.url, saved.path, saved.sha256, saved.size, error=saved.error)
        self.recorder.image(result)

    async def _originals(self) -> AsyncIterator[Original]:
        originals = self.input_dir / ORIGINALS_DIR
        for row in input_images(self.input_dir):
            yield Original(row["url"], (originals / Path(row["original"]).name).read_bytes())

    async def _resize(self) -> None:
        """Make the thumbnails of every input original into this run's thumbnails/."""
        stage = resize_work(self.config, self._thumbnails)
        await self._run_stage(stage, self._saved_inputs())

    async def _thumbnails(self, result: ImageResult) -> None:
        self.recorder.image(result)

    async def _saved_inputs(self) -> AsyncIterator[Saved]:
        # Relative to this run's folder: make_thumbnails reads run_dir/path.
        originals = Path(os.path.relpath(self.input_dir / ORIGINALS_DIR, self.config.run_dir))
        for row in input_images(self.input_dir):
            path = (originals / Path(row["original"]).name).as_posix()
            yield Saved(row["url"], path, row["sha256"], row["bytes"])

    async def _run_stage(self, stage: StageWork, items: AsyncIterator[Any]) -> None:
        """Feed items through a bounded queue to run_stage on the model's executor."""
        inbox: asyncio.Queue[Any] = asyncio.Queue(self.config.queue_size)

        async def feed() -> None:
            try:
                async for item in items:
                    await inbox.put(item)
            finally:
                await inbox.put(END)

        model = MODELS[self.meter.model]
        async with AsyncExitStack() as stack:
            executor = model.open_executor(self.meter.workers, self.config.dask_scheduler, stack)
            async with asyncio.TaskGroup() as group:
                group.create_task(feed())
                group.create_task(run_stage(stage, inbox, executor, self.meter))


def run_alone(config: RunConfig, stage: str, input_dir: Path | None, loop: Callable | None) -> dict:
    """Run stage alone (see StageAlone) on a new event loop; return its summary."""
    with asyncio.Runner(loop_factory=loop) as runner:
        return runner.run(StageAlone(config, stage, input_dir).run())
