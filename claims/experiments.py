"""The experiments behind the claims: each a set of alternatives measured side by side.

An experiment opens what its alternatives need (a local site with the latency its question
needs) and yields them; the caller runs them interleaved (claims.lab), as many rounds as the
verdicts need, and opens the experiment again for more. Several claims share an experiment
(pure-Python work on 1 and 2 threads and processes answers claims 4, 6 and 10), so each runs
once per `claims` run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from claims.lab import Alternatives, Lab, limited

Experiment = Callable[[Lab], contextlib.AbstractContextManager[Alternatives]]


@contextlib.contextmanager
def cpu_spread(lab: Lab) -> Iterator[Alternatives]:
    """Pure-Python work in 1 or 2 processes, pinned to 1 or 2 cores (claim 1)."""
    loops = lab.sizes.spin_loops
    yield {
        "1 on 1 core": lab.probe("cpu_spread", workers=1, cores=1, loops=loops),
        "2 on 1 core": lab.probe("cpu_spread", workers=2, cores=1, loops=loops),
        "2 on 2 cores": lab.probe("cpu_spread", workers=2, cores=2, loops=loops),
    }


@contextlib.contextmanager
def handoff(lab: Lab) -> Iterator[Alternatives]:
    """Handing the same bytes to a thread and to a process, item after item (claims 2, 6)."""
    sizes = lab.sizes
    yield {
        model: lab.probe(
            "handoff", model=model, payload_bytes=sizes.payload_bytes, items=sizes.handoff_items
        )
        for model in ("threads", "processes")
    }


@contextlib.contextmanager
def ping_pong(lab: Lab) -> Iterator[Alternatives]:
    """A token passed back and forth over pipes between two threads and between two
    processes, and over queue.Queues between two threads (claim 3)."""
    trips = lab.sizes.round_trips
    yield {
        f"{model} {channel}": lab.probe(
            "ping_pong", model=model, channel=channel, round_trips=trips
        )
        for model, channel in (("threads", "pipe"), ("processes", "pipe"), ("threads", "queue"))
    }


@contextlib.contextmanager
def sleeping(lab: Lab) -> Iterator[Alternatives]:
    """Four threads that sleep, against one sleep alone (claim 5)."""
    params = {"threads": 4, "loops": 0, "seconds": lab.sizes.sleep_s}
    yield {"sleep": lab.probe("sleep_overlap", kind="sleep", **params)}


@contextlib.contextmanager
def loop_lag(lab: Lab) -> Iterator[Alternatives]:
    """The event loop's lag while blocking work runs on it, in a thread, or in a process
    (claim 9)."""
    params = {"loops": lab.sizes.lag_loops, "seconds": lab.sizes.sleep_s, "repeats": 3}
    yield {
        f"{how} {work}": lab.probe("loop_lag_under", how=how, work=work, **params)
        for how, work in (
            ("inline", "sleep"),
            ("to_thread", "sleep"),
            ("to_thread", "cpu"),
            ("process", "cpu"),
        )
    }


@contextlib.contextmanager
def cpu_scaling(lab: Lab) -> Iterator[Alternatives]:
    """Pure-Python work (spin) shared by 1 or 2 threads or processes: the same work each
    time, so the speed-up is time on 1 / time on 2 (claims 4, 6)."""
    loops = 2 * lab.sizes.spin_loops
    yield {
        f"{model} {workers}": lab.probe("cpu_scaling", model=model, workers=workers, loops=loops)
        for model in ("threads", "processes")
        for workers in (1, 2)
    }


@contextlib.contextmanager
def colours(lab: Lab) -> Iterator[Alternatives]:
    """A real CPU-bound workload: the resize stage alone with its colours step (Pillow, then
    a Python loop over pixels) on 2 threads and 2 processes (claim 10)."""
    yield {
        model: lab.stage("resize", model, 2, analysis=True) for model in ("threads", "processes")
    }


@contextlib.contextmanager
def pillow(lab: Lab) -> Iterator[Alternatives]:
    """The resize stage alone (Pillow only) on 2 threads and 2 processes (claim 10)."""
    yield {model: lab.stage("resize", model, 2) for model in ("threads", "processes")}


@contextlib.contextmanager
def slow_io(lab: Lab) -> Iterator[Alternatives]:
    """The crawl alone of a slow site on asyncio and threads, moderately (narrow) and widely
    (wide) concurrent (claims 4, 7, 10)."""
    sizes = lab.sizes
    with lab.open_site(sizes.slow_latency_ms) as origin:
        yield {
            f"{model} {width}": lab.stage("crawl", model, getattr(sizes, width), f"{origin}/")
            for width in ("narrow", "wide")
            for model in ("asyncio", "threads")
        }


@contextlib.contextmanager
def fast_io(lab: Lab) -> Iterator[Alternatives]:
    """The crawl alone of a site that answers at once, on asyncio, threads and one worker
    (claim 10)."""
    width = lab.sizes.fast_concurrency
    with lab.open_site(0.0) as origin:
        yield {
            model: lab.stage("crawl", model, width, f"{origin}/")
            for model in ("asyncio", "threads", "sequential")
        }


@contextlib.contextmanager
def awaiting(lab: Lab) -> Iterator[Alternatives]:
    """The asyncio crawl awaiting one fetch at a time against N tasks at once (claim 8)."""
    sizes = lab.sizes
    limit = limited(sizes.await_pages)
    with lab.open_site(sizes.await_latency_ms) as origin:
        yield {
            name: lab.stage("crawl", "asyncio", width, f"{origin}/", **limit)
            for name, width in (("one at a time", 1), ("N at once", sizes.await_concurrency))
        }


EXPERIMENTS: dict[str, Experiment] = {
    experiment.__name__: experiment
    for experiment in (
        cpu_spread,
        handoff,
        ping_pong,
        sleeping,
        loop_lag,
        cpu_scaling,
        colours,
        pillow,
        slow_io,
        fast_io,
        awaiting,
    )
}
