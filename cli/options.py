"""The command line's options: parameter types, the option bundles the commands share, and
the run's configuration built from them.

Every default comes from where the fact lives (config.DEFAULT_STAGES, CrawlSettings,
FetchLimits), and config_from_options is the inverse of config.command_line.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import click

from claims.catalogue import BY_NUMBER, GIL_CLAIMS
from claims.lab import FULL, QUICK
from config import DEFAULT_SIZES, DEFAULT_STAGES, LOOPS, STAGES, WORKERS, RunConfig, StageConfig
from crawler.crawl import CrawlSettings
from crawler.frontier import MAX_URL_LENGTH
from crawler.http import FetchLimits
from crawler.urls import normalize
from models.registry import MODEL_NAMES, MODELS, models_for
from runfolder.folders import RunFolderError, new_run_dir
from testsite.spec import PROFILES, ServeOptions, SiteSpec

CRAWLING = CrawlSettings()
LIMITS = FetchLimits()
SITE = SiteSpec()
SERVING = ServeOptions()


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


class ModelList(click.ParamType):
    """A comma-separated list of model names, e.g. asyncio,threads."""

    name = "models"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, ...]:
        """Parse 'asyncio,threads' into ('asyncio', 'threads'), refusing unknown names."""
        if isinstance(value, tuple):
            return value
        names = tuple(dict.fromkeys(part.strip() for part in str(value).split(",")))
        unknown = [name for name in names if name not in MODEL_NAMES]
        if unknown or not names:
            self.fail(f"unknown model {unknown}: choose from {', '.join(MODEL_NAMES)}", param, ctx)
        return names


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


class InterpreterList(click.ParamType):
    """A comma-separated list of Python interpreters, e.g. .venv/bin/python,.venv-ft/bin/python."""

    name = "pythons"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, ...]:
        """Parse the list, refusing a path that is not an executable file."""
        if isinstance(value, tuple):
            return value
        paths = tuple(dict.fromkeys(part.strip() for part in str(value).split(",") if part))
        missing = [path for path in paths if not os.access(path, os.X_OK) or Path(path).is_dir()]
        if missing or not paths:
            self.fail(
                f"not an interpreter that can run: {', '.join(missing) or value!r}", param, ctx
            )
        return paths


def config_from_options(start_url: str, run_dir: Path, options: dict[str, Any]) -> RunConfig:
    """Build the run's frozen configuration from the command-line options."""
    limits = FetchLimits(
        timeout_s=options["timeout"],
        retries=options["retries"],
        max_redirects=options["max_redirects"],
        max_bytes=options["max_bytes"],
    )
    crawling = CrawlSettings(
        max_per_host=options["max_per_host"],
        max_pages=options["max_pages"],
        max_depth=options["max_depth"],
        rate=options["rate"],
        ignore_robots=options["ignore_robots"],
        limits=limits,
    )
    stages = {
        stage: StageConfig(options[f"{stage}_model"], options[WORKERS[stage]]) for stage in STAGES
    }
    check_models(options)
    return RunConfig(
        start_url=start_url,
        run_dir=run_dir,
        **stages,
        crawling=crawling,
        sizes=options["sizes"],
        analysis=options["analysis"],
        loop=options["loop"],
        timeline=options["timeline"],
        dask_scheduler=options["dask_scheduler"],
        resume=options.get("resume") is not None,  # the stage command takes no --resume
    )


def check_models(options: dict[str, Any]) -> None:
    """Stop with a usage error naming the install command when a chosen model's optional
    extra is missing (before anything is created)."""
    for stage in STAGES:
        model = MODELS[options[f"{stage}_model"]]
        if not model.available():
            needs = f"{model.needs}: {model.install}"
            raise click.UsageError(f"--{stage}-model {model.name} needs {needs}")


