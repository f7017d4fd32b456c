"""The claims' probes: small experiments, each in a fresh interpreter, that return plain
measurements, fail loudly with their name, and leave nothing running."""

from __future__ import annotations

import os
import pickle
import platform
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

from claims.probes import PROBES, ROOT, ProbeFailed, ping_pong, run_probe
from tests.conftest import MARK, marked

ALWAYS = {"gil_enabled", "python"}
CAN_PIN = hasattr(os, "sched_setaffinity")


def measured(name: str, keys: set[str], **params: object) -> dict:
    """The probe's result, checked to hold exactly keys and what every result says."""
    result = run_probe(name, **params)
    assert set(result) == keys | ALWAYS
    assert isinstance(result["gil_enabled"], bool)
    assert result["python"] == platform.python_version()  # the test's own interpreter
    return result


def spread(**params: object) -> dict:
    return measured("cpu_spread", {"wall_s", "spans", "pinned", "cores_available"}, **params)


def cpus_here() -> int:
    return len(os.sched_getaffinity(0)) if CAN_PIN else os.cpu_count() or 1


def test_the_probes_are_registered_by_name() -> None:
    assert set(PROBES) == {
        "cpu_spread",
        "cpu_scaling",
        "parallel_control",
        "handoff",
        "ping_pong",
        "sleep_overlap",
        "loop_lag_under",
    }


# cpu_spread: concurrency and parallelism.


def test_cpu_spread_reports_one_well_formed_span_per_worker() -> None:
    result = spread(workers=3, cores=2, loops=100_000)
    assert len(result["spans"]) == 3
    assert result["spans"][0][0] == 0.0  # seconds since the first worker began
    for start, end in result["spans"]:
        assert 0.0 <= start < end <= result["wall_s"]
    assert result["wall_s"] == max(end for _, end in result["spans"])
    assert result["cores_available"] == cpus_here()
    assert result["pinned"] == (CAN_PIN and cpus_here() >= 2)


def test_cpu_spread_pins_nothing_when_asked_for_more_cores_than_there_are() -> None:
    result = spread(workers=1, cores=cpus_here() + 1, loops=1000)
    assert result["pinned"] is False


@pytest.mark.skipif(not CAN_PIN, reason="no os.sched_setaffinity here (it exists on Linux)")
def test_two_workers_on_one_core_take_turns() -> None:
    # One core: both run at once only by taking turns, so the second begins before the
    # first ends, however slow or busy the machine.
    result = spread(workers=2, cores=1, loops=2_000_000)
    assert result["pinned"] is True
    (_, first_end), (second_start, _) = result["spans"]
    assert second_start < first_end


def test_pinning_is_available_on_linux() -> None:
    if sys.platform.startswith("linux"):
        assert spread(workers=1, cores=1, loops=1000)["pinned"] is True


# handoff and ping_pong: sharing and switching, threads against processes.


@pytest.mark.parametrize("model", ["threads", "processes"])
def test_handoff_times_each_item_after_the_pool_has_started(model: str) -> None:
    result = measured(
        "handoff", {"per_item_s", "startup_s"}, model=model, payload_bytes=100_000, items=5
    )
    assert result["per_item_s"] > 0
    assert result["startup_s"] > 0


@pytest.mark.parametrize(
    ("model", "channel"), [("threads", "pipe"), ("processes", "pipe"), ("threads", "queue")]
)
def test_ping_pong_times_the_round_trips_it_was_asked_for(model: str, channel: str) -> None:
    keys = {"round_trips_per_s", "wall_s", "pinned"}
    result = measured("ping_pong", keys, model=model, channel=channel, round_trips=200)
    assert result["pinned"] is CAN_PIN  # both sides on one CPU: every switch a real one
    assert result["wall_s"] > 0
    assert result["round_trips_per_s"] == pytest.approx(200 / result["wall_s"])


def test_ping_pong_gives_the_cpus_back_when_called_in_process() -> None:
    allowed = os.sched_getaffinity(0) if CAN_PIN else None
    result = ping_pong(model="threads", round_trips=10)
    assert result["round_trips_per_s"] > 0
    assert set(result) >= ALWAYS
    assert (os.sched_getaffinity(0) if CAN_PIN else None) == allowed


# sleep_overlap: time.sleep lets other threads run.


def test_ping_pong_between_processes_has_no_queue_channel() -> None:
    with pytest.raises(ProbeFailed, match="unknown model and channel 'processes queue'"):
        run_probe("ping_pong", model="processes", channel="queue", round_trips=1)


# cpu_scaling and parallel_control: pure-Python work shared out, and the control.


@pytest.mark.parametrize("model", ["threads", "processes"])
def test_cpu_scaling_times_the_same_work_on_any_number_of_workers(model: str) -> None:
    keys = {"wall_s", "workers"}
    one = measured("cpu_scaling", keys, model=model, workers=1, loops=400_000)
    two = measured("cpu_scaling", keys, model=model, workers=2, loops=400_000)
    assert (one["workers"], two["workers"]) == (1, 2)  # each worker reported its span
    assert one["wall_s"] > 0 and two["wall_s"] > 0


def test_the_control_reports_the_speed_up_of_two_processes_over_one() -> None:
    result = measured("parallel_control", {"speedup", "one_s", "two_s"}, loops=300_000)
    # How fast it ran depends on the machine's load (that is what the control is for): the
    # test holds the arithmetic, not the speed.
    assert result["one_s"] > 0 and result["two_s"] > 0
    assert result["speedup"] == pytest.approx(2 * result["one_s"] / result["two_s"])


