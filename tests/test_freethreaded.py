"""Without the GIL: the same crawl on the free-threaded interpreter (.venv-ft, made by
`make freethreaded`) reports the GIL off and produces the same outputs, byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from compare.plan import RunPlan, aggregate, run_all
from config import RunConfig
from tests.conftest import PIPELINE, MiniSite, photo_bytes, serving


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """Three pages, five images (one broken): every stage has work, one item fails."""
    site = MiniSite()
    names = [f"/i{index}.jpg" for index in range(4)]
    for index, name in enumerate(names):
        site.add_bytes(name, photo_bytes((320 + 60 * index, 240)))
    site.add_bytes("/broken.jpg", b"\xff\xd8\xff not a JPEG")
    site.add_page("/", links=["/a", "/b"], images=names[:2])
    site.add_page("/a", images=[names[2], "/broken.jpg"])
    site.add_page("/b", images=[names[3], names[0]])
    with serving(site.app) as origin:
        yield origin


def crawl(python: Path | str, origin: str, out: Path) -> dict:
    """`pipeline.py crawl` on python, resize on threads (the model the GIL holds back)."""
    command = [str(python), str(PIPELINE), "crawl", f"{origin}/", "--out", str(out), "--quiet"]
    command += ["--resize-model", "threads", "--concurrency", "4", "--analysis"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "summary.json").read_text())


def files(run_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(run_dir)): path.read_bytes()
        for folder in ("originals", "thumbnails")
        for path in sorted((run_dir / folder).rglob("*"))
        if path.is_file()
    }


def test_a_crawl_without_the_gil_reports_it_off_and_makes_the_same_files(
    free_python: Path, site: str, tmp_path: Path
) -> None:
    free = crawl(free_python, site, tmp_path / "free")
    held = crawl(sys.executable, site, tmp_path / "held")
    assert free["interpreter"]["free_threaded_build"] is True
    assert free["interpreter"]["gil_enabled"] is False  # measured inside the run, at its end
    assert held["interpreter"]["gil_enabled"] is True
    pillow = {run["interpreter"]["libraries"]["pillow"] for run in (free, held)}
    assert len(pillow) == 1, f"Pillow differs between the environments: {pillow}"
    assert free["counts"] == held["counts"] and free["errors"] == {"undecodable": 1}
    assert free["digest"] == held["digest"]
    assert files(tmp_path / "free") == files(tmp_path / "held")


def test_compare_runs_each_configuration_on_each_interpreter(
    free_python: Path, site: str, tmp_path: Path
) -> None:
    import contextlib

    @contextlib.contextmanager
    def open_site(latency_ms: float) -> Iterator[str]:
        yield site

    plans = [
        (0, RunPlan("alone", "resize", resize="threads", python=python))
        for python in (sys.executable, str(free_python))
    ]
    results: list[dict] = []
    run_all(plans, RunConfig("", tmp_path, sizes=(64,)), open_site, tmp_path, _Quiet(), results)
    rows = aggregate(results)
    assert [row["interpreter"].split(", ")[1] for row in rows] == ["GIL on", "GIL off"]
    assert all(row["digest_ok"] for row in rows)
    assert results[0]["digest"] == results[1]["digest"]


class _Quiet:
    """Stands in for compare's tqdm bar."""

    def update(self) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


def test_a_model_whose_extra_is_missing_says_how_to_install_it(
    free_python: Path, tmp_path: Path
) -> None:
    # .venv-ft has the project but not the cluster extra: a real environment without Dask.
    command = [str(free_python), str(PIPELINE), "crawl", "http://127.0.0.1:9/"]
    command += ["--resize-model", "dask", "--out", str(tmp_path / "run")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--resize-model dask needs distributed: pip install -e '.[cluster]'" in done.stderr
    assert not (tmp_path / "run").exists()
