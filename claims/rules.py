"""Each claim as the checks its experiments must pass, with every threshold written here.

A rule takes the experiments' series (claims.experiments) and returns its Checks; claims.run
turns them into the verdict. Ratios are paired repeat by repeat (measure.verdict).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claims.lab import Series
from claims.verdict import Check
from measure.verdict import paired_ratios
from runfolder.timeline import TIMELINE_FILE

# Two workers "scale" CPU work on 2 cores when they reach this speed-up over one, and "take
# turns" when they stay at or under TAKE_TURNS; in between they do neither.
SCALES = 1.6
TAKE_TURNS = 1.3
# Threads keep up with asyncio on slow I/O when they reach this share of its rate.
KEEPS_UP = 0.8
# A process costs this many times a thread at least, to start or to hand data to, for the
# claim's "at the cost of" to count as a cost.
COSTS = 5.0

Results = Callable[[str], Series]  # an experiment's series by name, measured once


def values(series: list[dict[str, Any]], key: str) -> list[float]:
    """One measured value per repeat."""
    return [float(run[key]) for run in series]


def the_stage(run: dict[str, Any]) -> dict[str, Any]:
    """The summary row of the one stage a stage-alone run ran."""
    return next(iter(run["stages"].values()))


def stage_work(series: list[dict[str, Any]]) -> list[float]:
    """The stage's work per repeat: a worker beginning the first item to one finishing the
    last, so a process pool's start-up (claim 6's cost, measured apart) is left out."""
    return [the_stage(run)["work_s"] for run in series]


def stage_rate(series: list[dict[str, Any]]) -> list[float]:
    """Items per second of the stage's own time, per repeat."""
    return [stage["items"] / max(stage["wall_s"], 1e-9) for stage in map(the_stage, series)]


def ratio(a: list[float], b: list[float]) -> tuple[float, ...]:
    """a / b, repeat by repeat."""
    return tuple(paired_ratios(a, b))


def claim_1(results: Results) -> list[Check]:
    """On one core, two CPU-bound processes interleave but take twice as long; on two, not."""
    spread = results("cpu_spread")
    one = values(spread["1 on 1 core"], "wall_s")
    return [
        Check(
            "2 processes on 1 core, time / 1 process",
            ratio(values(spread["2 on 1 core"], "wall_s"), one),
            at_least=1.7,
        ),
        Check(
            "both ran at once on 1 core (share of repeats)",
            _overlapping(spread["2 on 1 core"]),
            at_least=1.0,
        ),
        Check(
            "2 processes on 2 cores, time / 1 process",
            ratio(values(spread["2 on 2 cores"], "wall_s"), one),
            at_most=1.3,
        ),
    ]


def _overlapping(runs: list[dict[str, Any]]) -> tuple[float, ...]:
    """1.0 for a repeat where each process started before the other ended, else 0.0."""
    return tuple(
        float(max(start for start, _ in run["spans"]) < min(end for _, end in run["spans"]))
        for run in runs
    )


def claim_2(results: Results) -> list[Check]:
    """Handing the same bytes to a process (pickled, piped) costs much more than to a thread."""
    return [_handing_over(results)]


def _handing_over(results: Results) -> Check:
    handoff = results("handoff")
    per_item = {model: values(runs, "per_item_s") for model, runs in handoff.items()}
    return Check(
        "hand-over time, process / thread",
        ratio(per_item["processes"], per_item["threads"]),
        at_least=COSTS,
    )


def claim_3(results: Results) -> list[Check]:
    """Round trips per second between two threads against two processes."""
    pong = results("ping_pong")
    rates = {model: values(runs, "round_trips_per_s") for model, runs in pong.items()}
    return [
        Check(
            "round trips per second, threads / processes",
            ratio(rates["threads"], rates["processes"]),
            at_least=1.0,
        )
    ]


def claim_4(results: Results) -> list[Check]:
    """CPU-bound threads do not scale; I/O-bound threads keep up with asyncio."""
    cpu = results("python_cpu")
    slow = results("slow_io")
    narrow = _width(slow, narrow=True)
    return [
        Check(
            "pure Python, 2 threads / 1 thread speed",
            ratio(stage_work(cpu["threads 1"]), stage_work(cpu["threads 2"])),
            at_most=TAKE_TURNS,
        ),
        Check(
            f"slow site, {narrow} at once: threads / asyncio fetch rate",
            ratio(stage_rate(slow[f"threads {narrow}"]), stage_rate(slow[f"asyncio {narrow}"])),
            at_least=KEEPS_UP,
        ),
    ]


def _width(series: Series, narrow: bool) -> int:
    """The narrow or wide concurrency the slow_io experiment used."""
    widths = sorted({int(name.split()[1]) for name in series})
    return widths[0] if narrow else widths[-1]


def claim_5(results: Results) -> list[Check]:
    """Four sleeping threads overlap."""
    sleeping = results("sleeping")
    return [
        Check(
            "4 threads sleeping, time / one sleep",
            ratio(values(sleeping["sleep"], "wall_s"), values(sleeping["sleep"], "one_s")),
            at_most=2.0,
        )
    ]