def checked_url(url: str) -> str:
    """Return the URL normalised, or stop with a usage error if it cannot be crawled."""
    normalized = normalize(url)
    if normalized is None:
        raise click.BadParameter(f"{url!r} is not an http(s) URL with a host", param_hint="URL")
    if len(normalized) > MAX_URL_LENGTH:
        message = f"{len(normalized)} characters: longer than the {MAX_URL_LENGTH} fetched"
        raise click.BadParameter(message, param_hint="URL")
    return normalized


def run_folder(out: Path | None, prefix: str = "") -> Path:
    """A new run folder (runfolder.folders.new_run_dir), or a usage error naming --out."""
    try:
        return new_run_dir(out, prefix)
    except RunFolderError as exc:
        raise click.BadParameter(str(exc), param_hint="--out") from None


def bundle(*decorators: Any) -> Any:
    """Combine click decorators into one, applied in the order listed."""

    def apply(command: Any) -> Any:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


# Options that crawl and compare share: declared once (click makes a new Option per use).
SIZES = click.option(
    "--sizes",
    default=",".join(map(str, DEFAULT_SIZES)),
    show_default=True,
    type=SizeList(),
    help="Thumbnail sizes (longest side, pixels).",
)
ANALYSIS = click.option(
    "--analysis/--no-analysis",
    default=False,
    show_default=True,
    help="Also find each image's dominant colours in pure Python (holds the GIL).",
)
SEED = click.option(
    "--seed", default=SITE.seed, show_default=True, help="Seed of the generated site."
)


PROFILE = click.option(
    "--profile",
    default=SITE.profile,
    show_default=True,
    type=click.Choice(PROFILES),
    help="The local site: photos (large JPEGs), or docs (a manual: long menus, small PNG "
    "screenshots, 1 MB index pages).",
)


def site_size(pages: int, images: int) -> Any:
    """The --site-pages and --site-images options with these defaults."""
    return bundle(
        click.option(
            "--site-pages",
            default=pages,
            show_default=True,
            type=click.IntRange(1, 1_000_000),
            help="Pages on the local test site.",
        ),
        click.option(
            "--site-images",
            default=images,
            show_default=True,
            type=click.IntRange(1, 100_000),
            help="Images on the local test site.",
        ),
    )


crawl_options = bundle(
    click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        help="Run folder; must be new or empty.  [default: output/<timestamp>]",
    ),
    click.option(
        "--concurrency",
        default=DEFAULT_STAGES["crawl"].workers,
        show_default=True,
        type=click.IntRange(1, 10_000),
        help="Pages and images fetched at once.",
    ),
    click.option(
        "--max-per-host",
        type=click.IntRange(1, 10_000),
        help="Connections to one host at once.  [default: --concurrency]",
    ),
    click.option(
        "--max-pages",
        default=CRAWLING.max_pages,
        show_default=True,
        type=click.IntRange(1),
        help="Stop admitting pages after this many.",
    ),
    click.option("--max-depth", type=click.IntRange(0), help="Links followed from the start page."),
    click.option(
        "--rate",
        type=click.FloatRange(0.001, 10_000),
        help="Requests per second to one host, for sites whose robots.txt sets no Crawl-delay "
        "(the longer of the two intervals holds).  [default: as robots.txt says]",
    ),
    click.option(
        "--ignore-robots",
        is_flag=True,
        help="Fetch what robots.txt forbids, ignore its Crawl-delay and follow the links of "
        "pages that say nofollow: only for a site you own.",
    ),
    click.option(
        "--timeout",
        default=LIMITS.timeout_s,
        show_default=True,
        type=click.FloatRange(0.1, 3600),
        help="Seconds one request may take, body included.",
    ),
    click.option(
        "--retries",
        default=LIMITS.retries,
        show_default=True,
        type=click.IntRange(0, 20),
        help="Retries on timeouts, connection errors, 429 and 5xx.",
    ),
    click.option(
        "--max-redirects",
        default=LIMITS.max_redirects,
        show_default=True,
        type=click.IntRange(0, 100),
        help="Redirects followed per request.",
    ),
    click.option(
        "--max-bytes",
        default=LIMITS.max_bytes,
        show_default=True,
        type=click.IntRange(1024),
        help="Largest response body accepted.",
    ),
    click.option("-q", "--quiet", is_flag=True, help="No progress bars."),
    click.option(
        "--loop",
        type=click.Choice(LOOPS),
        default=LOOPS[0],
        show_default=True,
        help="Event loop: the standard library's, or uvloop (pip install uvloop).",
    ),
    click.option(
        "--timeline/--no-timeline",
        default=True,
        show_default=True,
        help="Record when each worker was busy (timeline.jsonl, drawn in report.html).",
    ),
)
"""What one crawl may do: its reach, limits and output."""

