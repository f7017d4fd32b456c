"""Small experiments behind the claims, each run in a fresh interpreter by `run_probe`.

A probe is a function of JSON-able keyword arguments that returns a dict of plain
measurements: no verdicts, no thresholds (the caller repeats probes, interleaved, and judges).
Every result also says which interpreter measured it (`python`) and whether its GIL was on
at the end (`gil_enabled`: a free-threaded build turns the GIL back on if it imports an
extension that needs it). Probes import only the standard library (and the project's
standard-library-only `measure.looplag` and `measure.interpreter`), so any CPython 3.11+
runs them, free-threaded or not. Pure-Python CPU work is always `spin(loops)`: a fixed
amount of work, the same unit in every probe, on every model and every interpreter.

    $ python -m claims.probes ping_pong '{"model": "threads", "round_trips": 20000}'
    {"round_trips_per_s": 45531.77..., "wall_s": 0.43925..., "pinned": true,
     "gil_enabled": true, "python": "3.11.7"}

(one line in fact; on a busy 2-CPU Linux virtual machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from measure.interpreter import gil_enabled, version
from measure.looplag import LoopLag

ROOT = Path(__file__).resolve().parent.parent
SPAWN = multiprocessing.get_context("spawn")  # our callers have threads: fork is unsafe
WARM_UP_TRIPS = 100  # ping_pong round trips before the clock starts
LAG_INTERVAL_S = 0.005  # how often the lag sampler asks to wake
CALM_S = 0.05  # the lag sampler runs this long before the work starts and after it ends
CONTROL_TRIES = 2  # the parallel control's tries, of which the best counts
CPU_SAMPLE_S = 0.1  # how long the CPUs' load is watched before choosing which to pin to
STDERR_LINES = 6  # how much of a failed probe's stderr its ProbeFailed carries

Measurements = dict[str, object]
Span = tuple[float, float]
Runner = Callable[[Callable[[], object]], Awaitable[object]]  # runs one job, loop-side
PROBES: dict[str, Callable[..., Measurements]] = {}


class ProbeFailed(Exception):
    """A probe's child process exited non-zero, overran its time, or printed no JSON object."""


def run_probe(
    name: str, python: str = sys.executable, timeout: float = 120.0, **params: object
) -> Measurements:
    """Run one probe in a fresh `python` process and return its measurements."""
    command = [python, "-m", "claims.probes", name, json.dumps(params)]
    try:
        status, stdout, stderr = _run_child(command, timeout)
    except OSError as error:  # no such interpreter, say
        raise ProbeFailed(f"probe {name} could not start {python}: {error}") from error
    if status is None:
        raise _failed(name, f"timed out after {timeout} s", stderr)
    if status != 0:
        raise _failed(name, f"exited with status {status}", stderr)
    with contextlib.suppress(ValueError):
        result = json.loads(stdout)
        if isinstance(result, dict):
            return result
    raise _failed(name, f"printed no JSON object (status 0; stdout {stdout[-200:]!r})", stderr)


def spin(loops: int) -> int:
    """Pure-Python CPU work that holds the GIL throughout: every probe's unit of work."""
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


def probe(function: Callable[..., Measurements]) -> Callable[..., Measurements]:
    """Register a probe by its name; its results also say which interpreter measured them."""

    @functools.wraps(function)
    def measured(**params: object) -> Measurements:
        result = function(**params)
        return {**result, "gil_enabled": gil_enabled(), "python": version()}

    PROBES[function.__name__] = measured
    return measured


# Claim 1: concurrency vs parallelism.


@probe
def cpu_spread(workers: int, cores: int, loops: int) -> Measurements:
    """When each of `workers` processes, released together on `cores` CPUs, spun loops."""
    cpus = _first_cpus(cores)
    spans = _spin_in_processes(workers, cpus, loops)
    first = min(start for start, _ in spans)
    return {
        "wall_s": max(end for _, end in spans) - first,
        "spans": sorted([start - first, end - first] for start, end in spans),
        "pinned": cpus is not None,
        "cores_available": len(_available_cpus()),
    }


