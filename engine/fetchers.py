"""Choose the crawl's Fetcher for a model: aiohttp on the loop, or requests on an Executor."""

from __future__ import annotations

from contextlib import AsyncExitStack

from crawler.crawl import CrawlSettings, Fetcher
from crawler.fetch_sync import ExecutorFetcher
from engine.models import Model
from engine.stages import StageStats, TimedFetcher


async def open_fetcher(
    model: Model, settings: CrawlSettings, stack: AsyncExitStack, stats: StageStats
) -> Fetcher:
    """Open the fetcher for model with settings.concurrency workers, counting into stats;
    stack closes it."""
    if model.name == "asyncio":
        from crawler.fetch_async import AsyncFetcher, make_session  # aiohttp loads slowly

        session = await stack.enter_async_context(
            make_session(settings.limits, settings.concurrency)
        )
        return TimedFetcher(AsyncFetcher(session, settings.limits), stats)
    executor = stack.enter_context(model.make_executor(settings.concurrency))
    return TimedFetcher(ExecutorFetcher(executor, settings.limits), stats)