def test_sleeping_threads_overlap() -> None:
    result = measured(
        "sleep_overlap",
        {"wall_s", "one_s", "spans"},
        threads=4,
        loops=0,
        seconds=0.3,
        kind="sleep",
    )
    assert result["one_s"] >= 0.3
    assert result["wall_s"] >= 0.3
    assert result["wall_s"] < 0.75 * 4 * result["one_s"]  # one after another would be 4x


def test_spinning_threads_each_do_the_work_at_the_same_time() -> None:
    result = measured(
        "sleep_overlap",
        {"wall_s", "one_s", "spans"},
        threads=2,
        loops=2_000_000,
        seconds=0,
        kind="cpu",
    )
    (first_start, first_end), (second_start, second_end) = result["spans"]
    # With the GIL they take turns every 5 ms, without it they run at once: either way
    # the second starts before the first ends, and each does the whole work.
    assert first_start == 0.0 and second_start < first_end
    assert min(first_end - first_start, second_end - second_start) > 0.5 * result["one_s"]


# loop_lag_under: what blocking work does to an event loop.

LAG = {"lag_max_ms", "lag_p99_ms", "wall_s"}


def test_blocking_the_loop_shows_as_lag() -> None:
    result = measured(
        "loop_lag_under", LAG, how="inline", work="sleep", loops=0, seconds=0.1, repeats=1
    )
    assert result["lag_max_ms"] >= 90  # a 5 ms nap woke after the 100 ms block
    assert result["wall_s"] >= 0.1


def lag_under(how: str, work: str) -> dict:
    """The loop's lag while work runs twice (sleeps of 0.1 s, or about as much spinning)."""
    return measured(
        "loop_lag_under", LAG, how=how, work=work, loops=1_000_000, seconds=0.1, repeats=2
    )


@pytest.mark.parametrize("how", ["to_thread", "process"])
def test_a_blocking_sleep_off_the_loop_lags_it_far_less_than_on_it(how: str) -> None:
    inline, off = lag_under("inline", "sleep"), lag_under(how, "sleep")
    assert inline["wall_s"] >= 0.2 and off["wall_s"] >= 0.2  # each ran the work twice
    assert inline["lag_max_ms"] >= 190  # the two sleeps back to back, nothing in between
    assert off["lag_max_ms"] < inline["lag_max_ms"] / 4


def test_cpu_work_in_a_thread_lags_the_loop_less_than_on_it() -> None:
    inline, threaded = lag_under("inline", "cpu"), lag_under("to_thread", "cpu")
    # Inline, the loop waits for both spins; in a thread it waits at most a GIL switch
    # interval (5 ms) at a time, whatever the machine's speed.
    assert threaded["lag_max_ms"] < inline["lag_max_ms"] / 2


# Failures are loud and name the probe.


def test_an_unknown_probe_fails_with_its_name() -> None:
    with pytest.raises(ProbeFailed, match="probe nope exited with status 2"):
        run_probe("nope")


def test_a_probe_that_raises_fails_with_its_name_and_error() -> None:
    with pytest.raises(ProbeFailed, match="probe handoff exited with status 1") as failed:
        run_probe("handoff", model="fibers", payload_bytes=1, items=1)
    assert "unknown model 'fibers'" in str(failed.value)


def test_a_missing_interpreter_fails_with_the_probes_name() -> None:
    with pytest.raises(ProbeFailed, match="probe ping_pong could not start /nonexistent/python"):
        run_probe("ping_pong", python="/nonexistent/python", model="threads", round_trips=1)


def test_the_command_line_rejects_an_unknown_probe_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "claims.probes", "nope", "{}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert "nope" in done.stderr


def test_a_probe_failure_crosses_processes_intact() -> None:
    failure = ProbeFailed("probe handoff exited with status 1")
    assert str(pickle.loads(pickle.dumps(failure))) == str(failure)


# Nothing is left running.

WITH_PROCESSES = {
    "cpu_spread": {"workers": 2, "cores": 1, "loops": 1000},
    "cpu_scaling": {"model": "processes", "workers": 2, "loops": 1000},
    "parallel_control": {"loops": 1000},
    "handoff": {"model": "processes", "payload_bytes": 1000, "items": 2},
    "ping_pong": {"model": "processes", "round_trips": 10},
    "loop_lag_under": {"how": "process", "work": "cpu", "loops": 1000, "seconds": 0, "repeats": 1},
}


@pytest.fixture
def mark(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh mark in the environment every probe process inherits."""
    value = uuid.uuid4().hex
    monkeypatch.setenv(MARK, value)
    return value


@pytest.mark.parametrize("name", WITH_PROCESSES)
def test_a_probe_leaves_no_process_running(name: str, mark: str) -> None:
    before = set(psutil.Process().children(recursive=True))
    run_probe(name, **WITH_PROCESSES[name])
    # multiprocessing's resource tracker ends on its own once the probe has exited: allow it
    # a moment. Orphans (a worker whose parent did not join it) carry the mark too.
    _, alive = psutil.wait_procs(marked(mark), timeout=5)
    assert alive == []
    assert set(psutil.Process().children(recursive=True)) <= before


def test_an_overrunning_probe_is_killed_with_its_workers(mark: str) -> None:
    with pytest.raises(ProbeFailed, match=r"probe cpu_spread timed out after 1\.5 s"):
        run_probe("cpu_spread", timeout=1.5, workers=2, cores=1, loops=10**11)
    _, alive = psutil.wait_procs(marked(mark), timeout=5)
    assert alive == []


# Any interpreter runs the probes, free-threaded ones included.


def test_a_free_threaded_interpreter_runs_probes_without_the_gil(free_python: Path) -> None:
    result = run_probe(
        "sleep_overlap", python=str(free_python), threads=2, loops=1000, seconds=0, kind="cpu"
    )
    assert result["gil_enabled"] is False
    assert result["python"].endswith("t")
