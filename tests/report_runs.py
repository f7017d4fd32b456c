"""One small real crawl and one real compare, made once per test session and shared by the
report's tests (tests/test_report.py) and its browser tests (tests/test_report_browser.py)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from compare.plan import RunPlan, run_all
from compare.results import finish_compare
from config import RunConfig
from report import write_compare_report
from tests.conftest import MiniSite, crawl_command, photo_bytes, serving

# Survive URL normalisation ('<' and '"' are percent-encoded before they reach the records).
QUOTED_NAME = "/img/it's&more.jpg"


def report_site() -> MiniSite:
    """Three pages, six images: one broken, one under a second URL, one with a quote in it."""
    site = MiniSite()
    images = {f"/img/photo{index}.jpg": photo_bytes((300 + 60 * index, 200)) for index in range(4)}
    images["/img/copy.jpg"] = images["/img/photo0.jpg"]
    images[QUOTED_NAME] = photo_bytes((160, 240))
    images["/img/broken.jpg"] = b"\xff\xd8\xff not a JPEG"
    for path, data in images.items():
        site.add_bytes(path, data)
    quoted = "/img/it&apos;s&amp;more.jpg"
    site.add_page("/", links=["/a", "/b"], images=["/img/photo0.jpg", quoted, "/img/broken.jpg"])
    site.add_page("/a", links=["/b"], images=["/img/photo1.jpg", "/img/photo2.jpg"])
    site.add_page("/b", images=["/img/photo3.jpg", "/img/copy.jpg"])
    site.delay_s = 0.02  # the stages overlap, and every lane gets work
    return site


@contextlib.contextmanager
def serving_report_site() -> Iterator[str]:
    with serving(report_site().app) as origin:
        yield origin


def crawl_into(origin: str, run_dir: Path) -> Path:
    """A real `pipeline.py crawl` on the default models (asyncio, threads, processes), in a
    child process as a user runs it; it writes its own report."""
    options = ["--concurrency", "4", "--retries", "0", "--write-workers", "2", "--sizes", "64,128"]
    command = crawl_command(f"{origin}/", "--out", str(run_dir), *options)
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return run_dir


class Stub:
    """Stands in for compare's tqdm bar."""

    def update(self) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


def compare_into(origin: str, out: Path) -> Path:
    """A real compare: resize alone on threads, then processes, then the whole pipeline with
    resize on each (every run a child process)."""

    @contextlib.contextmanager
    def open_site(latency_ms: float) -> Iterator[str]:
        yield origin

    models = ("threads", "processes")
    plans = [(0, RunPlan("alone", "resize", resize=model, concurrency=4)) for model in models]
    plans += [(0, RunPlan(resize=model, concurrency=4)) for model in models]
    results: list[dict] = []
    out.mkdir(parents=True)
    run_all(plans, RunConfig("", out, sizes=(64,)), open_site, out, Stub(), results)
    finish_compare(out, results, {"note": "test"})  # each run's child wrote its own report
    write_compare_report(out)
    return out


@pytest.fixture(scope="session")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crawl's run folder, report included."""
    with serving_report_site() as origin:
        return crawl_into(origin, tmp_path_factory.mktemp("report") / "run")


@pytest.fixture(scope="session")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compare's folder, report included."""
    with serving_report_site() as origin:
        return compare_into(origin, tmp_path_factory.mktemp("compare") / "out")