def _available_cpus() -> list[int]:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _first_cpus(cores: int) -> list[int] | None:
    """`cores` of our CPUs to pin workers to, or None where they cannot be pinned to that
    many: the least busy first (another program may be spinning on one), each on another
    physical core where the machine says which share one (two hyperthreads of one core do
    not run two things at full speed)."""
    available = _available_cpus()
    if not hasattr(os, "sched_setaffinity") or len(available) < cores:
        return None
    busy = _cpu_busy()
    by_core: dict[str, list[int]] = {}
    for cpu in sorted(available, key=lambda cpu: round(busy.get(cpu, 0.0), 1)):
        by_core.setdefault(_core_of(cpu), []).append(cpu)
    # One CPU of every core first, then their siblings.
    rounds = itertools.zip_longest(*by_core.values())
    return [cpu for siblings in rounds for cpu in siblings if cpu is not None][:cores]


def _cpu_busy() -> dict[int, float]:
    """Each CPU's busy share over CPU_SAMPLE_S, from the kernel's counters (Linux; {} where
    there are none)."""
    before = _cpu_counters()
    time.sleep(CPU_SAMPLE_S)
    after = _cpu_counters()
    shares = {}
    for cpu, (busy, total) in after.items():
        busy_before, total_before = before.get(cpu, (busy, total))
        shares[cpu] = (busy - busy_before) / max(total - total_before, 1)
    return shares


def _cpu_counters() -> dict[int, tuple[int, int]]:
    """(busy, total) clock ticks of each CPU since boot, from /proc/stat."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return {}
    counters = {}
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks = [int(field) for field in fields[:8]]  # user .. steal
            idle = ticks[3] + ticks[4]  # idle, iowait
            counters[int(name[3:])] = (sum(ticks) - idle, sum(ticks))
    return counters


def _core_of(cpu: int) -> str:
    """The physical core CPU cpu belongs to ('package:core'), or the CPU itself if unknown."""
    topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
    try:
        package = (topology / "physical_package_id").read_text().strip()
        return f"{package}:{(topology / 'core_id').read_text().strip()}"
    except OSError:
        return f"cpu{cpu}"


# Claims 4, 6 and 10: pure-Python work on threads and processes; the control every
# two-core verdict rests on.


@probe
def cpu_scaling(model: str, workers: int, loops: int) -> Measurements:
    """Seconds for `workers` threads or processes, released together, to spin `loops` between
    them: the same work whatever the number of workers, start-up left out."""
    spinners = {
        "threads": lambda share: _in_threads(workers, functools.partial(spin, share)),
        "processes": lambda share: _spin_in_processes(workers, None, share),
    }
    spans = _choose("model", model, spinners)(loops // workers)
    return {"wall_s": _span_wall(spans), "workers": len(spans)}


@probe
def parallel_control(loops: int) -> Measurements:
    """The speed-up of two processes spinning at once over one spinning alone, the better of
    CONTROL_TRIES tries: about 2 on two free cores, whatever the interpreter, so less says
    the cores were not free. (A moment's hiccup spoils one try; a busy core spoils all.)"""
    tries = [_control_try(loops) for _ in range(CONTROL_TRIES)]
    one, two = max(tries, key=lambda times: times[0] / times[1])
    return {"speedup": 2 * one / two, "one_s": one, "two_s": two}


def _control_try(loops: int) -> tuple[float, float]:
    """Seconds for one process to spin loops, then for two at once to spin loops each."""
    return (
        _span_wall(_spin_in_processes(1, None, loops)),
        _span_wall(_spin_in_processes(2, None, loops)),
    )


def _span_wall(spans: list[Span]) -> float:
    return max(end for _, end in spans) - min(start for start, _ in spans)


def _spin_in_processes(workers: int, cpus: list[int] | None, loops: int) -> list[Span]:
    """Each worker's (start, end) on the shared monotonic clock, spinning from one barrier."""
    barrier, spans = SPAWN.Barrier(workers), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=_spin_from_barrier, args=(cpus, barrier, spans, loops))
        for _ in range(workers)
    ]
    with _running(processes):
        return [_next_result(spans, processes) for _ in processes]


