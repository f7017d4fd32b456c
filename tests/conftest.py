"""Shared fixtures: real aiohttp servers on 127.0.0.1 (port 0), real files in tmp dirs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from aiohttp import web
from PIL import Image

from cli.commands import FREE_THREADED
from models.registry import models_for


@pytest.fixture(params=models_for("crawl"))
def model(request: pytest.FixtureRequest) -> str:
    """Each concurrency model that runs every stage, by name: tests that take it run once
    per model (the dask model, which runs only the resize stage, has tests of its own)."""
    return request.param


class MiniSite:
    """A hand-built site for one test: add_page('/a', links=['/b']), then serve it."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.hits: dict[str, int] = {}
        self.hit_times: dict[str, list[float]] = {}  # when each request arrived, by path
        self.accept_encodings: list[str | None] = []  # each request's Accept-Encoding
        self.in_flight = 0
        self.peak_in_flight = 0
        self.delay_s = 0.0
        # With hold_until = N, each request for one of held_paths waits (up to 20 s) until
        # N are in flight: a peak-concurrency test need not guess the machine's speed.
        self.hold_until = 0
        self.held_paths: set[str] = set()
        self._held: asyncio.Event | None = None

    def add(self, path: str, handler) -> None:
        """Serve path with an aiohttp handler, counting requests and concurrency."""

        async def counted(request: web.Request) -> web.StreamResponse:
            self.hits[path] = self.hits.get(path, 0) + 1
            self.hit_times.setdefault(path, []).append(time.monotonic())
            self.accept_encodings.append(request.headers.get("Accept-Encoding"))
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                if path in self.held_paths:
                    await self._hold()
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                return await handler(request)
            finally:
                self.in_flight -= 1

        self.app.router.add_get(path, counted)

    async def _hold(self) -> None:
        self._held = self._held or asyncio.Event()
        if self.in_flight >= self.hold_until:
            self._held.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._held.wait(), 20.0)

    def add_page(self, path: str, links: list[str] = (), images: list[str] = ()) -> None:
        """Serve an HTML page linking to links and showing images."""
        body = "".join(f'<a href="{link}">link</a>' for link in links)
        body += "".join(f'<img src="{image}">' for image in images)
        html = f"<html><body>{body}</body></html>"

        async def page(request: web.Request) -> web.Response:
            return web.Response(text=html, content_type="text/html")

        self.add(path, page)

    def add_bytes(self, path: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Serve fixed bytes."""

        async def raw(request: web.Request) -> web.Response:
            return web.Response(body=data, content_type=content_type)

        self.add(path, raw)


@contextmanager
def serving(app: web.Application) -> Iterator[str]:
    """Run an aiohttp app on 127.0.0.1 in a background thread; yield its origin."""
    loop = asyncio.new_event_loop()
    # A short shutdown: handlers that never answer must not hold the test up.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    started = threading.Event()
    origin: list[str] = []

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        origin.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    started.wait(10)
    try:
        yield origin[0]
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        _cancel_leftovers(loop)
        loop.close()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel handlers still waiting (a server that never answers), so none leaks."""
    leftovers = asyncio.all_tasks(loop)
    for task in leftovers:
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))


@pytest.fixture
def mini_site() -> MiniSite:
    """An empty hand-built site; serve it with `serving(mini_site.app)`."""
    return MiniSite()


def photo_bytes(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", **save: object) -> bytes:
    """A noisy (photo-like) RGB image encoded in fmt."""
    image = Image.effect_noise(size, 50).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def chain_site(pages: int, delay_s: float, images: bool = True) -> MiniSite:
    """A site of `pages` pages, each linking to three others and showing its own image,
    every request taking delay_s: a crawl that lasts long enough to interrupt."""
    site = MiniSite()
    image = photo_bytes((320, 240))
    for index in range(pages):
        links = [f"/p{(index * 7 + k) % pages}" for k in (1, 2, 3)]
        site.add_page(f"/p{index}", links=links, images=[f"/i{index}.jpg"] if images else [])
        if images:
            site.add_bytes(f"/i{index}.jpg", image + index.to_bytes(4, "big"))
    site.add_page("/", links=["/p0", "/p1"])
    site.delay_s = delay_s
    return site


PIPELINE = Path(__file__).resolve().parent.parent / "pipeline.py"


def crawl_command(*args: str) -> list[str]:
    """`pipeline.py crawl --quiet ARGS`, to run as a subprocess, as a user runs it."""
    return [sys.executable, str(PIPELINE), "crawl", "--quiet", *args]


MARK = "CONCURRENCY_DEMO_TEST"  # an environment variable every process a test starts inherits


def marked_environment() -> tuple[str, dict[str, str]]:
    """A new mark, and this process's environment carrying it, for a child to start with."""
    mark = uuid.uuid4().hex
    return mark, {**os.environ, MARK: mark}


def marked(mark: str) -> list[psutil.Process]:
    """Every process whose environment carries mark: a child and all it started."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(MARK) == mark:
                found.append(process)
        except psutil.Error:
            continue
    return found


@pytest.fixture(scope="session")
def free_python() -> Path:
    """The free-threaded interpreter (`make freethreaded`); in CI its absence is a failure,
    never a skip."""
    if not FREE_THREADED.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(".venv-ft is missing: .ci/run makes it (make freethreaded) before tests")
        pytest.skip("no .venv-ft here: `make freethreaded` makes it (a few minutes, once)")
    return FREE_THREADED


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A fresh, not yet created, run folder."""
    return tmp_path / "run"


# The report's tests share one real crawl and one real compare for the whole session. Imported
# last: report_runs builds on the helpers above.
from tests.report_runs import compared, crawled  # noqa: E402, F401


@pytest.fixture(scope="module")
def dask_installed() -> None:
    """The cluster extra; in CI its absence is a failure, never a skip."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("the cluster extra is missing: make setup installs it")
        pytest.skip("no Dask here: pip install -e '.[cluster]'")
