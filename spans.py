"""Where and when a worker was busy: the spans behind the report's timeline.

A span is measured where the work runs (a pool thread, a pool process, the event loop, a
cluster's worker) and travels back to the loop thread with the result, so recording it needs
no channel between processes. Its times come from time.monotonic(), one clock for every
process on the machine; a span from another machine says which host it came from, because
that machine's clock is not ours.
"""

from __future__ import annotations

import contextvars
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")

# The asyncio crawl's worker coroutines set this: their lane is the task slot, not a thread.
TASK_SLOT: contextvars.ContextVar[int | None] = contextvars.ContextVar("TASK_SLOT", default=None)
HOST = socket.gethostname()


class Span(NamedTuple):
    """One item's work: which worker did it and when (monotonic seconds)."""

    pid: int
    thread: int
    slot: int | None
    start: float
    end: float
    host: str = HOST

    @property
    def busy_s(self) -> float:
        """Seconds the worker spent on the item."""
        return self.end - self.start


def span_since(start: float) -> Span:
    """The span of work done here, from start until now."""
    return Span(os.getpid(), threading.get_ident(), TASK_SLOT.get(), start, time.monotonic())


def call_timed(fn: Callable[..., T], *args: Any) -> tuple[T, Span]:
    """Run fn(*args) in the worker and return its result with the span it took."""
    start = time.monotonic()
    return fn(*args), span_since(start)
