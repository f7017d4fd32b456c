"""The one frozen configuration of a run, built from the command line and passed explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from crawler.crawl import CrawlSettings

DEFAULT_SIZES = (128, 256)


@dataclass(frozen=True)
class StageConfig:
    """Which model runs a stage, with how many workers."""

    model: str
    workers: int


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs; compare varies it with dataclasses.replace."""

    start_url: str
    run_dir: Path
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    crawl_model: str = "asyncio"
    write: StageConfig = StageConfig("threads", 4)
    resize: StageConfig = StageConfig("processes", os.cpu_count() or 1)
    sizes: tuple[int, ...] = DEFAULT_SIZES
    analysis: bool = False  # the pure-Python dominant-colours step
    loop: str = "asyncio"  # or "uvloop"
    timeline: bool = True  # record every worker's busy spans for report.html
    resume: bool = False  # carry on from what run_dir's files recorded
    # Bounded queues between stages: a fast stage waits for a slow one instead of
    # piling its output up in memory.
    queue_size: int = 32
