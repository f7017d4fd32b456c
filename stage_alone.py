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
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from config import RunConfig
from crawler.http import Response
from crawler.pages import Page
from models.registry import MODELS
from models.stages import StageWork, close_queue, run_stage
from pipeline import open_crawler, resize_work, stage_meter, write_work
from processing.files import sha256_hex
from processing.originals import ORIGINALS_DIR, Original, Saved
from processing.thumbnails import THUMBNAILS_DIR, ImageResult, without_thumbnails
from runfolder.folders import prepare_run_dir
from runfolder.records import RunRecorder
from runfolder.summary import Summary
from runfolder.timeline import Timeline
from runfolder.window import finish, measured
from stats import Stats


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
        self.meter = stage_meter(config, stage, self.stats, self.timeline)
        # Its input queue and its executor once open: what a watcher (the live view) reads.
        self.queues: dict[str, asyncio.Queue[Any]] = {}
        self.executors: dict[str, Executor] = {}

    async def run(self) -> Summary:
        """Run the stage over its whole input and return the summary (also summary.json)."""
        run = {"crawl": self._crawl, "write": self._write, "resize": self._resize}[self.stage]
        async with measured(self.stats, self.recorder, self.timeline):
            await run()
        for folder in (ORIGINALS_DIR, THUMBNAILS_DIR):
            self.recorder.digest_files(folder)
        return finish(self.config, self.stats, self.recorder, alone=self.stage)

    async def _crawl(self) -> None:
        """The crawl of the start URL; pages recorded, image bytes hashed and dropped."""
        async with AsyncExitStack() as stack:
            crawler = await open_crawler(
                self.config, self.meter, self.stats, self._page, self._download, stack
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
        self.recorder.image(without_thumbnails(saved, saved.error))

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
        self.queues[self.stage] = inbox

        async def feed() -> None:
            try:
                async for item in items:
                    await inbox.put(item)
            finally:
                await close_queue(inbox)

        model = MODELS[self.meter.model]
        async with AsyncExitStack() as stack:
            executor = model.open_executor(self.meter.workers, self.config.dask_scheduler, stack)
            self.executors[self.stage] = executor
            async with asyncio.TaskGroup() as group:
                group.create_task(feed())
                group.create_task(run_stage(stage, inbox, executor, self.meter))


def run_alone(
    config: RunConfig,
    stage: str,
    input_dir: Path | None,
    loop: Callable | None,
    watch: Callable[[StageAlone, asyncio.AbstractEventLoop], None] | None = None,
) -> Summary:
    """Run stage alone (see StageAlone) on a new event loop, first handed to watch if given
    (the live view); return its summary."""
    with asyncio.Runner(loop_factory=loop) as runner:
        alone = StageAlone(config, stage, input_dir)
        if watch is not None:
            watch(alone, runner.get_loop())
        return runner.run(alone.run())
