"""The live view (`crawl --live`, `stage --live`): a server on 127.0.0.1 that answers its page
and its feed only, a feed built from the run's own records that a late or returning browser
can join, and runs whose outputs do not change whether anyone watches, on every model."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
from click.testing import CliRunner

from cli import cli
from config import RunConfig
from live import LiveServer
from live.feed import TICK_S
from runfolder.summary import build_summary
from runfolder.timeline import Timeline
from spans import span_since
from stats import Stats
from tests.conftest import PIPELINE, chain_site, crawl_command, serving

LIVE_LINE = "Live view: http://127.0.0.1:"


# -- reading the feed as a browser's EventSource does ---------------------------------------


class Feed:
    """One connection to /feed: its Server-Sent Events, read one at a time."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self.connection.request("GET", "/feed")
        self.response = self.connection.getresponse()

    def next(self) -> tuple[str, dict[str, Any]]:
        """The next event's name and data; ('', {}) when the server closed the stream."""
        name, data = "message", []
        while True:
            line = self.response.readline()
            if not line:
                return "", {}
            line = line.decode("utf-8").rstrip("\r\n")
            if not line and data:
                return name, json.loads("\n".join(data))
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data.append(line.removeprefix("data:").strip())

    def until(self, wanted: str) -> dict[str, Any]:
        """Read events until one named wanted arrives; its data."""
        while True:
            name, data = self.next()
            assert name, f"the feed ended before any {wanted!r} event"
            if name == wanted:
                return data

    def close(self) -> None:
        self.connection.close()


class Collector(threading.Thread):
    """Reads a whole feed in the background, keeping every event (a browser left open)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.feed = Feed(url)
        self.events: list[tuple[str, dict[str, Any]]] = []

    def run(self) -> None:
        while True:
            name, data = self.feed.next()
            if not name:
                return
            self.events.append((name, data))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == name]


def quiet_env() -> dict[str, str]:
    """Our environment without a display: a live run must not open a browser in a test."""
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


class LiveRun:
    """`pipeline.py COMMAND --live ...` in a child process, and the address it printed first."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=quiet_env(),
        )
        self.first_line = self.process.stdout.readline().rstrip("\n")
        assert self.first_line.startswith(LIVE_LINE), self.first_line + self.process.stderr.read()
        self.url = self.first_line.removeprefix("Live view: ")

    def wait(self, timeout: float = 90) -> str:
        """Wait for the run to end, cleanly; the rest of its output."""
        stdout, stderr = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, stderr
        return stdout


def summary_of(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text())


# -- the server, on real records made here --------------------------------------------------


@dataclass
class Recorded:
    """A run's records without the run: a real Stats, Timeline and queue, on a real loop."""

    config: RunConfig
    stats: Stats = field(default_factory=Stats)
    timeline: Timeline | None = None
    queues: dict[str, asyncio.Queue[Any]] = field(default_factory=dict)
    executors: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own: the run's loop, as the probe sees it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture
def recorded(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> Iterator[Recorded]:
    run = Recorded(RunConfig("http://127.0.0.1:9/", tmp_path), timeline=Timeline(tmp_path))
    run.stats.set("stage/write/model", "threads")
    run.stats.set("stage/write/workers", 2)
    run.queues["write"] = on_loop(loop, lambda: asyncio.Queue(4))
    yield run
    run.timeline.close()


def on_loop(loop: asyncio.AbstractEventLoop, fn: Any) -> Any:
    """fn() run on loop's thread, as the run's code runs: its result."""

    async def call() -> Any:
        return fn()

    return asyncio.run_coroutine_threadsafe(call(), loop).result(5)


def work(loop: asyncio.AbstractEventLoop, run: Recorded, items: int) -> None:
    """items finished on two threads of the write stage, recorded as the run records them."""

    def record() -> None:
        for index in range(items):
            span = span_since(time.monotonic() - 0.01)
            span = span._replace(thread=index % 2 + 1)
            run.timeline.add("write", span, ok=True)
            run.stats.inc("stage/write/items")
            if not run.queues["write"].full():
                run.queues["write"].put_nowait(index)

    on_loop(loop, record)


@pytest.fixture
def served() -> Iterator[LiveServer]:
    with LiveServer.start(0) as live:
        yield live


def raw_get(url: str, path: str, host: str | None = None, method: str = "GET") -> Any:
    """Send path exactly as written (no client tidies it up); the response."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host or parts.netloc)
    connection.endheaders()
    response = connection.getresponse()
    response.body = response.read(4096) if response.status != 200 or path == "/" else b""
    connection.close()
    return response


def test_the_server_listens_on_loopback_only(served: LiveServer) -> None:
    port = urlsplit(served.url).port
    assert served.url == f"http://127.0.0.1:{port}/"
    listening = [
        conn.laddr.ip
        for conn in psutil.Process().net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port
    ]
    assert listening == ["127.0.0.1"]
    for address in outside_addresses():  # this machine's other addresses: nobody answers
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()


def outside_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback."""
    return [
        address.address
        for addresses in psutil.net_if_addrs().values()
        for address in addresses
        if address.family == socket.AF_INET and not address.address.startswith("127.")
    ]


def test_the_server_answers_its_page_with_a_policy(served: LiveServer) -> None:
    response = raw_get(served.url, "/")
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/html")
    policy = response.getheader("Content-Security-Policy")
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert b"src=" not in response.body and b"https:" not in response.body  # loads nothing


@pytest.mark.parametrize(
    "path",
    [
        "/../x",
        "/..",
        "/../",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/etc/passwd",
        "//etc/passwd",
        "/./",
        "/feed/",
        "/feed/../",
        "/feed/..%2f",
        "/index.html",
        "/report.html",
        "/static/live.js",
    ],
)
def test_the_server_refuses_every_other_path(served: LiveServer, path: str) -> None:
    assert raw_get(served.url, path).status == 404


def test_the_server_refuses_another_host_name_and_other_methods(served: LiveServer) -> None:
    # A page elsewhere cannot read the feed through a name of its own resolving to us.
    assert raw_get(served.url, "/", host="attacker.example").status == 404
    assert raw_get(served.url, "/feed", host="attacker.example:80").status == 404
    assert raw_get(served.url, "/", method="POST").status == 404
    assert raw_get(served.url, "*").status == 400  # not even a path: aiohttp's parser refuses
    assert raw_get(served.url, "/", host=f"localhost:{urlsplit(served.url).port}").status == 200


def test_a_browser_that_connects_late_or_again_gets_the_lanes_and_recent_spans(
    served: LiveServer, recorded: Recorded, loop: asyncio.AbstractEventLoop
) -> None:
    early = Feed(served.url)
    waiting = early.until("snapshot")
    assert waiting["run"] is None  # nothing to show yet, and it says so
    served.watch(recorded, loop)
    work(loop, recorded, 6)
    tick = early.until("tick")
    while not tick["spans"]:  # the spans come in the tick after they were recorded
        tick = early.until("tick")
    early.close()  # the browser goes away mid-run

    work(loop, recorded, 4)
    time.sleep(2 * TICK_S)  # a tick takes them into the window
    late = Feed(served.url)
    snapshot = late.until("snapshot")
    assert snapshot["run"]["stages"]["write"] == {"model": "threads", "workers": 2}
    assert sorted(lane[2] for lane in snapshot["lanes"]) == ["thread 1", "thread 2"]
    assert len(snapshot["spans"]) == 10
    assert snapshot["stages"]["write"]["items"] == 10
    samples = late.until("tick")["samples"]
    assert samples and all(sample[2] == [4] for sample in samples)  # the queue: full, 4 of 4
    assert all(sample[1] is not None and sample[1] < 1000 for sample in samples[1:])  # lag, ms
    late.close()


def test_the_loop_lag_rises_while_the_runs_loop_is_stalled(
    served: LiveServer, recorded: Recorded, loop: asyncio.AbstractEventLoop
) -> None:
    served.watch(recorded, loop)
    feed = Feed(served.url)
    feed.until("snapshot")
    loop.call_soon_threadsafe(time.sleep, 1.0)  # blocking work on the run's loop
    worst = 0.0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and worst < 500:
        lags = [sample[1] for sample in feed.until("tick")["samples"] if sample[1] is not None]
        worst = max([worst, *lags])
    feed.close()
    assert worst >= 500  # seen while the stall lasted, not only after it


def test_the_end_reaches_a_connected_browser_then_the_feed_closes(
    served: LiveServer, recorded: Recorded, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    served.watch(recorded, loop)
    work(loop, recorded, 3)
    for key, value in {"loop_lag/max_ms": 1.0, "loop_lag/p99_ms": 1.0, "digest": "d1g"}.items():
        recorded.stats.set(key, value)
    feed = Feed(served.url)
    feed.until("snapshot")
    report = tmp_path / "report.html"
    served.finish(build_summary(recorded.config, recorded.stats), report)
    end = feed.until("end")
    assert "digest d1g" in end["summary"] and end["report"] == str(report)
    assert 0 < end["live_cpu_s"] < 5  # what watching cost: the live thread's CPU seconds
    served.close()
    assert feed.next() == ("", {})  # and the stream ends: the page stops listening


# -- whole runs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """16 pages, each with its own image, answering after 20 ms: a run of about a second."""
    with serving(chain_site(16, 0.02).app) as origin:
        yield origin


def test_the_outputs_are_the_same_whether_the_run_is_watched_closed_or_never_opened(
    site: str, tmp_path: Path
) -> None:
    options = ("--concurrency", "4", "--sizes", "64")
    plain = tmp_path / "plain"
    done = subprocess.run(crawl_command(f"{site}/", "--out", str(plain), *options), timeout=90)
    assert done.returncode == 0

    never = LiveRun(crawl_command(f"{site}/", "--out", str(tmp_path / "never"), "--live", *options))
    assert "Report: " in never.wait()  # the address came first (LiveRun), the rest as ever

    closed_out = str(tmp_path / "closed")
    closed = LiveRun(crawl_command(f"{site}/", "--out", closed_out, "--live", *options))
    feed = Feed(closed.url)
    tick = feed.until("tick")
    while not tick["spans"]:  # the run is under way
        tick = feed.until("tick")
    feed.close()  # the browser closes mid-run
    closed.wait()

    digests = {summary_of(tmp_path / name)["digest"] for name in ("plain", "never", "closed")}
    assert len(digests) == 1


def test_live_port_is_checked_before_anything_is_made(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        out = tmp_path / "run"
        args = ["crawl", "http://127.0.0.1:9/", "--out", str(out), "--live", "--live-port", port]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--live-port" in result.output
    assert not out.exists()
    result = CliRunner().invoke(cli, ["crawl", "http://127.0.0.1:9/", "--live-port", port])
    assert result.exit_code == 2 and "--live" in result.output


def test_a_dask_run_shows_its_workers_and_its_dashboard_or_says_it_has_none(
    dask_installed: None, site: str, tmp_path: Path
) -> None:
    import importlib.util

    out = tmp_path / "run"
    args = ("--concurrency", "4", "--sizes", "64", "--resize-model", "dask", "--live")
    run = LiveRun(crawl_command(f"{site}/", "--out", str(out), *args))
    collector = Collector(run.url)
    collector.start()
    run.wait(120)
    collector.join(10)
    shown = {tick["run"]["dashboard"] for tick in collector.named("tick") if tick.get("run")}
    dashboards = shown - {None}  # None: before the cluster started
    if importlib.util.find_spec("bokeh") is None:
        assert dashboards == {"no dashboard"}
    else:
        assert any(str(shown).startswith("http://127.0.0.1:") for shown in dashboards)
    lanes = [lane for tick in collector.named("tick") for lane in tick["lanes"]]
    resize = [lane for lane in lanes if lane[0] == "resize"]
    assert resize and {lane[3] for lane in resize} == {"process"}
    assert "digest" in collector.named("end")[0]["summary"]


def test_without_the_gil_the_page_says_so(free_python: Path, site: str, tmp_path: Path) -> None:
    command = [str(free_python), str(PIPELINE), "stage", "crawl", f"{site}/", "--quiet", "--live"]
    run = LiveRun([*command, "--out", str(tmp_path / "run"), "--crawl-model", "threads"])
    collector = Collector(run.url)
    collector.start()
    run.wait()
    collector.join(10)
    shown = {tick["run"]["interpreter"] for tick in collector.named("tick") if tick.get("run")}
    assert shown and all(text.endswith("GIL off") for text in shown), shown
    assert summary_of(tmp_path / "run")["interpreter"]["gil_enabled"] is False