def claim_6(results: Results) -> list[Check]:
    """Processes scale CPU-bound Python; they cost start-up and copying."""
    cpu = results("python_cpu")
    startup = {model: values(runs, "startup_s") for model, runs in results("handoff").items()}
    return [
        Check(
            "pure Python, 2 processes / 1 process speed",
            ratio(stage_work(cpu["processes 1"]), stage_work(cpu["processes 2"])),
            at_least=SCALES,
        ),
        Check(
            "start-up, process pool / thread pool",
            ratio(startup["processes"], startup["threads"]),
            at_least=COSTS,
        ),
        _handing_over(results),
    ]


def claim_7(results: Results) -> list[Check]:
    """At high concurrency on a slow site, asyncio fetches faster than threads, on less CPU."""
    slow = results("slow_io")
    wide = _width(slow, narrow=False)
    asyncio_runs, thread_runs = slow[f"asyncio {wide}"], slow[f"threads {wide}"]
    return [
        Check(
            f"slow site, {wide} at once: asyncio / threads fetch rate",
            ratio(stage_rate(asyncio_runs), stage_rate(thread_runs)),
            at_least=1.0,
        ),
        Check(
            f"slow site, {wide} at once: CPU per fetch, threads / asyncio",
            ratio(_cpu_per_item(thread_runs), _cpu_per_item(asyncio_runs)),
            at_least=1.0,
        ),
    ]


def _cpu_per_item(runs: list[dict[str, Any]]) -> list[float]:
    return [run["cpu_s"] / the_stage(run)["items"] for run in runs]


def claim_8(results: Results) -> list[Check]:
    """Awaiting one fetch at a time against N tasks at once."""
    awaited = results("awaiting")
    one, many = (awaited[name] for name in awaited)
    return [
        Check(
            "fetch rate, N tasks / awaiting one at a time",
            ratio(stage_rate(many), stage_rate(one)),
            at_least=2.0,
        ),
        Check(
            "requests in flight at once, awaiting one at a time",
            tuple(peak_in_flight(run) for run in one),
            at_most=1.0,
        ),
    ]


def peak_in_flight(run: dict[str, Any]) -> float:
    """The most spans of a run's timeline that overlapped in time: requests in flight."""
    events = []
    with (Path(run["run_dir"]) / TIMELINE_FILE).open(encoding="utf-8") as lines:
        for span in map(json.loads, lines):
            events += [(span["start"], 1), (span["end"], -1)]
    peak = current = 0
    for _, step in sorted(events):  # at a tie, an end (-1) comes before a start
        current += step
        peak = max(peak, current)
    return float(peak)


def claim_9(results: Results) -> list[Check]:
    """to_thread keeps the loop free of blocking calls; CPU work is better in a process."""
    lag = results("loop_lag")
    worst = {name: values(runs, "lag_max_ms") for name, runs in lag.items()}
    return [
        Check(
            "loop lag, blocking call on the loop / in to_thread",
            ratio(worst["inline sleep"], worst["to_thread sleep"]),
            at_least=5.0,
        ),
        Check(
            "loop lag, pure Python in to_thread / in a process",
            ratio(worst["to_thread cpu"], worst["process cpu"]),
            at_least=2.0,
            caveat="a pure-Python thread delays the loop only a little: the GIL is handed "
            "back every 5 ms (sys.getswitchinterval)",
        ),
    ]


def claim_10(results: Results) -> list[Check]:
    """Processes for CPU-bound work, threads for fast I/O, asyncio for slow I/O."""
    cpu, pillow, fast = results("python_cpu"), results("pillow"), results("fast_io")
    slow = results("slow_io")
    wide = _width(slow, narrow=False)
    return [
        Check(
            "pure Python, 2 processes / 2 threads speed",
            ratio(stage_work(cpu["threads 2"]), stage_work(cpu["processes 2"])),
            at_least=1.3,
        ),
        Check(
            f"slow site, {wide} at once: asyncio / threads fetch rate",
            ratio(stage_rate(slow[f"asyncio {wide}"]), stage_rate(slow[f"threads {wide}"])),
            at_least=1.0,
        ),
        Check(
            "Pillow thumbnails, 2 processes / 2 threads speed",
            ratio(stage_work(pillow["threads"]), stage_work(pillow["processes"])),
            at_least=1.1,
            caveat="not for libraries that release the GIL: Pillow's thumbnails are as fast "
            "on threads",
        ),
        Check(
            "site that answers at once: threads / one worker fetch rate",
            ratio(stage_rate(fast["threads"]), stage_rate(fast["sequential"])),
            at_least=1.2,
            caveat="threads barely beat one worker on fast I/O; asyncio does better",
        ),
    ]


RULES: dict[int, Callable[[Results], list[Check]]] = {
    index: rule
    for index, rule in enumerate(
        (claim_1, claim_2, claim_3, claim_4, claim_5, claim_6, claim_7, claim_8, claim_9, claim_10),
        start=1,
    )
}
