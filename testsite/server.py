"""Ways to run the site: in this event loop, in its own process, or in the foreground."""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from aiohttp import web

from testsite.app import make_app
from testsite.site import Site, build_site
from testsite.spec import ServeOptions, SiteSpec
from testsite.urls import canonical_origin

START_TIMEOUT_S = 600.0  # a first start draws the images, which takes a while on a slow machine
STOP_TIMEOUT_S = 5.0
BACKLOG = 1024  # a crawler opening hundreds of connections at once must not be refused


@asynccontextmanager
async def running_site(site: Site, options: ServeOptions) -> AsyncIterator[str]:
    """Serve site on the running loop; yield its origin, such as http://127.0.0.1:41234."""
    # A short shutdown: requests still sleeping in their latency must not hold the exit up.
    runner = web.AppRunner(make_app(site, options), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        tcp = web.TCPSite(runner, options.host, options.port, backlog=BACKLOG)
        await tcp.start()
        port = runner.addresses[0][1]
        yield canonical_origin(f"http://{_url_host(options.host)}:{port}")
    finally:
        await runner.cleanup()


@contextmanager
def site_process(spec: SiteSpec, options: ServeOptions, cache_dir: Path) -> Iterator[str]:
    """Serve the site from a child process of its own; yield its origin once it listens."""
    context = multiprocessing.get_context("spawn")  # never fork a process that has threads
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(spec, options, Path(cache_dir), sender),
        name="testsite",
        daemon=True,  # dies with us even if we are killed before the finally below runs
    )
    child.start()
    sender.close()  # so that recv() sees EOF if the child dies without a word
    try:
        yield _await_origin(child, receiver)
    finally:
        receiver.close()
        _stop(child)


def serve_forever(
    spec: SiteSpec, options: ServeOptions, cache_dir: Path, announce: Callable[[str], None]
) -> None:
    """Build and serve the site in the foreground until Ctrl-C or SIGTERM, then return."""
    try:
        site = build_site(spec, Path(cache_dir))
        asyncio.run(_serve_until_signal(site, options, announce))
    except KeyboardInterrupt:  # Ctrl-C while the images were being drawn
        pass


async def _serve_until_signal(
    site: Site, options: ServeOptions, announce: Callable[[str], None]
) -> None:
    """Serve until SIGINT or SIGTERM arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        async with running_site(site, options) as origin:
            announce(origin)
            await stop.wait()
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


def _child_main(spec: SiteSpec, options: ServeOptions, cache_dir: Path, sender: Connection) -> None:
    """In the child: build the site, serve it, report the origin or the error to the parent."""
    # Ctrl-C reaches the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        site = build_site(spec, cache_dir)
        asyncio.run(_serve_in_child(site, options, sender))
    except BaseException:
        with suppress(OSError):
            sender.send(("error", traceback.format_exc()))
        raise SystemExit(1) from None


async def _serve_in_child(site: Site, options: ServeOptions, sender: Connection) -> None:
    """Serve site, tell the parent where, and serve until terminated or orphaned."""
    async with running_site(site, options) as origin:
        sender.send(("ready", origin))
        sender.close()
        await _parent_exit()


async def _parent_exit() -> None:
    """Return when the parent process is gone, so a killed parent leaves no server behind."""
    parent = multiprocessing.parent_process()
    if parent is None:
        await asyncio.Event().wait()
        return
    await asyncio.get_running_loop().run_in_executor(None, parent.join)


def _await_origin(child: BaseProcess, receiver: Connection) -> str:
    """Wait for the child's origin; raise RuntimeError with its error if it fails to start."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if receiver.poll(0.1):
            try:
                kind, value = receiver.recv()
            except EOFError:
                break
            if kind == "ready":
                return value
            raise RuntimeError(f"The test site process failed to start:\n{value}")
        if not child.is_alive() and not receiver.poll():
            break
    child.join(0.1)
    if child.exitcode is None:
        raise RuntimeError(f"The test site process did not listen within {START_TIMEOUT_S:g} s")
    raise RuntimeError(f"The test site process exited with code {child.exitcode} before listening")


def _stop(child: BaseProcess) -> None:
    """Terminate the child and wait for it, killing it if it will not go."""
    if child.is_alive():
        child.terminate()
    child.join(STOP_TIMEOUT_S)
    if child.is_alive():
        child.kill()
        child.join()


def _url_host(host: str) -> str:
    """Bracket an IPv6 literal for use in a URL."""
    return f"[{host}]" if ":" in host else host
