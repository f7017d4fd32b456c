"""What the live thread measures for itself: the run's loop lag, and the CPU of each core and
of each of our processes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import psutil


class LagProbe:
    """How late the run's event loop runs a callback handed to it from another thread.

    One probe is out at a time. While it waits, the lag read is how long it has waited so
    far, so a stalled loop shows its lag rising while the stall lasts, not only after it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop: asyncio.AbstractEventLoop | None = loop
        self._sent = 0.0
        self._answered: float | None = None  # written on the run's loop thread
        self._out = False

    def read(self) -> float | None:
        """The lag in ms now (None before the first answer, or once the loop is gone); sends
        the next probe once the last one was answered."""
        now = time.monotonic()
        if self._out:
            answered = self._answered
            if answered is None:
                return (now - self._sent) * 1000
            self._out = False
            lag = (answered - self._sent) * 1000
            self._send(now)
            return lag
        self._send(now)
        return None

    def stop(self) -> None:
        """Send no more probes (the run's loop is about to close)."""
        self._loop = None
        self._out = False

    def _send(self, now: float) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        self._answered, self._sent = None, now
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and here
            self._loop.call_soon_threadsafe(self._answer)
            self._out = True

    def _answer(self) -> None:
        self._answered = time.monotonic()


class CpuMeter:
    """Each core's busy share, and each of our processes' CPU (this one and its descendants:
    pool workers, a cluster's workers, the local site), since the previous reading."""

    def __init__(self) -> None:
        self._cores = psutil.cpu_times(percpu=True)
        self._us = psutil.Process()
        self.pid = self._us.pid
        self._processes: dict[int, psutil.Process] = {}

    def cores(self) -> list[float]:
        """Percent busy of each core since the last call."""
        cores = psutil.cpu_times(percpu=True)
        busy = [_busy_share(old, new) for old, new in zip(self._cores, cores, strict=False)]
        self._cores = cores
        return busy

    def processes(self) -> dict[int, float]:
        """CPU percent (100: one core) of each of our processes since the last call; a
        process seen for the first time shows from the next call on."""
        try:
            family = [self._us, *self._us.children(recursive=True)]
        except psutil.Error:
            family = [self._us]
        known, self._processes = self._processes, {}
        shares: dict[int, float] = {}
        for process in family:
            process = known.get(process.pid, process)
            try:
                share = process.cpu_percent(None)
            except psutil.Error:  # it exited between the listing and the reading
                continue
            self._processes[process.pid] = process
            if process.pid in known:
                shares[process.pid] = round(share, 1)
        return shares


def _busy_share(old: Any, new: Any) -> float:
    """Percent of the time between two readings (psutil's cpu_times) a core was not idle;
    waiting on I/O counts as idle."""
    idle = _idle(new) - _idle(old)
    total = _total(new) - _total(old)
    return round(max(0.0, min(100.0, 100 * (1 - idle / total))), 1) if total > 0 else 0.0


def _idle(times: Any) -> float:
    return times.idle + getattr(times, "iowait", 0.0)


def _total(times: Any) -> float:
    # Linux counts a guest's time in user and nice as well: once is enough (as psutil does).
    return sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
