"""A process pool for our work: spawned workers that leave Ctrl-C to us, die with us, and a
pool that renews itself after a worker dies.

The processes model runs stages on it; the asyncio model's crawl parses its largest pages on
one (models.fetchers).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

PARENT_CHECK_S = 1.0


def start_worker(parent: int) -> None:
    """Set up a pool worker: ignore Ctrl-C and SIGTERM (the parent decides), and die with
    the parent, whose pid the parent passes: asked here, it could already be the pid of
    whoever adopted the worker, if the parent died while the worker was starting up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    # An idle worker blocks forever on its task queue, even after the parent is killed.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


class RenewingProcessPool(Executor):
    """A spawn process pool that replaces itself after a worker dies and breaks it; any
    thread may submit to it."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool = self._new_pool()
        self._renewing = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit to the pool, first replacing it if a dead worker has broken it."""
        pool = self._pool
        try:
            return pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            return self._renewed(pool).submit(fn, *args, **kwargs)

    def _renewed(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A new pool in place of broken: one, however many threads found it broken."""
        with self._renewing:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            return self._pool

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the current pool down."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            self._workers, mp_context=context, initializer=start_worker, initargs=(os.getpid(),)
        )
