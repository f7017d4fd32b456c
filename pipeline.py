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

Every stage runs through engine.stages.run_stage on a concurrent.futures Executor from the
engine.models registry, so switching a stage's model never touches the stage's code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from contextlib import AsyncExitStack
from dataclasses import asdict, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from crawler.crawl import Crawler, CrawlSettings, SiteUnreachable
from crawler.http import FetchLimits, Response
from crawler.pages import Page
from crawler.urls import normalize
from engine.chart import plot
from engine.compare import STAGES, CompareRequest, aggregate, plan_runs, run_all
from engine.compare_report import format_table, write_results
from engine.config import RunConfig, StageConfig
from engine.fetchers import open_fetcher
from engine.looplag import LoopLag
from engine.models import MODEL_NAMES, MODELS
from engine.progress import Progress
from engine.records import RunRecorder, prepare_run_dir
from engine.stages import END, StageStats, TimedFetcher, run_stage
from engine.summary import build_summary, cpu_seconds, format_summary
from errors import ErrorInfo
from processing.originals import Original, Saved, save_original
from processing.thumbnails import ImageResult, make_thumbnails

LOGGER = logging.getLogger("pipeline")


class Pipeline:
    """The three stages of one run and the bounded queues between them."""

    def __init__(self, config: RunConfig, progress: Progress) -> None:
        self.config = config
        self.progress = progress
        prepare_run_dir(config.run_dir, config.sizes)
        self.recorder = RunRecorder(config.run_dir, config.start_url)
        self.to_write: asyncio.Queue[Original | None] = asyncio.Queue(config.queue_size)
        self.to_resize: asyncio.Queue[Saved | None] = asyncio.Queue(config.queue_size)
        self.crawl_model = MODELS[config.crawl_model]
        self.write_model = MODELS[config.write.model]
        self.resize_model = MODELS[config.resize.model]
        self.stats = {
            "crawl": StageStats(
                config.crawl_model, self.crawl_model.workers(config.crawl.concurrency)
            ),
            "write": StageStats(config.write.model, self.write_model.workers(config.write.workers)),
            "resize": StageStats(
                config.resize.model, self.resize_model.workers(config.resize.workers)
            ),
        }
        self.crawler: Crawler | None = None

    async def run(self) -> dict[str, Any]:
        """Run all three stages at once and return the run's summary."""
        started, cpu_started = time.perf_counter(), cpu_seconds()
        lag = LoopLag()
        watcher = asyncio.create_task(lag.watch())
        async with AsyncExitStack() as stack:
            settings = replace(self.config.crawl, concurrency=self.stats["crawl"].workers)
            fetcher = await open_fetcher(self.crawl_model, settings, stack)
            write_pool = stack.enter_context(
                self.write_model.make_executor(self.stats["write"].workers)
            )
            resize_pool = stack.enter_context(
                self.resize_model.make_executor(self.stats["resize"].workers)
            )
            self.crawler = Crawler(
                self.config.start_url,
                settings,
                TimedFetcher(fetcher, self.stats["crawl"]),
                self.on_page,
                self.on_download,
            )
            await self.crawler.prepare()
            async with asyncio.TaskGroup() as stages:
                stages.create_task(self.crawl())
                stages.create_task(self.write(write_pool))
                stages.create_task(self.resize(resize_pool))
        watcher.cancel()
        self.recorder.close()
        summary = build_summary(
            self.config,
            self.recorder,
            self.stats,
            self.crawler.frontier.skipped,
            {
                "started": started,
                "wall_s": time.perf_counter() - started,
                "cpu_s": cpu_seconds() - cpu_started,
                "loop_lag": lag.as_json(),
            },
        )
        self.recorder.write_summary(summary)
        return summary

    # The stages. Each closes its output in `finally`, so a stage that dies never leaves the
    # next one waiting forever.

    async def crawl(self) -> None:
        """Stage 1: crawl the site, emitting pages and image bytes."""
        try:
            await self.crawler.run()
        finally:
            await self.to_write.put(END)

    async def write(self, executor: Any) -> None:
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
            await self.to_resize.put(END)

    async def resize(self, executor: Any) -> None:
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
        else:
            await self.to_resize.put(saved)

    async def on_thumbnails(self, result: ImageResult) -> None:
        """An image's thumbnails were made, or failed."""
        self.progress.resized.update()
        self.recorder.image(result)


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


