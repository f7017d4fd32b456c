"""--resume, for real: a crawl stopped by SIGINT is resumed to the outputs of an unbroken one,
fetching nothing twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runfolder.resume import load_done, read_run_info
from tests.conftest import PIPELINE, MiniSite, chain_site, serving
from tests.conftest import crawl_command as crawl_with
from tests.test_config import parsed
from tests.test_interrupt import wait_for_pages

PAGES = 60


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[MiniSite, str]]:
    """60 pages of 0.05 s, each with its own image."""
    mini = chain_site(PAGES, 0.05)
    with serving(mini.app) as origin:
        yield mini, origin


def crawl_command(*args: str) -> list[str]:
    return crawl_with("--sizes", "64", *args)


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


@pytest.fixture(scope="module")
def unbroken(site: tuple[MiniSite, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    _, origin = site
    run_dir = tmp_path_factory.mktemp("unbroken") / "run"
    subprocess.run(
        crawl_command(f"{origin}/", "--out", str(run_dir), "--concurrency", "4"),
        check=True,
        capture_output=True,
    )
    return summary(run_dir)


def test_a_resumed_run_ends_as_an_unbroken_one(
    site: tuple[MiniSite, str], unbroken: dict, tmp_path: Path, model: str
) -> None:
    mini, origin = site
    mini.hits.clear()
    run_dir = tmp_path / "run"
    first = subprocess.Popen(
        crawl_command(
            f"{origin}/", "--out", str(run_dir), "--concurrency", "4", "--crawl-model", model
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_for_pages(run_dir, 20)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=20)
    assert first.returncode == 130
    assert summary(run_dir)["counts"]["pages"] < PAGES + 1

    resumed = subprocess.run(
        crawl_command("--resume", str(run_dir), "--crawl-model", model),
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    final = summary(run_dir)
    assert final["digest"] == unbroken["digest"]
    assert final["counts"] == unbroken["counts"]
    fetched_twice = {path: hits for path, hits in mini.hits.items() if hits > 1}
    assert not fetched_twice
    assert len(mini.hits) == 2 * PAGES + 1  # every page and image, once


def test_resume_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = subprocess.run(
        crawl_command("--resume", str(tmp_path)), capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "not a run folder" in result.stderr


def test_images_that_failed_on_a_full_disk_are_retried_on_resume(tmp_path: Path) -> None:
    row = {
        "url": "http://h/a.jpg",
        "thumbnails": {},
        "thumbnail_sha256": {},
        "bytes": 9,
        "sha256": "x",
        "colours": None,
    }
    lines = [
        {**row, "ok": True, "error": None},
        {
            **row,
            "url": "http://h/b.jpg",
            "ok": False,
            "error": {"kind": "disk", "message": "No space left on device"},
        },
    ]
    (tmp_path / "images.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (tmp_path / "pages.jsonl").write_text('{"url": "http://h/", "cut off by a kill')
    done = load_done(tmp_path)
    assert [image["url"] for image in done.images] == ["http://h/a.jpg"]
    assert "b.jpg" not in (tmp_path / "images.jsonl").read_text()  # its line is gone too
    assert done.pages == [] and (tmp_path / "pages.jsonl").read_text() == ""


def test_run_json_holds_the_runs_configuration_as_its_command_line_built_it(
    site: tuple[MiniSite, str], tmp_path: Path
) -> None:
    _, origin = site
    run_dir = tmp_path / "run"
    args = [f"{origin}/", "--out", str(run_dir), "--max-depth", "1", "--resize-model", "threads"]
    args += ["--sizes", "64"]
    subprocess.run(crawl_command(*args), check=True, capture_output=True)
    stored = read_run_info(run_dir)
    assert stored.config == parsed(args)
    assert stored.config.crawling.max_depth == 1 and stored.config.sizes == (64,)
    assert stored.site is None  # a site on the web: nothing to serve again


def interrupted_run(origin: str, run_dir: Path) -> None:
    """A crawl stopped by SIGINT after 20 pages."""
    first = subprocess.Popen(
        crawl_command(f"{origin}/", "--out", str(run_dir), "--concurrency", "4"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_pages(run_dir, 20)
    first.send_signal(signal.SIGINT)
    first.wait(timeout=20)


# What a line damaged in the middle of a record file may hold: bytes that are not JSON (a
# disk error), or JSON that is not a record (the page's own fields missing).
DAMAGES = {
    "not-json": lambda line: b'{"url": "http://127.0.0.1/half-writt\xff\n',
    "not-a-record": lambda line: json.dumps({"url": json.loads(line)["url"]}).encode() + b"\n",
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_record_damaged_in_the_middle_stops_resume_and_repair_carries_on(
    site: tuple[MiniSite, str], unbroken: dict, tmp_path: Path, damage: str
) -> None:
    mini, origin = site
    run_dir = tmp_path / "run"
    interrupted_run(origin, run_dir)
    pages = run_dir / "pages.jsonl"
    lines = pages.read_bytes().splitlines(keepends=True)
    valid = lines[:5] + lines[6:]
    lines[5] = DAMAGES[damage](lines[5])
    pages.write_bytes(b"".join(lines))
    before = {path.name: path.read_bytes() for path in run_dir.iterdir() if path.is_file()}

    refused = subprocess.run(crawl_command("--resume", str(run_dir)), capture_output=True)
    assert refused.returncode == 2, refused.stderr
    assert b"pages.jsonl line 6 is not a record" in refused.stderr
    assert {path.name: path.read_bytes() for path in run_dir.iterdir() if path.is_file()} == before

    mini.hits.clear()
    repaired = subprocess.run(
        crawl_command("--resume", str(run_dir), "--repair"), capture_output=True, text=True
    )
    assert repaired.returncode == 0, repaired.stderr
    assert "1 damaged record lines dropped" in repaired.stdout
    assert summary(run_dir)["digest"] == unbroken["digest"]  # the lost page fetched again
    # Every valid line is kept where it was (new lines follow), and none fetched again.
    assert pages.read_bytes().startswith(b"".join(valid))
    kept = {json.loads(line)["url"] for line in valid}
    assert not {path for path in mini.hits if f"{origin}{path}" in kept}


# `python pipeline.py ARGS` killed in the middle of writing a line. A kill -9 cuts a line only
# when it lands inside the write itself; here the kernel does both on cue: past the file-size
# limit it cuts the write short, and SIGXFSZ, left at its default (Python ignores it), ends
# the process there and then, as a kill -9 would: no handler, no finally.
KILLED_MID_LINE = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv.pop(0)
runpy.run_path(sys.argv[0], run_name="__main__")
"""