def _spin_from_barrier(
    cpus: list[int] | None, barrier: threading.Barrier, spans: multiprocessing.Queue, loops: int
) -> None:
    """Worker: pin itself to cpus, wait for the others, spin, and say when it ran."""
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    barrier.wait()
    start = time.monotonic()  # system-wide on Linux and macOS: comparable across processes
    spin(loops)
    spans.put((start, time.monotonic()))


def _next_result(results: multiprocessing.Queue, processes: list[BaseProcess]) -> object:
    """The next result a worker sent; an error as soon as a worker has died instead."""
    while True:
        try:
            return results.get(timeout=0.2)
        except queue.Empty:
            if any(process.exitcode not in (None, 0) for process in processes):
                raise RuntimeError("a worker process died before reporting") from None


@contextlib.contextmanager
def _running(processes: list[BaseProcess]) -> Iterator[None]:
    """Start processes; on leaving, join them all, terminating them first if the block failed."""
    try:
        for process in processes:
            process.start()
        yield
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.terminate()
        raise
    finally:
        for process in processes:
            if process.pid is not None:  # started
                process.join()


# Claim 2: threads share memory, processes must copy.

POOLS: dict[str, Callable[[], Executor]] = {
    "threads": lambda: ThreadPoolExecutor(1),
    "processes": lambda: ProcessPoolExecutor(1, mp_context=SPAWN),
}


@probe
def handoff(model: str, payload_bytes: int, items: int) -> Measurements:
    """Seconds per item to hand one payload to a one-worker pool and get its length back."""
    payload = b"x" * payload_bytes
    started = time.perf_counter()
    with _choose("model", model, POOLS)() as pool:
        pool.submit(len, b"").result()  # start-up: the pool's worker runs its first task
        startup_s = time.perf_counter() - started
        # Threads pass a reference to the payload; processes pickle it through a pipe.
        wall_s = _timed(lambda: _repeat(lambda: pool.submit(len, payload).result(), items))
    return {"per_item_s": wall_s / items, "startup_s": startup_s}


# Claim 3: a thread switch is cheaper than a process switch.


@probe
def ping_pong(model: str, round_trips: int, channel: str = "pipe") -> Measurements:
    """Round trips per second of a token passed to another thread or process and back, over
    two one-way pipes (the same code on both sides) or, between threads, two queue.Queues."""
    partner = _choose("model and channel", f"{model} {channel}", PARTNERS)
    with _on_one_cpu() as pinned, partner() as round_trip:
        _repeat(round_trip, WARM_UP_TRIPS)
        wall_s = _timed(lambda: _repeat(round_trip, round_trips))
    return {"round_trips_per_s": round_trips / wall_s, "wall_s": wall_s, "pinned": pinned}