resume_options = bundle(
    click.option(
        "--resume",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="Continue the interrupted run in this folder (same URL, sizes and site).",
    ),
    click.option(
        "--repair",
        is_flag=True,
        help="With --resume: keep the record files' valid lines, fetch what damaged ones named.",
    ),
)
"""Going on with an interrupted crawl: only `crawl` takes them."""


def model_option(stage: str, does: str) -> Any:
    """The --<stage>-model option: the models that can run the stage, its default model."""
    return click.option(
        f"--{stage}-model",
        default=DEFAULT_STAGES[stage].model,
        show_default=True,
        type=click.Choice(models_for(stage)),
        help=f"Model that {does}.",
    )


stage_options = bundle(
    model_option("crawl", "fetches pages and images"),
    model_option("write", "saves originals"),
    click.option(
        "--write-workers",
        default=DEFAULT_STAGES["write"].workers,
        show_default=True,
        type=click.IntRange(1, 512),
        help="Workers saving originals (sequential: always 1).",
    ),
    model_option("resize", "makes thumbnails"),
    click.option(
        "--resize-workers",
        default=DEFAULT_STAGES["resize"].workers,
        show_default=True,
        type=click.IntRange(1, 512),
        help="Workers making thumbnails (sequential: always 1; dask: a local cluster's).",
    ),
    click.option(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="The dask model's cluster, e.g. tcp://HOST:8786.  "
        "[default: a local cluster, started and stopped by the run]",
    ),
    SIZES,
    ANALYSIS,
)
"""Which model runs each stage, with how many workers, and what the resize stage makes."""


compare_options = bundle(
    click.option(
        "--models",
        default=",".join(MODEL_NAMES),
        show_default=True,
        type=ModelList(),
        help="Models to swap in, e.g. asyncio,threads.",
    ),
    click.option(
        "--stage",
        "stages",
        multiple=True,
        type=click.Choice(STAGES),
        help="Stage(s) to measure on each model.  [default: all three]",
    ),
    click.option(
        "--matrix",
        type=click.Choice(["stages", "full"]),
        default="stages",
        show_default=True,
        help="'full' runs every combination of models of the whole pipeline "
        f"({math.prod(len(models_for(stage)) for stage in STAGES)} with every model).",
    ),
    click.option(
        "--python",
        "pythons",
        type=InterpreterList(),
        help="Interpreters to run every configuration on, e.g. "
        ".venv/bin/python,.venv-ft/bin/python (a free-threaded one: `make freethreaded`).  "
        "[default: this one]",
    ),
    click.option(
        "--in-pipeline",
        is_flag=True,
        help="Also run each configuration as the whole pipeline: what a stage's model "
        "changes for the whole run.",
    ),
    click.option(
        "--repeat",
        default=3,
        show_default=True,
        type=click.IntRange(1, 100),
        help="Runs of each configuration (interleaved); the table shows medians.",
    ),
    click.option(
        "--latency-ms",
        "latencies",
        default="0",
        show_default=True,
        type=NumberList(float, 0),
        help="Site latencies to sweep, e.g. 0,50,200.",
    ),
    click.option(
        "--concurrency",
        "concurrencies",
        default=str(DEFAULT_STAGES["crawl"].workers),
        show_default=True,
        type=NumberList(int, 1),
        help="Crawl concurrencies to sweep, e.g. 4,64,512.",
    ),
    click.option(
        "--resize-workers",
        default=str(DEFAULT_STAGES["resize"].workers),
        show_default=True,
        type=NumberList(int, 1),
        help="Resize worker counts to sweep.",
    ),
    click.option(
        "--write-workers",
        default=str(DEFAULT_STAGES["write"].workers),
        show_default=True,
        type=NumberList(int, 1),
        help="Write worker counts to sweep.",
    ),
    site_size(300, 150),
    SEED,
    PROFILE,
    SIZES,
    ANALYSIS,
    click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder for the results; must be new or empty.  [default: output/compare-<timestamp>]",
    ),
)
"""What compare varies and on which site."""


