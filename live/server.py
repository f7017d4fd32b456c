"""The live view's server: its page and its feed on 127.0.0.1, in a thread of its own.

The thread runs an event loop of its own, so the page keeps moving while the run's loop is
stalled. One low-level aiohttp handler answers exactly `GET /` and `GET /feed` with a Host
naming this server (no router tidies the path up first: `/..`, `/./` or `//x` are not `/`);
anything else is 404, so no file is ever served. The feed is Server-Sent Events: a snapshot
when a browser connects, then each tick, encoded once for every browser. The run's thread
only calls start, watch, finish and close, each handing its work to the live thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from aiohttp import web

from live.feed import MAX_SPANS, SAMPLE_S, TICK_S, LiveFeed, Run
from live.page import POLICY, live_page
from runfolder.summary import Summary, format_summary

LOGGER = logging.getLogger(__name__)
HOST = "127.0.0.1"
END_WAIT_S = 2.0  # how long the end waits for connected browsers to receive it
KEPT_TICKS = 8  # a browser further behind than this gets a fresh snapshot instead
RETRY_MS = 1000  # how soon a browser reconnects after losing the feed
SECURITY = {
    # No other page may frame it (a browser reads that only from a header).
    "Content-Security-Policy": POLICY + "; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class LiveServer:
    """Serves the live page and its feed for one command; start() it, then watch a run."""

    def __init__(self) -> None:
        self.feed = LiveFeed()
        self.port = 0
        self._page = live_page().encode("utf-8")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="live", daemon=True)
        self._runner: web.ServerRunner | None = None
        self._sampler: asyncio.Task[None] | None = None
        self._ticks: deque[tuple[int, bytes]] = deque(maxlen=KEPT_TICKS)
        self._sequence = 0
        self._next = asyncio.Event()  # set, and replaced, at each new event
        self._streams: dict[int, int] = {}  # each connected browser: the last event it got
        self._stream_ids = itertools.count()
        self._closed = False

    @classmethod
    def start(cls, port: int = 0) -> LiveServer:
        """A server listening on 127.0.0.1:port (0: a free port); OSError if it cannot."""
        server = cls()
        server._thread.start()
        try:
            server.port = server._call(server._open(port))
        except BaseException:
            server._stop_thread()
            raise
        return server

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://{HOST}:{self.port}/"

    def watch(self, run: Run, loop: asyncio.AbstractEventLoop) -> None:
        """Show run, whose event loop is loop; call before the run starts, on its thread."""
        tap = run.timeline.watch(MAX_SPANS) if run.timeline is not None else None
        self._loop.call_soon_threadsafe(self.feed.attach, run, tap, loop)

    def finish(self, summary: Summary, report: Path | None) -> None:
        """Show the run's summary and report, and wait (at most END_WAIT_S) until every
        connected browser has them."""
        text, path = format_summary(summary), str(report) if report else None
        self._call(self._finish(text, path), timeout=END_WAIT_S + 5)

    def close(self) -> None:
        """End the feed (saying the run stopped, if finish() was not called) and stop."""
        if self._closed:
            return
        self._closed = True
        try:
            self._call(self._shut(), timeout=END_WAIT_S + 5)
        finally:
            self._stop_thread()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # On the live thread.

    async def _open(self, port: int) -> int:
        self._runner = web.ServerRunner(web.Server(self._handle), shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, port).start()
        self._sampler = asyncio.create_task(self._sample())
        return self._runner.addresses[0][1]

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """The page, the feed, or 404 for anything else."""
        path = request.raw_path.partition("?")[0]
        allowed_hosts = (f"{HOST}:{self.port}", f"localhost:{self.port}")
        if request.method != "GET" or request.headers.get("Host") not in allowed_hosts:
            return _not_found()
        if path == "/":
            return web.Response(
                body=self._page, content_type="text/html", charset="utf-8", headers=SECURITY
            )
        if path == "/feed":
            return await self._stream(request)
        return _not_found()

    async def _stream(self, request: web.BaseRequest) -> web.StreamResponse:
        """Send one browser a snapshot, then every event, until the end or it leaves."""
        response = web.StreamResponse(headers={**SECURITY, "Content-Type": "text/event-stream"})
        await response.prepare(request)
        me = next(self._stream_ids)
        self._streams[me] = seen = self._sequence
        try:
            first = f"retry: {RETRY_MS}\n\n".encode() + _event("snapshot", self.feed.snapshot())
            await response.write(first)
            while not self._closed:
                waiting = self._next
                if seen == self._sequence:
                    await waiting.wait()
                    continue
                events, seen = self._since(seen), self._sequence
                await response.write(events)
                self._streams[me] = seen
        except (ConnectionError, RuntimeError):  # the browser went away (or we are closing)
            pass
        finally:
            del self._streams[me]
        return response

    def _since(self, seen: int) -> bytes:
        """The events after seen, or a fresh snapshot for a browser that fell too far behind."""
        if not self._ticks or self._ticks[0][0] > seen + 1:
            return _event("snapshot", self.feed.snapshot())
        return b"".join(data for sequence, data in self._ticks if sequence > seen)

    def _publish(self, name: str, data: dict[str, Any]) -> None:
        """Hand an event to every browser (encoded only if one is connected)."""
        self._sequence += 1
        self._ticks.append((self._sequence, _event(name, data) if self._streams else b""))
        waking, self._next = self._next, asyncio.Event()
        waking.set()

    async def _sample(self) -> None:
        """Sample the run every SAMPLE_S, publish a tick every TICK_S, until the end."""
        per_tick = round(TICK_S / SAMPLE_S)
        for count in itertools.count(1):
            await asyncio.sleep(SAMPLE_S)
            if self.feed.end is not None:
                return
            try:
                self.feed.sample()
                if count % per_tick == 0 and (tick := self.feed.tick()) is not None:
                    self._publish("tick", tick)
            except Exception:  # the page loses an update; the run never notices
                LOGGER.exception("live view: sampling failed")

    async def _finish(self, summary: str | None, report: str | None) -> None:
        """Publish the last tick and the end; wait until connected browsers have them."""
        if self.feed.end is not None:
            return
        if self._sampler is not None:
            self._sampler.cancel()
        if (tick := self.feed.tick()) is not None:
            self._publish("tick", tick)
        self._publish("end", self.feed.finish(summary, report))
        deadline = time.monotonic() + END_WAIT_S
        while any(seen < self._sequence for seen in self._streams.values()):
            if time.monotonic() > deadline:
                LOGGER.warning("live view: a browser did not take the end in time")
                return
            await asyncio.sleep(0.02)

    async def _shut(self) -> None:
        await self._finish(None, None)
        self._next.set()  # wakes every stream: each sees _closed and ends
        if self._runner is not None:
            await self._runner.cleanup()

    # On the run's thread.

    def _call(self, coroutine: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _stop_thread(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                self._loop.close()


class NotLive:
    """Stands in for a LiveServer when nobody asked to watch: every call does nothing."""

    def watch(self, run: Run, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing to show."""

    def finish(self, summary: Summary, report: Path | None) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to stop."""


NOT_LIVE = NotLive()
Live = LiveServer | NotLive


def _event(name: str, data: dict[str, Any]) -> bytes:
    """One Server-Sent Event: its JSON on one line (ASCII: no character can break a line)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return f"event: {name}\ndata: {text}\n\n".encode("ascii")


def _not_found() -> web.Response:
    return web.Response(status=404, text="not found", headers=SECURITY)
