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
6. The first Ctrl-C stops the crawl; what was already downloaded is still saved and
   thumbnailed, and summary.json says the run was interrupted. A second Ctrl-C quits at once,
   removing temporary files first, so no half-written file is ever left.

Every stage runs through engine.stages.run_stage on a concurrent.futures Executor from the
engine.models registry, so switching a stage's model never touches the stage's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import AsyncExitStack
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import psutil
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from crawler.crawl import Crawler, SiteUnreachable
from crawler.http import Response
from crawler.pages import Page
from engine.cli_options import (
    checked_url,
    compare_options,
    config_from_options,
    crawl_options,
    new_run_dir,
    remove_if_made,
    site_options,
    stage_options,
)
from engine.compare import STAGES, CompareRequest, plan_runs, run_all
from engine.compare_report import report_compare
from engine.config import RunConfig
from engine.fetchers import open_fetcher
from engine.looplag import LoopLag
from engine.models import MODELS
from engine.oslimits import open_files_for
from engine.progress import Progress
from engine.records import RunRecorder, prepare_run_dir
from engine.resume import (
    RESULT_OPTIONS,
    Done,
    load_done,
    page_from_row,
    read_run_info,
    write_run_info,
)
from engine.stages import StageStats, close_queue, run_stage
from engine.summary import build_summary, cpu_seconds, format_summary
from engine.timeline import Timeline
from errors import ErrorInfo, ErrorKind
from processing.files import remove_temp_files
from processing.originals import Original, Saved, save_original
from processing.thumbnails import ImageResult, make_thumbnails

LOGGER = logging.getLogger("pipeline")


class Pipeline:
    """The three stages of one run and the bounded queues between them."""

    def __init__(self, config: RunConfig, progress: Progress) -> None:
        self.config = config
        self.progress = progress
        prepare_run_dir(config.run_dir, config.sizes)
        self.done = load_done(config.run_dir) if config.resume else Done([], [])
        self.recorder = RunRecorder(config.run_dir, config.start_url)
        for row in self.done.pages:
            self.recorder.count_page(row)
        for row in self.done.images:
            self.recorder.count_image(row)
        self.to_write: asyncio.Queue[Original | None] = asyncio.Queue(config.queue_size)
        self.to_resize: asyncio.Queue[Saved | None] = asyncio.Queue(config.queue_size)
        self.crawl_model = MODELS[config.crawl_model]
        self.write_model = MODELS[config.write.model]
        self.resize_model = MODELS[config.resize.model]
        self.timeline = Timeline(config.run_dir) if config.timeline else None
        self.stats = {
            name: StageStats(name, model.name, model.workers(workers), self.timeline)
            for name, model, workers in (
                ("crawl", self.crawl_model, config.crawl.concurrency),
                ("write", self.write_model, config.write.workers),
                ("resize", self.resize_model, config.resize.workers),
            )
        }
        self.crawler: Crawler | None = None
        self.interrupted = False
        self.stopped_by = ""  # why the run stopped early, other than Ctrl-C
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> dict[str, Any]:
        """Run all three stages at once and return the run's summary."""
        started, cpu_started = time.perf_counter(), cpu_seconds()
        if self.timeline is not None:
            self.timeline.begin()
        lag = LoopLag()
        watcher = asyncio.create_task(lag.watch())
        self._loop = asyncio.get_running_loop()
        try:
            async with AsyncExitStack() as stack:
                write_pool, resize_pool = await self._open_stages(stack)
                async with asyncio.TaskGroup() as stages:
                    stages.create_task(self.crawl())
                    stages.create_task(self.write(write_pool))
                    stages.create_task(self.resize(resize_pool))
        finally:
            watcher.cancel()
            self.recorder.close()
            if self.timeline is not None:
                self.timeline.close()
        costs = {
            "started": started,
            "wall_s": time.perf_counter() - started,
            "cpu_s": cpu_seconds() - cpu_started,
            "loop_lag": lag.as_json(),
            "interrupted": self.interrupted,
            "stopped_by": self.stopped_by or None,
            "timeline": self.timeline.describe() if self.timeline is not None else None,
        }
        summary = build_summary(
            self.config, self.recorder, self.stats, self.crawler.frontier.skipped, costs
        )
        self.recorder.write_summary(summary)
        return summary

    async def _open_stages(self, stack: AsyncExitStack) -> tuple[Executor, Executor]:
        """Open each stage's executor (closed by stack) and fetch the start page."""
        settings = replace(self.config.crawl, concurrency=self.stats["crawl"].workers)
        open_files_for(settings.concurrency)
        fetcher = await open_fetcher(self.crawl_model, settings, stack, self.stats["crawl"])
        pools = tuple(
            stack.enter_context(model.make_executor(self.stats[stage].workers))
            for stage, model in (("write", self.write_model), ("resize", self.resize_model))
        )
        self.crawler = Crawler(
            self.config.start_url, settings, fetcher, self.on_page, self.on_download
        )
        await self.crawler.prepare(
            [page_from_row(row) for row in self.done.pages],
            [row["url"] for row in self.done.images],
        )
        self.done = Done([], [])  # replayed: no need to hold every recorded row any longer
        if self.interrupted:
            self._stop_crawl()
        return pools

    def on_ctrl_c(self, *_: Any) -> None:
        """SIGINT handler: the first stops the crawl gracefully, the second quits at once."""
        if self.interrupted:
            quit_now(self.config.run_dir)
        self.interrupted = True
        if self._loop is not None:  # hand over to the loop: a signal handler must stay tiny
            self._loop.call_soon_threadsafe(self._stop_crawl)

    def _stop_crawl(self) -> None:
        LOGGER.warning("Interrupted: saving what was downloaded. Ctrl-C again to quit now.")
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
        work = partial(save_original, run_dir=str(self.config.run_dir))
        try:
            await run_stage(
                work,
                self.to_write,
                self.on_saved,
                _failed_save,
                executor,
                _in_flight(self.stats["write"].workers),
                self.stats["write"],
            )
        finally:
            await close_queue(self.to_resize)

    async def resize(self, executor: Executor) -> None:
        """Stage 3: make the thumbnails of each saved original."""
        work = partial(
            make_thumbnails,
            run_dir=str(self.config.run_dir),
            sizes=self.config.sizes,
            analysis=self.config.analysis,
        )
        await run_stage(
            work,
            self.to_resize,
            self.on_thumbnails,
            _failed_resize,
            executor,
            _in_flight(self.stats["resize"].workers),
            self.stats["resize"],
        )

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


