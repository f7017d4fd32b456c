"""Event-loop lag is seen when blocking work runs on the loop, and not otherwise; a page of
tens of thousands of links does not hold the loop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit

from config import RunConfig, StageConfig
from crawler.crawl import CrawlSettings
from crawler.fetch_async import OFF_LOOP_BYTES
from crawler.http import Response
from crawler.pages import to_page
from measure.looplag import LoopLag
from measure.progress import Progress
from pipeline import Pipeline
from tests.conftest import MiniSite, serving


def measure(block_s: float) -> LoopLag:
    """Watch the loop while it sleeps politely, then blocks its thread for block_s."""
    lag = LoopLag(interval_s=0.002)

    async def main() -> None:
        watcher = asyncio.create_task(lag.watch())
        await asyncio.sleep(0.05)
        time.sleep(block_s)  # blocking call on the loop's own thread
        await asyncio.sleep(0.05)
        watcher.cancel()

    asyncio.run(main())
    return lag


def test_a_blocked_loop_shows_its_stall() -> None:
    assert measure(0.2).max_ms >= 190


def test_a_free_loop_shows_no_stall() -> None:
    # The median: a busy machine may delay a wake-up now and then, never most of them.
    assert measure(0.0).percentile(0.5) < 20


def test_percentiles_come_from_the_samples() -> None:
    lag = LoopLag()
    for value in [1.0] * 99 + [50.0]:
        lag.record(value)
    assert lag.percentile(0.5) == lag.percentile(0.99) == 1.1
    assert lag.percentile(1.0) == 50.1
    assert lag.as_json() == {"max_ms": 50.0, "p99_ms": 1.1}


INDEX_LINKS = 30_000  # the Python documentation's genindex-all.html names tens of thousands


def index_page(links: int) -> bytes:
    """An index of links entries, each a page of its own: about 2.6 MB, as the Python docs'."""
    rows = (
        f'<dt><a href="/library/entry-{i}.html#name-{i}"><code>name_{i}()</code> '
        f"(in module m{i % 500})</a></dt>\n"
        for i in range(links)
    )
    return f"<html><body><dl>{''.join(rows)}</dl></body></html>".encode()


def parse_seconds(body: bytes, url: str) -> float:
    """How long parsing body takes here: the best of two."""
    response = Response(url, url, 200, "text/html", body, None)
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        page = to_page(response, 1, urlsplit(url).netloc)
        timings.append(time.perf_counter() - started)
    assert len(page.links) == INDEX_LINKS
    return min(timings)


def worst_lag_ms(origin: str, run_dir: Path) -> float:
    """The loop's worst lag in an asyncio crawl of origin, 20 pages at most."""
    config = RunConfig(
        start_url=f"{origin}/",
        run_dir=run_dir,
        crawl=StageConfig("asyncio", 8),
        write=StageConfig("threads", 1),
        resize=StageConfig("threads", 1),
        crawling=CrawlSettings(max_pages=20),  # every link still admitted, or counted
    )
    summary = asyncio.run(Pipeline(config, Progress(enabled=False)).run())
    assert summary.counts.pages == 20
    assert summary.skipped["max_pages"] == INDEX_LINKS - 18
    return summary.loop_lag.max_ms


def test_a_page_of_tens_of_thousands_of_links_holds_the_loop_a_fraction_of_its_parse(
    mini_site: MiniSite, tmp_path: Path
) -> None:
    body = index_page(INDEX_LINKS)
    assert len(body) > OFF_LOOP_BYTES
    mini_site.add_page("/", links=["/genindex-all.html"])
    mini_site.add_bytes("/genindex-all.html", body, "text/html")
    with serving(mini_site.app) as origin:
        parse_ms = parse_seconds(body, f"{origin}/genindex-all.html") * 1000
        # The better of two crawls: on a shared machine, another program can take the
        # loop's core for a moment in any one run.
        lag_ms = min(worst_lag_ms(origin, tmp_path / f"run{n}") for n in range(2))
    # The page is parsed in another process and its links admitted a slice at a time, so
    # the loop never waits anywhere near as long as parsing it takes (admitting its links
    # all at once held the loop about 1.5 times as long as parsing).
    assert lag_ms < parse_ms * 2 / 3