ONE_AT_A_TIME = ("--concurrency", "1", "--no-timeline")  # the same lines in the same order


@pytest.fixture(scope="module")
def pages_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """60 pages without images, and an unbroken run of them, one page at a time."""
    with serving(chain_site(PAGES, 0.01, images=False).app) as origin:
        run_dir = tmp_path_factory.mktemp("unbroken") / "run"
        command = crawl_command(f"{origin}/", "--out", str(run_dir), *ONE_AT_A_TIME)
        subprocess.run(command, check=True, capture_output=True)
        yield origin, run_dir


def test_a_run_killed_in_the_middle_of_a_line_resumes_to_the_unbroken_outputs(
    pages_only: tuple[str, Path], tmp_path: Path
) -> None:
    origin, unbroken = pages_only
    lines = (unbroken / "pages.jsonl").read_bytes().splitlines(keepends=True)
    cut_at = len(b"".join(lines[:20])) + len(lines[20]) // 2  # halfway through line 21
    run_dir = tmp_path / "run"
    command = crawl_command(f"{origin}/", "--out", str(run_dir), *ONE_AT_A_TIME)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_LINE, str(cut_at), str(PIPELINE), *command[2:]],
        capture_output=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr
    written = (run_dir / "pages.jsonl").read_bytes()
    assert written == b"".join(lines[:20]) + lines[20][: len(lines[20]) // 2]
    assert not (run_dir / "summary.json").exists()

    resumed = subprocess.run(
        crawl_command("--resume", str(run_dir)), capture_output=True, text=True, timeout=60
    )
    assert resumed.returncode == 0, resumed.stderr
    assert summary(run_dir)["digest"] == summary(unbroken)["digest"]
    assert summary(run_dir)["counts"] == summary(unbroken)["counts"]