def _first_leaf(group: BaseException) -> BaseException:
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


def quit_now(run_dir: Path) -> None:
    """Stop our worker processes, remove temporary files, and exit at once."""
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()
    remove_temp_files(run_dir)
    os._exit(130)


def _in_flight(workers: int) -> int:
    """Items handed to a pool at once: two per worker, so no worker waits for its next."""
    return 2 * workers


def _failed_save(original: Original, exc: BaseException) -> Saved:
    return Saved(original.url, "", "", len(original.data), ErrorInfo.internal(exc))


def _failed_resize(saved: Saved, exc: BaseException) -> ImageResult:
    return ImageResult(
        saved.url, saved.path, saved.sha256, saved.size, error=ErrorInfo.internal(exc)
    )


# The command line.

SITE_CACHE = Path(__file__).resolve().parent / ".cache" / "site"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log every retry and failure.")
def cli(verbose: bool) -> None:
    """A crawler and thumbnail pipeline for measuring Python's concurrency models."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@cli.command()
@site_options
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0 = any free port).",
)
@click.option("--hostile", is_flag=True, help="Serve the hostile site instead: every trap.")
def serve(
    site_pages: int,
    site_images: int,
    seed: int,
    latency_ms: float,
    jitter_ms: float,
    error_rate: float,
    port: int,
    hostile: bool,
) -> None:
    """Serve the local test site until Ctrl-C."""
    from testsite import ServeOptions, SiteSpec, serve_forever

    if hostile:
        from testsite.hostile import serve_hostile

        serve_hostile(port, lambda url: click.echo(f"Serving the hostile site at {url}/"))
        return

    spec = SiteSpec(pages=site_pages, images=site_images, seed=seed)
    options = ServeOptions(
        latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate, port=port
    )
    serve_forever(spec, options, SITE_CACHE, lambda url: click.echo(f"Serving {url}/"))


@cli.command()
@click.argument("url", required=False)
@crawl_options
@stage_options
@site_options
def crawl(url: str | None, out: Path | None, quiet: bool, **options: Any) -> None:
    """Crawl URL (default: the local test site) and thumbnail every image found."""
    if options["resume"] is not None:
        _resume(url, out, quiet, options)
        return
    start_url = checked_url(url) if url else None
    run_dir = new_run_dir(out)
    if start_url:
        _start(start_url, run_dir, quiet, options, site=None)
        return
    with _local_site(options) as (origin, site):
        _start(f"{origin}/", run_dir, quiet, options, site)


def _start(start_url: str, run_dir: Path, quiet: bool, options: dict[str, Any], site: Any) -> None:
    """Record how the run starts (for --resume), then run it."""
    info = {
        "start_url": start_url,
        "options": {key: options[key] for key in RESULT_OPTIONS},
        "site": site,
    }
    write_run_info(run_dir, info)
    _run_and_report(config_from_options(start_url, run_dir, options), quiet)


def _resume(url: str | None, out: Path | None, quiet: bool, options: dict[str, Any]) -> None:
    """Carry on the run in --resume's folder, as run.json says it started."""
    if url or out:
        raise click.UsageError("--resume takes neither a URL nor --out: the run folder has both")
    run_dir = options["resume"]
    try:
        info = read_run_info(run_dir)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--resume") from None
    stored = info["options"]
    options = {**options, **stored, "sizes": tuple(stored["sizes"])}
    config = config_from_options(info["start_url"], run_dir, options)
    if info["site"] is None:
        _run_and_report(config, quiet)
        return
    # The same site on the same port, so every recorded URL still means the same thing.
    with _local_site(options, port=info["site"]["port"]):
        _run_and_report(config, quiet)


