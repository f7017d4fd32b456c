"""The concurrency models, one registry entry each, all behind concurrent.futures.Executor.

A stage submits work(item) to an Executor and awaits the future; which model runs it is
only a question of which Executor it was given:
- asyncio: the work runs on the event loop's own thread, inline (the loop stalls meanwhile);
  its crawl has a native fetcher, aiohttp on the loop;
- threads: a thread pool;
- processes: a process pool started with 'spawn' (our process has threads: fork is unsafe);
- sequential: one worker thread, so one item at a time and nothing overlapping in the stage;
- dask: a Dask cluster's workers (models.cluster), for the resize stage only: its workers may
  be on other machines, so the bytes travel to them and the thumbnails come back. It needs
  the cluster extra; without it the model is listed but not available.
Every other part of the program learns the models from MODELS: nothing compares a name.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from crawler.http import FetchLimits
from models.cluster import INSTALL, DaskExecutor
from models.fetchers import ExecutorFetcher, SpanFetcher, open_aiohttp
from models.pools import RenewingProcessPool


class InlineExecutor(Executor):
    """Runs each call at once in the calling thread: the asyncio model for blocking work."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Call fn now and return a future that is already done."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the caller consumes it from the future
            future.set_exception(exc)
        return future


FetcherOpener = Callable[[int, FetchLimits, AsyncExitStack], Awaitable[SpanFetcher]]
# An executor for this many workers; the address is a cluster's scheduler (None: start one),
# which only a model that runs on a cluster uses.
ExecutorFactory = Callable[[int, str | None], Executor]


@dataclass(frozen=True)
class Model:
    """One concurrency model: how to build its executor, how many items it runs at once,
    which stages it can run, whether its workers share our disk, and how its crawl fetches."""

    name: str
    make_executor: ExecutorFactory
    sequential: bool = False
    native_fetcher: FetcherOpener | None = None  # None: requests on make_executor's workers
    stages: frozenset[str] | None = None  # None: every stage
    shares_disk: bool = True
    needs: str = ""  # a module from an optional extra, and how to install it
    install: str = ""

    def workers(self, requested: int) -> int:
        """How many workers this model really uses when asked for `requested`."""
        return 1 if self.sequential else requested

    def runs(self, stage: str) -> bool:
        """Whether this model can run stage."""
        return self.stages is None or stage in self.stages

    def available(self) -> bool:
        """Whether what this model needs is installed."""
        return not self.needs or importlib.util.find_spec(self.needs) is not None

    async def open_fetcher(
        self, workers: int, limits: FetchLimits, stack: AsyncExitStack
    ) -> SpanFetcher:
        """Open this model's crawl fetcher for workers fetches at once; stack closes it."""
        if self.native_fetcher is not None:
            return await self.native_fetcher(workers, limits, stack)
        return ExecutorFetcher(self.open_executor(workers, None, stack), limits)

    def open_executor(self, workers: int, scheduler: str | None, stack: AsyncExitStack) -> Executor:
        """This model's executor for workers at once; stack shuts it down in a thread,
        because a process pool's shutdown joins its workers and would stall the loop."""
        executor = self.make_executor(workers, scheduler)
        stack.push_async_callback(asyncio.to_thread, executor.shutdown)
        return executor


MODELS: Mapping[str, Model] = MappingProxyType(
    {
        model.name: model
        for model in (
            Model("asyncio", lambda _n, _a: InlineExecutor(), native_fetcher=open_aiohttp),
            Model("threads", lambda n, _a: ThreadPoolExecutor(n)),
            Model("processes", lambda n, _a: RenewingProcessPool(n)),
            Model("sequential", lambda _n, _a: ThreadPoolExecutor(1), sequential=True),
            Model(
                "dask",
                DaskExecutor,
                stages=frozenset({"resize"}),
                shares_disk=False,
                needs="distributed",
                install=INSTALL,
            ),
        )
    }
)
MODEL_NAMES = tuple(MODELS)


def models_for(stage: str) -> tuple[str, ...]:
    """The names of the models that can run stage (installed or not)."""
    return tuple(name for name, model in MODELS.items() if model.runs(stage))
