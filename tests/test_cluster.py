"""The dask model: the resize stage on a real Dask cluster on loopback, as a local cluster the
run starts and stops, and as a scheduler and workers started apart with the `dask` command.
Same outputs as the default run, no image lost when a worker dies, no process left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from models.cluster import DaskExecutor
from tests.conftest import chain_site, crawl_command, marked, marked_environment, serving

ROOT = Path(__file__).resolve().parent.parent


# Every test here needs the cluster extra (tests/conftest.py: dask_installed).
pytestmark = pytest.mark.usefixtures("dask_installed")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """24 pages, each with its own image, answering after 30 ms: a run of a few seconds."""
    with serving(chain_site(24, 0.03).app) as origin:
        yield origin


def crawl(origin: str, out: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    command = crawl_command(f"{origin}/", "--out", str(out), "--concurrency", "8", *args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def reference(site: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return crawl(site, tmp_path_factory.mktemp("reference") / "run")


def test_a_local_cluster_makes_the_same_thumbnails_and_leaves_nothing_running(
    site: str, reference: dict, tmp_path: Path
) -> None:
    mark, env = marked_environment()
    summary = crawl(site, tmp_path / "run", "--resize-model", "dask", env=env)
    assert summary["digest"] == reference["digest"]
    assert summary["stages"]["resize"]["model"] == "dask"
    lanes = summary["timeline"]["lanes"]["resize"]
    assert {lane["kind"] for lane in lanes} == {"process"} and 1 <= len(lanes) <= 2
    _, alive = psutil.wait_procs(marked(mark), timeout=10)
    assert alive == []


def workers_in_the_cluster() -> int:
    """On a worker: how many workers its scheduler knows."""
    from distributed import get_client

    return len(get_client().scheduler_info(n_workers=-1)["workers"])


def test_a_local_cluster_starts_as_many_workers_as_asked() -> None:
    executor = DaskExecutor(3)  # neither one nor this machine's two cores
    try:
        assert executor.submit(workers_in_the_cluster).result(timeout=60) == 3
    finally:
        executor.shutdown()


def test_a_worker_killed_mid_run_loses_no_image(site: str, tmp_path: Path) -> None:
    expected = crawl(site, tmp_path / "reference", "--analysis")  # slower work: time to kill
    mark, env = marked_environment()
    out = tmp_path / "run"
    command = crawl_command(f"{site}/", "--out", str(out), "--concurrency", "8", "--analysis")
    run = subprocess.Popen(
        [*command, "--resize-model", "dask"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    victim = _a_worker_at_work(run, out)
    victim.kill()
    victim.wait(timeout=10)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["digest"] == expected["digest"]  # every image, every thumbnail, no error
    _, alive = psutil.wait_procs(marked(mark), timeout=10)
    assert alive == []


def _a_worker_at_work(run: subprocess.Popen, out: Path) -> psutil.Process:
    """Once some thumbnails are made, one of the local cluster's workers: the processes
    the run spawned (its nannies live in the run itself, and the site in this test)."""
    deadline = time.monotonic() + 60
    images = out / "images.jsonl"
    while time.monotonic() < deadline:
        done = images.read_text().count("\n") if images.exists() else 0
        workers = [
            child
            for child in _children(psutil.Process(run.pid))
            if "spawn_main" in " ".join(_cmdline(child))
        ]
        if done >= 3 and workers:
            return workers[0]
        time.sleep(0.05)
    raise AssertionError("no thumbnails, or no worker process, within a minute")


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children()
    except psutil.Error:
        return []


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # it exited meanwhile
        return []


def test_ctrl_c_stops_the_local_cluster_too(site: str, tmp_path: Path) -> None:
    mark, env = marked_environment()
    out = tmp_path / "run"
    command = crawl_command(f"{site}/", "--out", str(out), "--concurrency", "8", "--analysis")
    run = subprocess.Popen(
        [*command, "--resize-model", "dask"], env=env, stdout=subprocess.PIPE, text=True
    )
    _a_worker_at_work(run, out)
    run.send_signal(signal.SIGINT)
    run.communicate(timeout=60)
    assert run.returncode == 130
    assert json.loads((out / "summary.json").read_text())["interrupted"] is True
    _, alive = psutil.wait_procs(marked(mark), timeout=10)
    assert alive == []


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two workers on 127.0.0.1, started apart with the `dask` command line."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask, "the dask command comes with the cluster extra"
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    common = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    started = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            **common,
        )
    ]
    try:
        address = _address(scheduler_file)
        started += [
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    "--name",
                    f"w{index}",
                ],
                **common,
            )
            for index in range(2)
        ]
        yield address
    finally:
        for process in started:
            process.kill()  # the test is over: nothing of theirs needs to be saved
        for process in started:
            process.wait(timeout=10)


def _address(scheduler_file: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if scheduler_file.exists():
            try:
                return json.loads(scheduler_file.read_text())["address"]
            except ValueError:
                pass  # still being written
        time.sleep(0.05)
    raise AssertionError("the scheduler wrote no address in 30 s")


def test_an_existing_cluster_is_used_at_its_address(
    site: str, reference: dict, cluster: str, tmp_path: Path
) -> None:
    summary = crawl(site, tmp_path / "run", "--resize-model", "dask", "--dask-scheduler", cluster)
    assert summary["digest"] == reference["digest"]
    pids = {lane["label"] for lane in summary["timeline"]["lanes"]["resize"]}
    assert 1 <= len(pids) <= 2  # the cluster's own workers did the work


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: bound, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("stage", ["crawl", "stage"])
def test_an_unreachable_scheduler_is_one_line_within_seconds_and_leaves_no_folder(
    site: str, tmp_path: Path, stage: str
) -> None:
    address = f"tcp://127.0.0.1:{closed_port()}"
    out = tmp_path / "run"
    dask = ["--resize-model", "dask", "--dask-scheduler", address, "--out", str(out)]
    if stage == "crawl":
        command = crawl_command(f"{site}/", *dask)
    else:  # the resize stage alone, as compare runs it, on a finished run's originals
        source = tmp_path / "finished"
        crawl(site, source)
        command = [sys.executable, str(ROOT / "pipeline.py"), "stage", "resize", "--quiet"]
        command += ["--input", str(source), *dask]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 15
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    reason = line.removeprefix(f"Error: cannot reach the Dask scheduler at {address} within 5 s: ")
    # Refused, as a closed port answers; on a busy machine Dask's last try may time out.
    assert reason in ("ConnectionRefusedError: [Errno 111] Connection refused", "no answer")
    assert not out.exists()
