"""The crawl's fetcher for each model: aiohttp on the event loop, or requests on an Executor.

A model's registry entry says which (models.registry.Model.open_fetcher). Every fetcher
here returns (result, span); TimedFetcher counts each span into the crawl's StageMeter and
hands the crawl (crawler.crawl.Fetcher) the bare result.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable
from concurrent.futures import Executor
from contextlib import AsyncExitStack
from typing import Any, Protocol

from crawler.fetch_sync import fetch, fetch_page
from crawler.http import FetchLimits, Response
from crawler.pages import Page
from models.pools import RenewingProcessPool
from models.stages import StageMeter
from spans import Span, call_timed


class SpanFetcher(Protocol):
    """A model's fetcher: each call also says which worker did the work, and when."""

    async def page(self, url: str, depth: int, site: str) -> tuple[Page, Span]: ...

    async def resource(self, url: str) -> tuple[Response, Span]: ...


async def open_aiohttp(workers: int, limits: FetchLimits, stack: AsyncExitStack) -> SpanFetcher:
    """The asyncio model's own fetcher: one aiohttp session for workers requests at once,
    and one process for parsing the largest pages (started when the first one arrives)."""
    from crawler.fetch_async import AsyncFetcher, make_session  # aiohttp loads slowly

    session = await stack.enter_async_context(make_session(limits, workers))
    parser = RenewingProcessPool(1)
    stack.push_async_callback(asyncio.to_thread, parser.shutdown)
    return AsyncFetcher(session, limits, parser)


class ExecutorFetcher:
    """The crawl's fetcher for the models that run requests on an Executor."""

    def __init__(self, executor: Executor, limits: FetchLimits) -> None:
        self._executor = executor
        self._limits = limits
        self._crawl = uuid.uuid4().hex  # this crawl's own sessions and cookies in the workers

    async def page(self, url: str, depth: int, site: str) -> tuple[Page, Span]:
        """Fetch and parse one page in a worker; say which worker and when."""
        args = (url, depth, site, self._limits, self._crawl)
        return await asyncio.wrap_future(self._executor.submit(call_timed, fetch_page, *args))

    async def resource(self, url: str) -> tuple[Response, Span]:
        """Fetch an image or a robots.txt in a worker; say which worker and when."""
        args = (url, self._limits, self._crawl)
        return await asyncio.wrap_future(self._executor.submit(call_timed, fetch, *args))


class TimedFetcher:
    """Wraps a SpanFetcher: counts each fetch and its span into its meter, returns the result."""

    def __init__(self, fetcher: SpanFetcher, meter: StageMeter) -> None:
        self._fetcher = fetcher
        self._meter = meter

    async def page(self, url: str, depth: int, site: str) -> Page:
        """Fetch and parse one page, timed."""
        return await self._timed(self._fetcher.page(url, depth, site))

    async def resource(self, url: str) -> Response:
        """Fetch bytes, timed."""
        return await self._timed(self._fetcher.resource(url))

    async def _timed(self, fetch: Awaitable[tuple[Any, Span]]) -> Any:
        self._meter.start(time.perf_counter())
        result, span = await fetch
        self._meter.add(span, failed=result.error is not None)
        return result