@contextlib.contextmanager
def _on_one_cpu() -> Iterator[bool]:
    """Keep this thread, and the threads and processes it starts, on one CPU meanwhile;
    yields whether it could.

    Both sides on one CPU make each switch a context switch. Left free, the scheduler puts
    them on one CPU or two as it likes, and a wake-up across CPUs (an interrupt, a VM exit on
    a virtual machine) costs more than the switch: unpinned runs came out bimodal, 2-5x apart.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield False
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, _first_cpus(1) or {min(allowed)})  # this thread; new ones inherit
    try:
        yield True
    finally:
        os.sched_setaffinity(0, allowed)


@contextlib.contextmanager
def _pipe_partner(
    start: Callable[..., contextlib.AbstractContextManager[None]],
) -> Iterator[Callable[[], object]]:
    """A partner echoing tokens over two one-way pipes, started by start(target, args);
    yields one round trip.

    Threads and processes run the same code over the same kernel pipes (raw bytes, no
    pickles), so the two differ only in the switch. One-way pipes (os.pipe on Unix) rather
    than a duplex Pipe (a socketpair): the cheaper kernel path, 1.6x the round trips on
    Linux, measured."""
    there, to_partner = SPAWN.Pipe(duplex=False)
    from_partner, back = SPAWN.Pipe(duplex=False)
    with start(_echo_pipe, (there, back)):
        try:
            yield lambda: (to_partner.send_bytes(b"t"), from_partner.recv_bytes())
        finally:
            _close(to_partner, from_partner)  # the partner reads EOF and ends


@contextlib.contextmanager
def _in_a_process(target: Callable[..., None], args: tuple) -> Iterator[None]:
    """Run target(*args) in a spawned process; our copies of its pipe ends are closed once
    it has its own (so if it dies, our read ends)."""
    echo = SPAWN.Process(target=target, args=args)
    with _running([echo]):
        _close(*args)
        yield


@contextlib.contextmanager
def _in_a_thread(target: Callable[..., None], args: tuple) -> Iterator[None]:
    """Run target(*args) in a thread; close its pipe ends once it has ended."""
    echo = threading.Thread(target=target, args=args)
    echo.start()
    try:
        yield
    finally:
        echo.join()
        _close(*args)


def _echo_pipe(inbox: Connection, outbox: Connection) -> None:
    """Send every token back until the other end closes."""
    with contextlib.suppress(EOFError):
        while True:
            outbox.send_bytes(inbox.recv_bytes())


@contextlib.contextmanager
def _queue_partner() -> Iterator[Callable[[], object]]:
    """Another thread echoing tokens through two queue.Queues; yields one round trip."""
    there: queue.Queue[int | None] = queue.Queue()
    back: queue.Queue[int] = queue.Queue()
    echo = threading.Thread(target=_echo_queue, args=(there, back))
    echo.start()
    try:
        yield lambda: (there.put(1), back.get())
    finally:
        there.put(None)
        echo.join()


def _echo_queue(inbox: queue.Queue[int | None], outbox: queue.Queue[int]) -> None:
    """Thread: send every token back until None comes."""
    while (token := inbox.get()) is not None:
        outbox.put(token)


def _close(*connections: Connection) -> None:
    """Close our ends of pipes."""
    for connection in connections:
        connection.close()


PARTNERS = {
    "threads pipe": functools.partial(_pipe_partner, _in_a_thread),
    "processes pipe": functools.partial(_pipe_partner, _in_a_process),
    "threads queue": _queue_partner,
}


# Claim 5: time.sleep releases the GIL, like I/O.


@probe
def sleep_overlap(threads: int, loops: int, seconds: float, kind: str) -> Measurements:
    """Seconds for one piece of work (sleep or cpu) alone, then in `threads` threads at once,
    and when each thread ran."""
    work = _work(kind, loops, seconds)
    one_s = _timed(work)
    spans = _in_threads(threads, work)
    first = min(start for start, _ in spans)
    return {
        "wall_s": _span_wall(spans),
        "one_s": one_s,
        "spans": sorted([start - first, end - first] for start, end in spans),
    }


def _work(kind: str, loops: int, seconds: float) -> Callable[[], object]:
    """The work kind names: "sleep" for time.sleep(seconds), "cpu" for spin(loops)."""
    works = {"sleep": functools.partial(time.sleep, seconds), "cpu": functools.partial(spin, loops)}
    return _choose("work", kind, works)


def _in_threads(count: int, work: Callable[[], object]) -> list[Span]:
    """Each thread's (start, end) running work, count threads released at one barrier."""
    barrier, spans = threading.Barrier(count), []

    def run() -> None:
        barrier.wait()
        start = time.perf_counter()
        work()
        spans.append((start, time.perf_counter()))  # list.append is atomic, GIL or not

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(spans) != count:
        raise RuntimeError(f"{count - len(spans)} of {count} threads failed")
    return spans


# Claim 9: asyncio.to_thread keeps the loop free for blocking code; CPU work needs a process.


@probe
def loop_lag_under(how: str, work: str, loops: int, seconds: float, repeats: int) -> Measurements:
    """The event loop's lag while work (sleep or cpu) runs repeats times inline, in a thread,
    or in a process. Inline, nothing awaits between the repeats: the loop stalls for all."""
    job = _work(work, loops, seconds)
    return asyncio.run(_lag_under(_choose("how", how, HOWS), job, repeats))


