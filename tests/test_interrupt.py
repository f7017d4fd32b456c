"""Ctrl-C, for real: a SIGINT sent to a running crawl stops it cleanly, losing nothing."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from processing.files import TEMP_PREFIX
from tests.conftest import chain_site, crawl_command, serving


@pytest.fixture
def slow_site() -> Iterator[str]:
    """200 pages that take 0.1 s each, every one showing its own image: minutes of work."""
    site = chain_site(200, 0.1)
    with serving(site.app) as origin:
        yield origin


def start_crawl(origin: str, out: Path, model: str) -> subprocess.Popen:
    command = crawl_command(
        f"{origin}/",
        "--out",
        str(out),
        "--concurrency",
        "4",
        "--crawl-model",
        model,
        "--sizes",
        "64",
    )
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for_pages(out: Path, count: int, timeout_s: float = 30) -> None:
    wait_for_lines(out / "pages.jsonl", count, timeout_s)


def wait_for_lines(records: Path, count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if records.exists() and records.read_text().count("\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the crawl did not reach {count} {records.stem} in {timeout_s}s")


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_first_stop_signal_ends_gracefully_and_records_everything_downloaded(
    slow_site: str, tmp_path: Path, model: str, stop: signal.Signals
) -> None:
    out = tmp_path / "run"
    crawl = start_crawl(slow_site, out, model)
    wait_for_pages(out, 5)
    crawl.send_signal(stop)
    output, _ = crawl.communicate(timeout=20)
    assert crawl.returncode == 128 + stop, output.decode()  # 130, or 143 for SIGTERM
    assert b"leaked semaphore" not in output  # every pool was shut down, not abandoned
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["signal"] == stop.name
    assert 5 <= summary["counts"]["pages"] < 200
    assert not list(out.rglob(".tmp-*"))
    # Every original on disk was recorded in images.jsonl, with its thumbnail.
    recorded = {row["original"]: row for row in rows(out / "images.jsonl") if row["ok"]}
    on_disk = {f"originals/{path.name}" for path in (out / "originals").iterdir()}
    assert on_disk == set(recorded)
    assert all((out / row["thumbnails"]["64"]).is_file() for row in recorded.values())
    assert b"INTERRUPTED" in output


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (signal.SIGINT, signal.SIGINT),
        (signal.SIGTERM, signal.SIGINT),  # docker stop, then an impatient Ctrl-C
        (signal.SIGINT, signal.SIGTERM),
    ],
    ids=["ctrl-c-twice", "sigterm-then-ctrl-c", "ctrl-c-then-sigterm"],
)
def test_a_second_stop_signal_of_either_kind_quits_at_once_without_temporary_files(
    slow_site: str, tmp_path: Path, first: signal.Signals, second: signal.Signals
) -> None:
    out = tmp_path / "run"
    crawl = start_crawl(slow_site, out, "asyncio")
    wait_for_pages(out, 5)
    crawl.send_signal(first)
    # Two signals close together reach Python's handler as one: wait for the first's word.
    assert any(b"Ctrl-C again to quit now" in line for line in crawl.stdout)
    # A write half done at the instant of the second Ctrl-C: its temporary file, as
    # write_atomic makes it, holding half the bytes.
    fd, half_written = tempfile.mkstemp(dir=out / "originals", prefix=TEMP_PREFIX)
    os.write(fd, b"\xff\xd8\xff half of a JPEG")
    os.close(fd)
    crawl.send_signal(second)
    output, _ = crawl.communicate(timeout=10)
    assert crawl.returncode == 128 + second
    assert not Path(half_written).exists()
    assert not list(out.rglob(".tmp-*"))
    # It quit at once: no orderly ending, so no summary.
    assert not (out / "summary.json").exists()
    assert b"INTERRUPTED" not in output
    assert all(line.endswith("}") for line in (out / "pages.jsonl").read_text().splitlines())


def test_a_sigterm_to_the_whole_process_group_leaves_the_pool_workers_to_finish(
    tmp_path: Path,
) -> None:
    # systemd and docker stop signal every process of the group, pool workers too: they
    # must leave the stopping to the crawl, or an item dies with its worker.
    site = chain_site(100, 0.02)
    out = tmp_path / "run"
    with serving(site.app) as origin:
        command = crawl_command(
            f"{origin}/",
            "--out",
            str(out),
            "--concurrency",
            "8",
            "--sizes",
            "64",
            "--analysis",  # slow thumbnails: both workers are at work on a queue of images
            "--resize-workers",
            "2",
        )
        crawl = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for_lines(out / "images.jsonl", 3)
        os.killpg(crawl.pid, signal.SIGTERM)
        output, _ = crawl.communicate(timeout=30)
    assert crawl.returncode == 128 + signal.SIGTERM, output.decode()
    assert b"a worker died" not in output
    assert all(row["ok"] for row in rows(out / "images.jsonl"))
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["timeline"]["lanes"]["resize"]) == 2  # the same two workers throughout


def test_a_site_that_dies_mid_crawl_ends_in_a_summary(tmp_path: Path, model: str) -> None:
    site = chain_site(200, 0.05, images=False)
    out = tmp_path / "run"
    with serving(site.app) as origin:
        command = crawl_command(
            f"{origin}/",
            "--out",
            str(out),
            "--concurrency",
            "4",
            "--crawl-model",
            model,
            "--retries",
            "1",
            "--timeout",
            "2",
        )
        crawl = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_for_pages(out, 10)
    # The server is gone: what remains is retried, recorded as failed, and the run ends.
    output, _ = crawl.communicate(timeout=60)
    assert crawl.returncode == 0, output.decode()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["pages_failed"] >= 1
    assert summary["errors"].get("connection", 0) >= 1
    assert summary["interrupted"] is False


def test_an_unwritable_run_folder_stops_the_run_cleanly(slow_site: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    crawl = start_crawl(slow_site, out, "asyncio")
    wait_for_pages(out, 5)
    shutil.rmtree(out / "originals")
    (out / "originals").write_text("a file where the folder was: every save now fails")
    output, _ = crawl.communicate(timeout=30)
    assert crawl.returncode == 1
    assert b"Error: cannot write to the run folder" in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped_by"].startswith("cannot write to the run folder")
    assert summary["counts"]["pages"] < 200  # it stopped instead of failing every image
    assert summary["errors"]["disk"] >= 1
    assert not list(out.rglob(".tmp-*"))


def limit_file_size() -> None:
    """In the child: files may not grow past 30 kB, as if the disk were full."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))


def test_record_files_that_cannot_grow_end_the_run_with_one_line(tmp_path: Path) -> None:
    site = chain_site(200, 0.0, images=False)
    out = tmp_path / "run"
    with serving(site.app) as origin:
        command = crawl_command(f"{origin}/", "--out", str(out), "--concurrency", "4")
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=60, preexec_fn=limit_file_size
        )
    assert result.returncode == 1, result.stderr
    assert (
        result.stderr.strip().splitlines()[-1].startswith("Error: cannot write to the run folder")
    )
    assert "Traceback" not in result.stderr
    assert not list(out.rglob(".tmp-*"))
