"""The live page in a real browser: headless Chromium (Debian's, driven by Playwright, as for
report.html) watches real runs of a local site with latency while they go, sees their lanes
and counts grow, then their summary, and stays readable after the run has ended."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PIPELINE, chain_site, crawl_command, serving
from tests.test_live import LiveRun, summary_of
from tests.test_report_browser import lanes_of, launched_chromium

STATE = """() => ({
    ...window.LIVE,
    drawn: window.REPORT.timelines.live || {lanes: 0, bars: {}, lanesByStage: {}},
})"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    with launched_chromium() as chromium:
        yield chromium


class LivePage:
    """The live page open in a tab, with every console error and uncaught exception."""

    def __init__(self, browser: Any, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.goto(url)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def state(self) -> dict[str, Any]:
        """What the page shows now: its counts, and what report.js drew in the lanes."""
        return self.page.evaluate(STATE)

    def wait_for(self, condition: str, timeout_s: float = 60) -> None:
        """Wait until condition holds on the page (as a function: the page's policy forbids
        evaluating a string)."""
        self.page.wait_for_function(f"() => {condition}", timeout=timeout_s * 1000)


def total(counts: dict[str, float]) -> float:
    return sum(counts.values())


def watch_to_the_end(browser: Any, run: LiveRun, run_dir: Path) -> LivePage:
    """Open the run's page, read it twice a second apart while it goes (lanes fill, counts
    grow), then wait for its summary; the page is left open."""
    page = LivePage(browser, run.url)
    page.wait_for("window.LIVE && window.LIVE.spanCount > 0")
    first = page.state()
    page.page.wait_for_timeout(1000)
    second = page.state()
    assert first["running"], first
    assert total(second["items"]) > total(first["items"]), (first, second)
    assert total(second["busyDrawn"]) > total(first["busyDrawn"]), (first, second)
    assert second["drawn"]["lanes"] >= first["drawn"]["lanes"] >= 1
    assert second["now"] > first["now"]
    page.wait_for("window.LIVE.finished")
    run.wait()
    summary = summary_of(run_dir)
    shown = page.page.inner_text("#live-summary")
    assert f"digest {summary['digest']}" in shown
    assert str(run_dir / "report.html") in page.page.inner_text("#live-report")
    assert page.state()["drawn"]["lanesByStage"] == lanes_of(run_dir)  # every worker's lane
    page.page.wait_for_timeout(500)  # the run's process is gone: the page stays as it was
    assert page.page.inner_text("#live-summary") == shown
    assert page.errors == []
    return page


@pytest.fixture(scope="module")
def slow_site() -> Iterator[str]:
    """40 pages, each with its own image, answering after 100 ms: with two requests in flight,
    a crawl of about four seconds, long enough to be read twice while it goes on a busy
    machine (the page takes a while to open there)."""
    with serving(chain_site(40, 0.1).app) as origin:
        yield origin


OPTIONS = ("--concurrency", "2", "--write-workers", "2", "--resize-workers", "2", "--sizes", "64")


def test_a_default_crawl_fills_its_lanes_live_and_ends_with_its_summary(
    browser: Any, slow_site: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    run = LiveRun(crawl_command(f"{slow_site}/", "--out", str(out), "--live", *OPTIONS))
    page = watch_to_the_end(browser, run, out)
    queues = page.page.eval_on_selector_all("[data-queue]", "els => els.map(e => e.dataset.queue)")
    assert queues == ["write", "resize"]
    assert page.page.inner_text("#live-interpreter").startswith("Python ")
    page.page.close()


def test_a_threads_crawl_goes_on_when_a_browser_closes_and_another_sees_it_end(
    browser: Any, slow_site: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    options = ("--crawl-model", "threads", "--live", *OPTIONS)
    run = LiveRun(crawl_command(f"{slow_site}/", "--out", str(out), *options))
    leaving = LivePage(browser, run.url)
    leaving.wait_for("window.LIVE && window.LIVE.spanCount > 0")
    leaving.page.close()  # mid-run
    page = watch_to_the_end(browser, run, out)
    kinds = page.page.eval_on_selector_all(
        '.tl-lane[data-stage="crawl"]', "els => [...new Set(els.map(e => e.dataset.kind))]"
    )
    assert kinds == ["thread"]
    page.page.close()


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run's folder: the input of the resize stage alone."""
    out = tmp_path_factory.mktemp("input") / "run"
    with serving(chain_site(30, 0.0).app) as origin:
        command = crawl_command(f"{origin}/", "--out", str(out), "--concurrency", "8")
        subprocess.run(command, check=True, capture_output=True, timeout=90)
    return out


def test_a_processes_resize_alone_fills_a_lane_per_process(
    browser: Any, originals: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    command = [sys.executable, str(PIPELINE), "stage", "resize", "--quiet", "--out", str(out)]
    command += ["--input", str(originals), "--resize-model", "processes", "--live"]
    command += ["--resize-workers", "2", "--analysis", "--sizes", "64,128,256"]
    run = LiveRun(command)
    page = watch_to_the_end(browser, run, out)
    kinds = page.page.eval_on_selector_all(".tl-lane", "els => els.map(e => e.dataset.kind)")
    assert kinds == ["process", "process"]
    page.page.close()