@contextlib.contextmanager
def _local_site(options: dict[str, Any], port: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """Serve the local test site in its own process; yield its origin and what defines it."""
    from testsite import ServeOptions, site_process  # builds the site's images

    spec = _site_spec(options)
    serving = ServeOptions(
        latency_ms=options["latency_ms"],
        jitter_ms=options["jitter_ms"],
        error_rate=options["error_rate"],
        port=port,
    )
    click.echo("Starting the local test site (its first start generates the images)...", err=True)
    with site_process(spec, serving, SITE_CACHE) as origin:
        yield origin, {"port": urlsplit(origin).port}


@cli.command()
@compare_options
def compare(
    stages: tuple[str, ...], models: tuple[str, ...], matrix: str, repeat: int, **options: Any
) -> None:
    """Run the same crawl under several models and compare their costs side by side."""
    from testsite import ServeOptions, site_process

    request = CompareRequest(
        stages=stages or STAGES,
        models=models,
        full_matrix=matrix == "full",
        repeat=repeat,
        latencies_ms=options["latencies"],
        concurrencies=options["concurrencies"],
        resize_workers=options["resize_workers"],
        write_workers=options["write_workers"],
    )
    out = new_run_dir(options["out"], prefix="compare-")
    spec = _site_spec(options)
    extra = [
        "--sizes",
        ",".join(map(str, options["sizes"])),
        "--analysis" if options["analysis"] else "--no-analysis",
    ]
    plans = plan_runs(request)

    def open_site(latency_ms: float) -> Any:
        return site_process(spec, ServeOptions(latency_ms=latency_ms), SITE_CACHE)

    results: list[dict[str, Any]] = []
    try:
        with tqdm(total=len(plans), desc="compare runs", unit=" run", disable=None) as progress:
            run_all(plans, open_site, out, extra, progress, results)
    except RuntimeError as exc:  # one run failed: report it, keep what the others measured
        raise click.ClickException(str(exc)) from None
    finally:
        if results:
            info = {"request": asdict(request), "site": asdict(spec), "extra": extra}
            try:
                report_compare(out, results, info)
            finally:
                _write_report(out)


def _site_spec(options: dict[str, Any]) -> Any:
    """The local site the --site-pages, --site-images and --seed options describe."""
    from testsite import SiteSpec  # loads aiohttp: only when a site is wanted

    return SiteSpec(
        pages=options["site_pages"], images=options["site_images"], seed=options["seed"]
    )


def _run_and_report(config: RunConfig, quiet: bool) -> None:
    """Run the pipeline with progress bars, then print the summary and where results are."""
    progress = Progress(enabled=not quiet)
    pipeline = Pipeline(config, progress)
    # Installed for the whole command, not just while the loop runs: a second Ctrl-C while
    # the summary is printed must still quit cleanly.
    previous = signal.signal(signal.SIGINT, pipeline.on_ctrl_c)
    try:
        with logging_redirect_tqdm(), asyncio.Runner(loop_factory=_loop_factory(config)) as runner:
            summary = runner.run(pipeline.run())
    except SiteUnreachable as exc:
        remove_if_made(config.run_dir)
        raise click.ClickException(str(exc)) from None
    except ExceptionGroup as group:  # a stage died; a full disk under the record files is
        failed_write = group.subgroup(OSError)  # the one cause we can name in one line
        if failed_write is None:
            raise
        reason = _first_leaf(failed_write)
        raise click.ClickException(f"cannot write to the run folder: {reason}") from None
    finally:
        progress.close()
        if not pipeline.interrupted:
            signal.signal(signal.SIGINT, previous)
    click.echo(format_summary(summary))
    _write_report(config.run_dir)
    click.echo(f"Results in {config.run_dir}/")
    if summary["stopped_by"]:
        raise click.ClickException(summary["stopped_by"])
    if summary["interrupted"]:
        # Everything is written; leave before interpreter shutdown, which resets signal
        # handlers and would let another Ctrl-C kill us mid-exit.
        sys.stdout.flush()
        logging.shutdown()
        os._exit(130)


def _write_report(folder: Path) -> None:
    """Write folder's report.html; a failure costs the report, never the run's results."""
    from report import write_compare_report, write_run_report  # only when a run is done

    write = write_run_report if (folder / "summary.json").is_file() else write_compare_report
    try:
        click.echo(f"Report: {write(folder)}")
    except OSError as exc:
        LOGGER.warning("report.html not written: %s", exc)


def _loop_factory(config: RunConfig) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop to run on: the standard one, or uvloop's (libuv, written in Cython)."""
    if config.loop != "uvloop":
        return None
    try:
        import uvloop  # optional: pip install uvloop (the bench extra has it)
    except ImportError:
        raise click.UsageError("--loop uvloop needs uvloop: pip install uvloop") from None
    return uvloop.new_event_loop


if __name__ == "__main__":
    cli()
