"""report.html in a real browser: headless Chromium (Debian's, driven by Playwright) opens the
reports of small real runs from file:// and checks what a reader would see."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from report import write_run_report
from tests.test_report import HOSTILE, hostile_copy

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine without a browser; in CI the test must fail instead."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


@contextlib.contextmanager
def launched_chromium() -> Iterator[Any]:
    """A headless Chromium, closed after use: Debian's where it is installed, else
    Playwright's own (`playwright install chromium`), else a skip that says how (a failure
    in CI)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        own = {"executable_path": str(CHROMIUM)} if CHROMIUM.exists() else {}
        try:
            chromium = playwright.chromium.launch(args=CHROMIUM_ARGS, **own)
        except Error as error:
            first = str(error).strip().splitlines()[0]
            unavailable(
                f"no browser could start ({first}); `make browser` installs Debian's "
                "chromium as root, `playwright install chromium` Playwright's own"
            )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    with launched_chromium() as chromium:
        yield chromium


class Opened:
    """A report open in a page, with every console error and uncaught exception it raised."""

    def __init__(self, browser: Any, path: Path, query: str = "") -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.resolve().as_uri() + query)
        self.page.wait_for_load_state("load")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def load_every_image(self) -> list[dict[str, Any]]:
        """Scroll each image into view (they are lazy) and wait for it; return their sizes."""
        self.page.evaluate(
            """async () => {
                for (const img of document.images) {
                    img.scrollIntoView();
                    await img.decode().catch(() => {});
                }
                window.scrollTo(0, 0);
            }"""
        )
        return self.page.evaluate(
            "[...document.images].map(i => ({src: i.getAttribute('src'), w: i.naturalWidth}))"
        )

    def lanes(self, host: str) -> dict[str, int]:
        """Lane elements per stage in one timeline."""
        return self.page.evaluate(
            """host => {
                const counts = {};
                for (const lane of document.querySelectorAll(`#${host} .tl-lane`)) {
                    counts[lane.dataset.stage] = (counts[lane.dataset.stage] || 0) + 1;
                }
                return counts;
            }""",
            host,
        )

    def drawn(self, timeline: str) -> dict[str, Any]:
        """What the page's script says it drew for a timeline."""
        return self.page.evaluate("id => window.REPORT.timelines[id]", timeline)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def opened(browser: Any) -> Iterator[list[Opened]]:
    """Pages opened by a test, closed after it."""
    pages: list[Opened] = []
    yield pages
    for page in pages:
        page.close()


def lanes_of(run_dir: Path) -> dict[str, int]:
    """Workers per stage, as the run's summary.json lists them."""
    summary = json.loads((run_dir / "summary.json").read_text())
    return {stage: len(lanes) for stage, lanes in summary["timeline"]["lanes"].items()}


def assert_timeline_matches(page: Opened, host: str, timeline: str, run_dir: Path) -> None:
    """One lane per worker of the run, and a bar in every stage."""
    workers = lanes_of(run_dir)
    assert page.lanes(host) == workers
    drawn = page.drawn(timeline)
    assert drawn["lanesByStage"] == workers
    assert all(drawn["bars"][stage] >= 1 for stage in workers), drawn


def test_the_run_report_loads_cleanly_with_every_image(
    browser: Any, opened: list[Opened], crawled: Path, tmp_path: Path
) -> None:
    page = Opened(browser, crawled / "report.html")
    opened.append(page)
    images = page.load_every_image()
    assert len(images) == 5
    assert all(image["w"] > 0 for image in images), images
    assert_timeline_matches(page, "timeline-run", "run", crawled)
    shot = tmp_path / "run-report.png"
    page.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.errors == []


def test_hostile_records_show_as_text_and_run_nothing(
    browser: Any, opened: list[Opened], crawled: Path, tmp_path: Path
) -> None:
    hostile = hostile_copy(crawled, tmp_path / "hostile")
    page = Opened(browser, write_run_report(hostile))
    opened.append(page)
    assert page.page.evaluate("window.pwned === undefined && !document.getElementById('pwned')")
    labels = page.page.eval_on_selector_all(".tl-lane .name", "els => els.map(e => e.textContent)")
    assert HOSTILE in labels
    assert HOSTILE in page.page.inner_text("h1")
    assert page.dialogs == [] and page.errors == []