site_options = bundle(
    site_size(SITE.pages, SITE.images),
    SEED,
    PROFILE,
    click.option(
        "--latency-ms",
        default=SERVING.latency_ms,
        show_default=True,
        type=click.FloatRange(0, 60_000),
        help="Delay before every response.",
    ),
    click.option(
        "--jitter-ms",
        default=SERVING.jitter_ms,
        show_default=True,
        type=click.FloatRange(0, 60_000),
        help="Random +- spread on the latency.",
    ),
    click.option(
        "--error-rate",
        default=SERVING.error_rate,
        show_default=True,
        type=click.FloatRange(0, 1),
        help="Share of URLs that answer 503 once before succeeding.",
    ),
)
"""The options that shape the local test site, shared by `serve` and `crawl`."""


claims_options = bundle(
    click.option(
        "--quick",
        is_flag=True,
        help="Smaller inputs and work (about a minute); the verdicts say they are quick.",
    ),
    click.option(
        "--claim",
        "ids",
        multiple=True,
        type=click.Choice([str(number) for number in BY_NUMBER]),
        callback=lambda _context, _param, ids: tuple(map(int, ids)),
        help=f"Test only this claim (repeat the option for more).  [default: all {len(BY_NUMBER)}]",
    ),
    click.option(
        "--free-threaded",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A free-threaded interpreter to test the GIL's claims "
        f"({', '.join(map(str, GIL_CLAIMS))}) on as well.  "
        "[default: .venv-ft/bin/python, when `make freethreaded` made it]",
    ),
    click.option(
        "--gil-only",
        is_flag=True,
        help="Test on this interpreter only, even when a free-threaded one is there.",
    ),
    click.option(
        "--list",
        "listing",
        is_flag=True,
        help="Print every check of every claim with its threshold and the free cores it "
        "needs, and measure nothing.",
    ),
    click.option(
        "--site-pages",
        type=click.IntRange(1, 1_000_000),
        help=f"Pages on the local test site.  [default: {FULL.site_pages}, --quick "
        f"{QUICK.site_pages}]",
    ),
    click.option(
        "--site-images",
        type=click.IntRange(1, 100_000),
        help=f"Images on the local test site.  [default: {FULL.site_images}, --quick "
        f"{QUICK.site_images}]",
    ),
    click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder for claims.json and report.html; must be new or empty.  "
        "[default: output/claims-<timestamp>]",
    ),
)
"""What claims tests and on which site."""


live_options = bundle(
    click.option(
        "--live",
        is_flag=True,
        help="Watch the run in a browser while it goes: every worker's lanes, the queues, the "
        "loop's lag, the CPU. A page on 127.0.0.1 whose address is printed first (and opened "
        "when there is a display); it changes nothing the run does.",
    ),
    click.option(
        "--live-port",
        type=click.IntRange(1, 65535),
        help="The port of --live's page on 127.0.0.1.  [default: a free one]",
    ),
)
"""The live view: `crawl` and `stage` take them."""
