"""The experiments behind the claims: each a set of alternatives measured side by side.

Several claims share an experiment (the pure-Python step on 1 and 2 threads and processes
answers claims 4, 6 and 10), so each experiment runs once per `claims` run. The crawl
experiments run against the local site with the latency their question needs.
"""

from __future__ import annotations

from collections.abc import Callable

from claims.lab import Lab, Series, limited


def cpu_spread(lab: Lab) -> Series:
    """Pure-Python work in 1 or 2 processes, pinned to 1 or 2 cores (claim 1)."""
    loops = lab.sizes.spin_loops
    return lab.interleave(
        {
            "1 on 1 core": lab.probe("cpu_spread", workers=1, cores=1, loops=loops),
            "2 on 1 core": lab.probe("cpu_spread", workers=2, cores=1, loops=loops),
            "2 on 2 cores": lab.probe("cpu_spread", workers=2, cores=2, loops=loops),
        }
    )


def handoff(lab: Lab) -> Series:
    """Handing the same bytes to a thread and to a process, item after item (claims 2, 6)."""
    sizes = lab.sizes
    return lab.interleave(
        {
            model: lab.probe(
                "handoff", model=model, payload_bytes=sizes.payload_bytes, items=sizes.handoff_items
            )
            for model in ("threads", "processes")
        }
    )


def ping_pong(lab: Lab) -> Series:
    """A token passed back and forth between two threads, and two processes (claim 3)."""
    trips = lab.sizes.round_trips
    return lab.interleave(
        {
            model: lab.probe("ping_pong", model=model, round_trips=trips)
            for model in ("threads", "processes")
        }
    )


def sleeping(lab: Lab) -> Series:
    """Four threads that sleep, against one sleep alone (claim 5)."""
    params = {"threads": 4, "loops": 0, "seconds": lab.sizes.sleep_s}
    return lab.interleave({"sleep": lab.probe("sleep_overlap", kind="sleep", **params)})


def loop_lag(lab: Lab) -> Series:
    """The event loop's lag while blocking work runs on it, in a thread, or in a process
    (claim 9)."""
    params = {"loops": lab.sizes.lag_loops, "seconds": lab.sizes.sleep_s, "repeats": 3}
    return lab.interleave(
        {
            f"{how} {work}": lab.probe("loop_lag_under", how=how, work=work, **params)
            for how, work in (
                ("inline", "sleep"),
                ("to_thread", "sleep"),
                ("to_thread", "cpu"),
                ("process", "cpu"),
            )
        }
    )


def python_cpu(lab: Lab) -> Series:
    """The resize stage alone with the pure-Python colours step, on 1 and 2 threads and
    processes (claims 4, 6, 10)."""
    return lab.interleave(
        {
            f"{model} {workers}": lab.stage("resize", model, workers, analysis=True)
            for model in ("threads", "processes")
            for workers in (1, 2)
        }
    )


def pillow(lab: Lab) -> Series:
    """The resize stage alone (Pillow only) on 2 threads and 2 processes (claim 10)."""
    return lab.interleave(
        {model: lab.stage("resize", model, 2) for model in ("threads", "processes")}
    )


def slow_io(lab: Lab) -> Series:
    """The crawl alone of a slow site on asyncio and threads, moderately and widely
    concurrent (claims 4, 7, 10)."""
    sizes = lab.sizes
    with lab.open_site(sizes.slow_latency_ms) as origin:
        return lab.interleave(
            {
                f"{model} {width}": lab.stage("crawl", model, width, f"{origin}/")
                for width in (sizes.narrow, sizes.wide)
                for model in ("asyncio", "threads")
            }
        )


def fast_io(lab: Lab) -> Series:
    """The crawl alone of a site that answers at once, on asyncio, threads and one worker
    (claim 10)."""
    width = lab.sizes.fast_concurrency
    with lab.open_site(0.0) as origin:
        return lab.interleave(
            {
                model: lab.stage("crawl", model, width, f"{origin}/")
                for model in ("asyncio", "threads", "sequential")
            }
        )


def awaiting(lab: Lab) -> Series:
    """The asyncio crawl awaiting one fetch at a time against N tasks at once (claim 8)."""
    sizes = lab.sizes
    limit = limited(sizes.await_pages)
    with lab.open_site(sizes.await_latency_ms) as origin:
        return lab.interleave(
            {
                f"{width} at once": lab.stage("crawl", "asyncio", width, f"{origin}/", **limit)
                for width in (1, sizes.await_concurrency)
            }
        )


EXPERIMENTS: dict[str, Callable[[Lab], Series]] = {
    experiment.__name__: experiment
    for experiment in (
        cpu_spread,
        handoff,
        ping_pong,
        sleeping,
        loop_lag,
        python_cpu,
        pillow,
        slow_io,
        fast_io,
        awaiting,
    )
}