def test_a_report_without_a_timeline_still_loads(
    browser: Any, opened: list[Opened], crawled: Path, tmp_path: Path
) -> None:
    bare = shutil.copytree(crawled, tmp_path / "bare")
    (bare / "timeline.jsonl").unlink()
    page = Opened(browser, write_run_report(bare))
    opened.append(page)
    assert page.drawn("run")["lanes"] == 0
    assert page.errors == []


def test_the_compare_report_shows_the_chart_and_two_timelines(
    browser: Any, opened: list[Opened], compared: Path, tmp_path: Path
) -> None:
    page = Opened(browser, compared / "report.html")
    opened.append(page)
    images = page.load_every_image()
    assert [image["src"] for image in images] == ["chart.png"]
    assert images[0]["w"] > 0
    runs = page.page.evaluate("JSON.parse(document.getElementById('report-data').textContent)")
    keys = [run["key"] for run in runs["compare"]["runs"]]
    assert_timeline_matches(page, "timeline-a", "a", compared / "runs" / keys[0])
    assert_timeline_matches(page, "timeline-b", "b", compared / "runs" / keys[1])
    assert "resize alone on threads" in page.page.inner_text("#title-a")
    assert "resize alone on processes" in page.page.inner_text("#title-b")
    page.page.screenshot(path=str(tmp_path / "compare-report.png"), full_page=True)
    assert page.errors == []


def test_the_compare_pickers_and_the_url_choose_the_runs(
    browser: Any, opened: list[Opened], compared: Path
) -> None:
    data = json.loads(
        (compared / "report.html").read_text().split('id="report-data">')[1].split("</script>")[0]
    )
    first, second = (run["key"] for run in data["compare"]["runs"][:2])
    page = Opened(browser, compared / "report.html", f"?a={second}&b={first}")
    opened.append(page)
    assert "on processes" in page.page.inner_text("#title-a")
    assert_timeline_matches(page, "timeline-a", "a", compared / "runs" / second)
    page.page.select_option("#pick-b", "1")
    assert "on processes" in page.page.inner_text("#title-b")
    assert_timeline_matches(page, "timeline-b", "b", compared / "runs" / second)
    assert page.errors == []


def claims_folder(folder: Path) -> Path:
    """A claims folder with claims 4 and 10 measured with and without the GIL (made-up
    numbers, the real writers), the longest labels of the catalogue among them."""
    from claims.catalogue import BY_NUMBER, FULL
    from claims.run import Finding, Side, write_claims
    from claims.verdict import Check, Verdict

    def side(specs: tuple, values: tuple[float, ...], verdict: Verdict, python: str) -> Side:
        checks = [Check(spec.label(FULL), values, spec.at_least, spec.at_most) for spec in specs]
        return Side(verdict, (), tuple(checks), python, python == "3.11.7", None)

    findings = []
    for number in (4, 10):
        claim = BY_NUMBER[number]
        findings.append(
            Finding(
                id=number,
                claim=claim.words,
                question=claim.question,
                source=claim.source,
                untested=(),
                command=f"python pipeline.py claims --claim {number}",
                quick=False,
                here=side(claim.checks, (1.02, 1.05, 1.1), Verdict.HOLDS, "3.11.7"),
                without_gil=side(
                    claim.checks + claim.without_gil, (1.5, 1.9, 2.0), Verdict.FAILS, "3.13.15t"
                ),
            )
        )
    folder.mkdir()
    write_claims(folder, findings, {"cores": 2})
    return folder


def test_the_claims_report_shows_each_verdict_with_and_without_the_gil_uncut(
    browser: Any, opened: list[Opened], tmp_path: Path
) -> None:
    from PIL import Image

    from report import write_claims_report

    folder = claims_folder(tmp_path / "claims")
    page = Opened(browser, write_claims_report(folder))
    opened.append(page)
    images = page.load_every_image()
    assert [image["src"] for image in images] == ["claims.png"] and images[0]["w"] > 0
    card = page.page.inner_text("#claim-10")
    assert "Python 3.11.7, GIL on" in card and "Python 3.13.15t, GIL off" in card
    page.page.screenshot(path=str(tmp_path / "claims-report.png"), full_page=True)
    # Nothing drawn touches the chart's edges: no label is cut off.
    with Image.open(folder / "claims.png") as chart:
        rgb = chart.convert("RGB")
        edges = [rgb.getpixel((x, y)) for x in (0, 1, rgb.width - 1) for y in range(rgb.height)]
        edges += [rgb.getpixel((x, y)) for y in (0, rgb.height - 1) for x in range(rgb.width)]
    assert set(edges) == {(255, 255, 255)}
    assert page.errors == []
