"""The one frozen configuration of a run: its stages, their default models, and every knob.

Built from the command line (cli.options.config_from_options) and passed explicitly. When a
run happens in a child process (compare), command_line() turns the configuration back into
the arguments of `crawl`; a round-trip test (configuration -> arguments -> configuration)
holds the two to each other, so no option is ever forgotten in a child run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from crawler.crawl import CrawlSettings


@dataclass(frozen=True)
class StageConfig:
    """Which model runs a stage, with how many workers (the crawl's: requests in flight)."""

    model: str
    workers: int


# The pipeline's stages in order, each with its default model and workers.
DEFAULT_STAGES: Mapping[str, StageConfig] = MappingProxyType(
    {
        "crawl": StageConfig("asyncio", 64),
        "write": StageConfig("threads", 4),
        "resize": StageConfig("processes", os.cpu_count() or 1),
    }
)
STAGES = tuple(DEFAULT_STAGES)
# The option (and field) that sets each stage's workers: a crawl's are its concurrency.
WORKERS = {"crawl": "concurrency", "write": "write_workers", "resize": "resize_workers"}
DEFAULT_SIZES = (128, 256)
LOOPS = ("asyncio", "uvloop")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs."""

    start_url: str
    run_dir: Path
    crawl: StageConfig = DEFAULT_STAGES["crawl"]
    write: StageConfig = DEFAULT_STAGES["write"]
    resize: StageConfig = DEFAULT_STAGES["resize"]
    crawling: CrawlSettings = field(default_factory=CrawlSettings)  # reach and fetch limits
    sizes: tuple[int, ...] = DEFAULT_SIZES
    analysis: bool = False  # the pure-Python dominant-colours step
    loop: str = LOOPS[0]
    timeline: bool = True  # record every worker's busy spans for report.html
    dask_scheduler: str | None = None  # the dask model's cluster (None: a local one)
    resume: bool = False  # carry on from what run_dir's files recorded
    # Bounded queues between stages: a fast stage waits for a slow one instead of
    # piling its output up in memory.
    queue_size: int = 32

    def stage(self, name: str) -> StageConfig:
        """The model and workers of the stage called name."""
        return getattr(self, name)


def resumed(recorded: RunConfig, now: RunConfig) -> RunConfig:
    """now, carrying on the run recorded: everything that changes what a run produces (its
    start URL, how it crawls, the thumbnails' sizes, the analysis) as recorded; the models,
    workers, loop, timeline and cluster as now says (they never change the outputs)."""
    return replace(
        now,
        start_url=recorded.start_url,
        crawling=recorded.crawling,
        sizes=recorded.sizes,
        analysis=recorded.analysis,
    )


def command_line(config: RunConfig) -> list[str]:
    """The arguments of `crawl` that rebuild config (a resumed run is not a command line)."""
    if config.resume:
        raise ValueError("a resumed run takes its options from run.json, not a command line")
    crawling, limits = config.crawling, config.crawling.limits
    args = [config.start_url, "--out", str(config.run_dir)]
    for name in STAGES:
        stage = config.stage(name)
        workers = "--" + WORKERS[name].replace("_", "-")
        args += [f"--{name}-model", stage.model, workers, str(stage.workers)]
    optional = {
        "--max-per-host": crawling.max_per_host,
        "--max-depth": crawling.max_depth,
        "--rate": crawling.rate,
        "--dask-scheduler": config.dask_scheduler,
    }
    for flag, value in optional.items():
        args += [flag, str(value)] if value is not None else []
    args += [
        "--max-pages", str(crawling.max_pages),
        "--timeout", repr(limits.timeout_s),
        "--retries", str(limits.retries),
        "--max-redirects", str(limits.max_redirects),
        "--max-bytes", str(limits.max_bytes),
        "--sizes", ",".join(map(str, config.sizes)),
        "--analysis" if config.analysis else "--no-analysis",
        "--loop", config.loop,
        "--timeline" if config.timeline else "--no-timeline",
        *(["--ignore-robots"] if crawling.ignore_robots else []),
    ]  # fmt: skip
    return args