class SizeList(click.ParamType):
    """A comma-separated list of thumbnail sizes in pixels, e.g. 128,256."""

    name = "sizes"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[int, ...]:
        """Parse '128,256' into (128, 256); every size between 8 and 4096."""
        if isinstance(value, tuple):
            return value
        try:
            sizes = tuple(sorted({int(part) for part in str(value).split(",")}))
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of integers", param, ctx)
        if not sizes or not all(8 <= size <= 4096 for size in sizes):
            self.fail(f"{value!r}: each size must be between 8 and 4096 pixels", param, ctx)
        return sizes


def site_options(command: Any) -> Any:
    """The options that shape the local test site, shared by `serve` and `crawl`."""
    options = [
        click.option(
            "--site-pages",
            default=500,
            show_default=True,
            type=click.IntRange(1, 1_000_000),
            help="Pages on the local test site.",
        ),
        click.option(
            "--site-images",
            default=300,
            show_default=True,
            type=click.IntRange(1, 100_000),
            help="Images on the local test site.",
        ),
        click.option("--seed", default=1, show_default=True, help="Seed of the generated site."),
        click.option(
            "--latency-ms",
            default=0.0,
            show_default=True,
            type=click.FloatRange(0, 60_000),
            help="Delay before every response.",
        ),
        click.option(
            "--jitter-ms",
            default=0.0,
            show_default=True,
            type=click.FloatRange(0, 60_000),
            help="Random +- spread on the latency.",
        ),
        click.option(
            "--error-rate",
            default=0.0,
            show_default=True,
            type=click.FloatRange(0, 1),
            help="Share of URLs that answer 503 once before succeeding.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


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
def serve(
    site_pages: int,
    site_images: int,
    seed: int,
    latency_ms: float,
    jitter_ms: float,
    error_rate: float,
    port: int,
) -> None:
    """Serve the local test site until Ctrl-C."""
    from testsite import ServeOptions, SiteSpec, serve_forever

    spec = SiteSpec(pages=site_pages, images=site_images, seed=seed)
    options = ServeOptions(
        latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate, port=port
    )
    serve_forever(spec, options, SITE_CACHE, lambda url: click.echo(f"Serving {url}/"))


@cli.command()
@click.argument("url", required=False)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run folder; must be new or empty.  [default: output/<timestamp>]",
)
@click.option(
    "--concurrency",
    default=64,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Pages and images fetched at once.",
)
@click.option(
    "--max-per-host",
    type=click.IntRange(1, 10_000),
    help="Connections to one host at once.  [default: --concurrency]",
)
@click.option(
    "--max-pages",
    default=10_000,
    show_default=True,
    type=click.IntRange(1),
    help="Stop admitting pages after this many.",
)
@click.option("--max-depth", type=click.IntRange(0), help="Links followed from the start page.")
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds one request may take, body included.",
)
@click.option(
    "--retries",
    default=3,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Retries on timeouts, connection errors, 429 and 5xx.",
)
@click.option("--max-redirects", default=10, show_default=True, type=click.IntRange(0, 100))
@click.option(
    "--max-bytes",
    default=32 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest response body accepted.",
)
@click.option(
    "--crawl-model",
    default="asyncio",
    show_default=True,
    type=click.Choice(MODEL_NAMES),
    help="Model that fetches pages and images.",
)
@click.option(
    "--write-model",
    default="threads",
    show_default=True,
    type=click.Choice(MODEL_NAMES),
    help="Model that saves originals.",
)
@click.option("--write-workers", default=4, show_default=True, type=click.IntRange(1, 512))
@click.option(
    "--resize-model",
    default="processes",
    show_default=True,
    type=click.Choice(MODEL_NAMES),
    help="Model that makes thumbnails.",
)
@click.option(
    "--resize-workers", default=os.cpu_count() or 1, show_default=True, type=click.IntRange(1, 512)
)
@click.option(
    "--sizes",
    default="128,256",
    show_default=True,
    type=SizeList(),
    help="Thumbnail sizes (longest side, pixels).",
)
@click.option(
    "--analysis/--no-analysis",
    default=False,
    show_default=True,
    help="Also find each image's dominant colours in pure Python (holds the GIL).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@site_options
def crawl(url: str | None, out: Path | None, quiet: bool, **options: Any) -> None:
    """Crawl URL (default: the local test site) and thumbnail every image found."""
    start_url = _checked_url(url) if url else None
    run_dir = _new_run_dir(out)
    if start_url:
        _run_and_report(_run_config(start_url, run_dir, options), quiet)
        return
    from testsite import ServeOptions, SiteSpec, site_process  # builds the site's images

    spec = SiteSpec(
        pages=options["site_pages"], images=options["site_images"], seed=options["seed"]
    )
    serving = ServeOptions(
        latency_ms=options["latency_ms"],
        jitter_ms=options["jitter_ms"],
        error_rate=options["error_rate"],
    )
    click.echo("Starting the local test site (its first start generates the images)...", err=True)
    with site_process(spec, serving, SITE_CACHE) as origin:
        _run_and_report(_run_config(f"{origin}/", run_dir, options), quiet)


class NumberList(click.ParamType):
    """A comma-separated list of numbers, e.g. 0,50,200."""

    name = "list"

    def __init__(self, kind: type, minimum: float) -> None:
        self.kind = kind
        self.minimum = minimum

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[Any, ...]:
        """Parse '4,64,512' into (4, 64, 512), each at least the minimum."""
        if isinstance(value, tuple):
            return value
        try:
            numbers = tuple(self.kind(part) for part in str(value).split(","))
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of numbers", param, ctx)
        if any(number < self.minimum for number in numbers):
            self.fail(f"{value!r}: every value must be at least {self.minimum:g}", param, ctx)
        return numbers


@cli.command()
@click.option(
    "--stage",
    "stages",
    multiple=True,
    type=click.Choice(STAGES),
    help="Stage(s) to swap through the four models.  [default: all three]",
)
@click.option(
    "--matrix",
    type=click.Choice(["stages", "full"]),
    default="stages",
    show_default=True,
    help="'full' runs all 64 combinations.",
)
@click.option(
    "--repeat",
    default=3,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Runs of each configuration (interleaved); the table shows medians.",
)
@click.option(
    "--latency-ms",
    "latencies",
    default="0",
    show_default=True,
    type=NumberList(float, 0),
    help="Site latencies to sweep, e.g. 0,50,200.",
)
@click.option(
    "--concurrency",
    "concurrencies",
    default="64",
    show_default=True,
    type=NumberList(int, 1),
    help="Crawl concurrencies to sweep, e.g. 4,64,512.",
)
@click.option(
    "--resize-workers",
    default=str(os.cpu_count() or 1),
    show_default=True,
    type=NumberList(int, 1),
    help="Resize worker counts to sweep.",
)
@click.option("--write-workers", default=4, show_default=True, type=click.IntRange(1, 512))
@click.option("--site-pages", default=300, show_default=True, type=click.IntRange(1))
@click.option("--site-images", default=150, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True)
@click.option("--sizes", default="128,256", show_default=True, type=SizeList())
@click.option(
    "--analysis/--no-analysis",
    default=False,
    show_default=True,
    help="Add the pure-Python colours step to the resize stage.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the results; must be new or empty.  [default: output/compare-<timestamp>]",
)
def compare(stages: tuple[str, ...], matrix: str, repeat: int, **options: Any) -> None:
    """Run the same crawl under several models and compare their costs side by side."""
    from testsite import ServeOptions, SiteSpec, site_process

    request = CompareRequest(
        stages=stages or STAGES,
        full_matrix=matrix == "full",
        repeat=repeat,
        latencies_ms=options["latencies"],
        concurrencies=options["concurrencies"],
        resize_workers=options["resize_workers"],
        write_workers=options["write_workers"],
    )
    out = _new_run_dir(options["out"], prefix="compare-")
    out.mkdir(parents=True, exist_ok=True)
    spec = SiteSpec(
        pages=options["site_pages"], images=options["site_images"], seed=options["seed"]
    )
    extra = [
        "--sizes",
        ",".join(map(str, options["sizes"])),
        "--analysis" if options["analysis"] else "--no-analysis",
    ]
    plans = plan_runs(request)

    def open_site(latency_ms: float) -> Any:
        return site_process(spec, ServeOptions(latency_ms=latency_ms), SITE_CACHE)

    with tqdm(total=len(plans), desc="compare runs", unit=" run", disable=None) as progress:
        results = run_all(plans, open_site, out, extra, progress)
    _report_compare(
        out, results, {"request": asdict(request), "site": asdict(spec), "extra": extra}
    )


def _report_compare(out: Path, results: list[dict[str, Any]], request: dict[str, Any]) -> None:
    """Print the table, write the files and the chart; a digest mismatch is an error."""
    rows = aggregate(results)
    write_results(out, rows, results, request)
    click.echo(format_table(rows))
    charted = plot(rows, out / "chart.png")
    click.echo(
        f"Results in {out}/ (results.json, results.csv"
        + (", chart.png)" if charted else "; pip install '.[plot]' for chart.png)")
    )
    if not all(row["digest_ok"] for row in rows):
        raise click.ClickException("the runs did not all produce the same outputs (digest)")


def _run_config(start_url: str, run_dir: Path, options: dict[str, Any]) -> RunConfig:
    """Build the run's frozen configuration from the command-line options."""
    limits = FetchLimits(
        timeout_s=options["timeout"],
        retries=options["retries"],
        max_redirects=options["max_redirects"],
        max_bytes=options["max_bytes"],
    )
    settings = CrawlSettings(
        concurrency=options["concurrency"],
        max_per_host=options["max_per_host"],
        max_pages=options["max_pages"],
        max_depth=options["max_depth"],
        limits=limits,
    )
    return RunConfig(
        start_url=start_url,
        run_dir=run_dir,
        crawl=settings,
        sizes=options["sizes"],
        analysis=options["analysis"],
        crawl_model=options["crawl_model"],
        write=StageConfig(options["write_model"], options["write_workers"]),
        resize=StageConfig(options["resize_model"], options["resize_workers"]),
    )


def _run_and_report(config: RunConfig, quiet: bool) -> None:
    """Run the pipeline with progress bars, then print the summary and where results are."""
    progress = Progress(enabled=not quiet)
    try:
        with logging_redirect_tqdm():
            summary = asyncio.run(Pipeline(config, progress).run())
    except SiteUnreachable as exc:
        _remove_if_made(config.run_dir)
        raise click.ClickException(str(exc)) from None
    finally:
        progress.close()
    click.echo(format_summary(summary))
    click.echo(f"Results in {config.run_dir}/")


def _remove_if_made(run_dir: Path) -> None:
    """Remove a run folder that holds only what this run created before it failed to start."""
    files = [path for path in run_dir.rglob("*") if path.is_file()]
    if all(path.stat().st_size == 0 for path in files):
        shutil.rmtree(run_dir)


def _checked_url(url: str) -> str:
    """Return the URL normalised, or stop with a usage error if it cannot be crawled."""
    normalized = normalize(url)
    if normalized is None:
        raise click.BadParameter(f"{url!r} is not an http(s) URL with a host", param_hint="URL")
    return normalized


def _new_run_dir(out: Path | None, prefix: str = "") -> Path:
    """Return a run folder that is new or empty (it is created by the run itself)."""
    if out is None:
        stamp = prefix + datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("output") / stamp
        suffix = 1
        while out.exists():
            suffix += 1
            out = Path("output") / f"{stamp}-{suffix}"
    elif out.exists() and any(out.iterdir()):
        raise click.BadParameter(f"{str(out)!r} is not empty", param_hint="--out")
    return out


if __name__ == "__main__":
    cli()