async def _lag_under(
    runner: Callable[[], contextlib.AbstractAsyncContextManager[Runner]],
    job: Callable[[], object],
    repeats: int,
) -> Measurements:
    """Lag and wall time of job run `repeats` times one after another by runner."""
    lag = LoopLag(LAG_INTERVAL_S)
    async with runner() as run, _sampling(lag):
        started = time.perf_counter()
        for _ in range(repeats):
            await run(job)
        wall_s = time.perf_counter() - started
    return {"lag_max_ms": lag.max_ms, "lag_p99_ms": lag.percentile(0.99), "wall_s": wall_s}


@contextlib.asynccontextmanager
async def _sampling(lag: LoopLag) -> AsyncIterator[None]:
    """Sample the loop's lag throughout the block, and CALM_S before and after it."""
    watcher = asyncio.create_task(lag.watch())
    try:
        await asyncio.sleep(CALM_S)
        yield
        await asyncio.sleep(CALM_S)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


@contextlib.asynccontextmanager
async def _inline() -> AsyncIterator[Runner]:
    """Run the job on the loop's own thread: the loop waits."""

    async def run(job: Callable[[], object]) -> object:
        return job()

    yield run


@contextlib.asynccontextmanager
async def _to_thread() -> AsyncIterator[Runner]:
    """Run the job in the loop's default thread pool, already started."""
    await asyncio.to_thread(int)
    yield asyncio.to_thread


@contextlib.asynccontextmanager
async def _in_process() -> AsyncIterator[Runner]:
    """Run the job in a one-worker spawn process pool, started and warmed up."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1, mp_context=SPAWN) as pool:
        await loop.run_in_executor(pool, int)
        yield functools.partial(loop.run_in_executor, pool)


HOWS = {"inline": _inline, "to_thread": _to_thread, "process": _in_process}


# The parts every probe shares.


def _choose(what: str, name: str, options: dict[str, object]) -> object:
    """options[name], or a ValueError that lists the choices."""
    if name not in options:
        raise ValueError(f"unknown {what} {name!r}; choose from {', '.join(options)}")
    return options[name]


def _timed(work: Callable[[], object]) -> float:
    """Seconds work() took."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _repeat(work: Callable[[], object], times: int) -> None:
    """Call work() times times, one after another."""
    for _ in range(times):
        work()


# Running a probe in a child process.


def _run_child(command: list[str], timeout: float) -> tuple[int | None, str, str]:
    """Run command in its own process group: (exit status, or None if it overran; stdout;
    stderr). An overrun, or an interrupt meanwhile, kills the whole group: the probe's
    worker processes would otherwise live on as orphans."""
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_child_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, and out of reach of the terminal's Ctrl-C
    )
    try:
        stdout, stderr = child.communicate(timeout=timeout)
        return child.returncode, stdout, stderr
    except subprocess.TimeoutExpired:
        _kill_group(child)
        return None, *child.communicate()
    finally:
        if child.poll() is None:
            _kill_group(child)
            child.wait()


def _child_environment() -> dict[str, str]:
    """Our environment with the project root first on PYTHONPATH: an interpreter whose venv
    lacks the project (a free-threaded one, say) still imports claims.probes."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _kill_group(child: subprocess.Popen[str]) -> None:
    """Kill child and every process it started."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    else:
        child.kill()


def _failed(name: str, what: str, stderr: str) -> ProbeFailed:
    """The error for probe name's child: what went wrong, and the end of its stderr."""
    tail = "\n".join(stderr.strip().splitlines()[-STDERR_LINES:])
    return ProbeFailed(f"probe {name} {what}" + (f":\n{tail}" if tail else ""))


def main(argv: list[str]) -> int:
    """Run the probe argv names with the JSON parameters after it; print its result as JSON."""
    if len(argv) != 2:
        sys.stderr.write(f"usage: python -m claims.probes {'|'.join(PROBES)} 'JSON_PARAMS'\n")
        return 2
    name, params = argv
    if name not in PROBES:
        sys.stderr.write(f"unknown probe {name!r}; choose from {', '.join(PROBES)}\n")
        return 2
    sys.stdout.write(json.dumps(PROBES[name](**json.loads(params))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
