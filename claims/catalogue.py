"""The rules of thumb a guide to Python concurrency teaches, one record each: the words,
where they are taught, the question its chart answers, and every check that tests it, with
its threshold and the free cores it needs to mean anything.

This catalogue is the authority: the command line's choices, docs/claims.md's table of
thresholds (`claims --list` prints it) and the verdicts all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from claims.lab import FULL, Sizes
from claims.measures import Each, Measure, Ratio

# Two workers "scale" CPU work on 2 cores when they reach this speed-up over one, and "take
# turns" when they stay at or under TAKE_TURNS; in between they do neither.
SCALES = 1.6
TAKE_TURNS = 1.3
# The control: two processes of pure Python, each on its own free core, go at least this much
# faster than one, whatever the interpreter; less says two cores were not free just then.
CONTROL_SCALES = 1.5
# Threads keep up with asyncio on slow I/O when they reach this share of its rate.
KEEPS_UP = 0.8
# A process costs this many times a thread at least, to start or to hand data to, for the
# claim's "at the cost of" to count as a cost.
COSTS = 5.0


def bound_words(at_least: float | None, at_most: float | None, unit: str = "x") -> str:
    """'at least 1.6x' or 'at most 1.3x'."""
    if at_least is not None:
        return f"at least {at_least:g}{unit}"
    return f"at most {at_most:g}{unit}"


@dataclass(frozen=True)
class Spec:
    """One comparison a claim predicts: what is compared (its name may hold {narrow} and
    {wide}, the lab's sizes), how it is measured, the threshold it must reach (at_least) or
    stay under (at_most), and the cores that must be free for it to mean anything.

    A caveat is a part of the claim that may fail while the rest holds; it says what then.
    `unexplained` is for a check that holds only because of the GIL: on an interpreter
    without one, a hold is not the GIL's doing, and it says so (with {median})."""

    name: str
    measure: Measure
    at_least: float | None = None
    at_most: float | None = None
    cores: int = 1
    caveat: str = ""
    unexplained: str = ""
    unit: str = "x"  # "x" for a ratio; "" for a count or a share

    def label(self, sizes: Sizes) -> str:
        """The name with the lab's sizes in it."""
        return self.name.format(narrow=sizes.narrow, wide=sizes.wide)

    @property
    def threshold(self) -> str:
        """'at least 1.6x' or 'at most 1.3x'."""
        return bound_words(self.at_least, self.at_most, self.unit)


@dataclass(frozen=True)
class Claim:
    """A rule of thumb with its checks. With `gil`, it is also tested on a free-threaded
    interpreter, where `without_gil` adds the checks only such a run has."""

    number: int
    words: str
    question: str
    source: str
    checks: tuple[Spec, ...]
    untested: str = ""
    gil: bool = False
    without_gil: tuple[Spec, ...] = ()

    @property
    def experiments(self) -> set[str]:
        """The experiments its checks read."""
        return {spec.measure.experiment for spec in (*self.checks, *self.without_gil)}


def _slow(metric: str, top: str, bottom: str) -> Ratio:
    return Ratio("slow_io", top, bottom, metric)


HAND_OVER = Spec(
    "hand-over time, process / thread",
    Ratio("handoff", "processes", "threads", "per_item_s"),
    at_least=COSTS,
)
SLOW_SITE_WIDE = Spec(
    "slow site, {wide} at once: asyncio / threads fetch rate",
    _slow("fetch_rate", "asyncio wide", "threads wide"),
    at_least=1.0,
)

CLAIMS: tuple[Claim, ...] = (
    Claim(
        1,
        "Concurrency is managing many tasks at once; parallelism is running them at the same "
        "instant on several cores. On one core there is only concurrency.",
        "On one core, is there only concurrency, and on two, parallelism?",
        "Rob Pike, 'Concurrency is not Parallelism' (Waza, 2012); repeated by most guides.",
        (
            Spec(
                "2 processes on 1 core, time / 1 process",
                Ratio("cpu_spread", "2 on 1 core", "1 on 1 core", "wall_s"),
                at_least=1.7,
            ),
            Spec(
                "both ran at once on 1 core (share of repeats)",
                Each("cpu_spread", "2 on 1 core", "overlapped"),
                at_least=1.0,
                unit="",
            ),
            Spec(
                "2 processes on 2 cores, time / 1 process",
                Ratio("cpu_spread", "2 on 2 cores", "1 on 1 core", "wall_s"),
                at_most=1.3,
                cores=2,
            ),
        ),
    ),
    Claim(
        2,
        "Threads share memory, which makes them cheap to communicate but exposes races; "
        "processes are isolated and must communicate explicitly (pickling, pipes).",
        "Is handing data to a thread cheaper than to a process?",
        "Python docs, multiprocessing, 'Exchanging objects between processes' and "
        "'Programming guidelines' (avoid shared state; arguments are pickled).",
        (HAND_OVER,),
        untested="Not tested: that shared memory exposes races (a race shows only by chance, "
        "so a run without one proves nothing).",
    ),
    Claim(
        3,
        "A thread switch is cheaper than a process switch.",
        "Is a thread switch cheaper than a process switch?",
        "Operating-system textbooks (Silberschatz et al., Operating System Concepts, "
        "'Threads': switching between threads is faster than between processes).",
        (
            Spec(
                "round trips per second over pipes, threads / processes",
                Ratio("ping_pong", "threads pipe", "processes pipe", "round_trips_per_s"),
                at_least=1.0,
            ),
            Spec(
                "round trips per second between threads, queue.Queue / pipe",
                Ratio("ping_pong", "threads queue", "threads pipe", "round_trips_per_s"),
                at_least=1.0,
                caveat="the plumbing costs more than the switch: a queue.Queue (locks and "
                "condition variables in Python) passes fewer tokens between threads than a "
                "pipe does",
            ),
        ),
        gil=True,
    ),
    Claim(
        4,
        "In CPython the GIL lets one thread run Python bytecode at a time: irrelevant for one "
        "thread, a small problem for I/O-bound threads (they release it while waiting), a "
        "large one for CPU-bound threads.",
        "Do CPU-bound threads stop scaling while I/O-bound threads keep up?",
        "Python docs, threading: 'due to the Global Interpreter Lock, only one thread can "
        "execute Python code at once'; glossary, 'global interpreter lock'.",
        (
            Spec(
                "pure Python, 2 threads / 1 thread speed",
                Ratio("cpu_scaling", "threads 1", "threads 2", "wall_s"),
                at_most=TAKE_TURNS,
                cores=2,
                unexplained="2 threads of pure Python reached only {median:.2f}x one thread "
                "without a GIL: something else limits them here",
            ),
            Spec(
                "slow site, {narrow} at once: threads / asyncio fetch rate",
                _slow("fetch_rate", "threads narrow", "asyncio narrow"),
                at_least=KEEPS_UP,
            ),
        ),
        untested="Not tested: that the GIL costs one thread nothing (with the GIL on there "
        "is nothing to compare with; a free-threaded build is).",
        gil=True,
        without_gil=(
            Spec(
                "pure Python, 1 thread: time without / with the GIL",
                Ratio("cpu_scaling", "threads 1", "threads 1", "wall_s", across=True),
                at_most=1.1,
            ),
        ),
    ),
    Claim(
        5,
        "`time.sleep` behaves like I/O: it releases the GIL.",
        "Do sleeping threads overlap, as threads waiting on I/O do?",
        "Python docs, glossary, 'global interpreter lock': the GIL is released around "
        "blocking I/O; time.sleep is taught as the stand-in for I/O in most guides.",
        (
            Spec(
                "4 threads sleeping, time / one sleep",
                Each("sleeping", "sleep", "time_per_one"),
                at_most=2.0,
                cores=0,
            ),
        ),
    ),
    Claim(
        6,
        "Multiprocessing bypasses the GIL (one interpreter per process) and so suits "
        "CPU-bound work, at the cost of start-up and of copying data between processes.",
        "Do processes scale CPU-bound Python, at a cost in start-up and copying?",
        "Python docs, multiprocessing: 'effectively side-stepping the Global Interpreter "
        "Lock by using subprocesses instead of threads'.",
        (
            Spec(
                "pure Python, 2 processes / 1 process speed",
                Ratio("cpu_scaling", "processes 1", "processes 2", "wall_s"),
                at_least=SCALES,
                cores=2,
            ),
            Spec(
                "start-up, process pool / thread pool",
                Ratio("handoff", "processes", "threads", "startup_s"),
                at_least=COSTS,
            ),
            HAND_OVER,
        ),
        gil=True,
    ),
    Claim(
        7,
        "asyncio runs many tasks on one thread by cooperative switching at each `await`; it "
        "avoids thread-switch overhead and suits many slow I/O operations.",
        "On a slow site at high concurrency, is asyncio faster and lighter than threads?",
        "Python docs, asyncio: 'a perfect fit for IO-bound and high-level structured network "
        "code'.",
        (
            SLOW_SITE_WIDE,
            Spec(
                "slow site, {wide} at once: CPU per fetch, threads / asyncio",
                _slow("cpu_per_fetch", "threads wide", "asyncio wide"),
                at_least=1.0,
            ),
        ),
    ),
    Claim(
        8,
        "`await coro` runs it to completion before the caller goes on; "
        "`asyncio.create_task` schedules it to run concurrently.",
        "Do tasks run concurrently where awaiting runs one at a time?",
        "Python docs, asyncio, 'Coroutines and Tasks': awaiting a coroutine against "
        "asyncio.create_task() 'to run coroutines concurrently'.",
        (
            Spec(
                "fetch rate, N tasks / awaiting one at a time",
                Ratio("awaiting", "N at once", "one at a time", "fetch_rate"),
                at_least=2.0,
                cores=0,
            ),
            Spec(
                "requests in flight at once, awaiting one at a time",
                Each("awaiting", "one at a time", "in_flight"),
                at_most=1.0,
                cores=0,
                unit="",
            ),
        ),
    ),
    Claim(
        9,
        "`asyncio.to_thread` runs blocking code without blocking the event loop; CPU-heavy "
        "work inside an async program belongs in another process.",
        "Does to_thread keep the loop free, and is CPU work better in a process?",
        "Python docs, asyncio, 'Developing with asyncio', 'Running Blocking Code', and "
        "asyncio.to_thread.",
        (
            Spec(
                "loop lag, blocking call on the loop / in to_thread",
                Ratio("loop_lag", "inline sleep", "to_thread sleep", "lag_max_ms"),
                at_least=5.0,
            ),
            Spec(
                "loop lag, pure Python in to_thread / in a process",
                Ratio("loop_lag", "to_thread cpu", "process cpu", "lag_max_ms"),
                at_least=2.0,
                cores=2,
                caveat="a pure-Python thread delays the loop only a little: the GIL is "
                "handed back every 5 ms (sys.getswitchinterval)",
            ),
        ),
        gil=True,
    ),
    Claim(
        10,
        "Choose processes for CPU-bound work, threads for fast I/O where the number of "
        "switches is modest, asyncio for slow I/O at high concurrency.",
        "Processes for CPU, threads for fast I/O, asyncio for slow I/O?",
        "Python docs, threading: 'use multiprocessing or concurrent.futures."
        "ProcessPoolExecutor' for multi-core work; 'threading is still an appropriate model "
        "if you want to run multiple I/O-bound tasks simultaneously'.",
        (
            Spec(
                "resize with its pure-Python colours step (a real workload), 2 processes / "
                "2 threads speed",
                Ratio("colours", "threads", "processes", "work_s"),
                at_least=1.3,
                cores=2,
                unexplained="processes beat threads by {median:.2f}x on this workload "
                "without a GIL: something other than the GIL holds the threads back",
            ),
            SLOW_SITE_WIDE,
            Spec(
                "Pillow thumbnails, 2 processes / 2 threads speed",
                Ratio("pillow", "threads", "processes", "work_s"),
                at_least=1.1,
                cores=2,
                caveat="not for libraries that release the GIL: Pillow's thumbnails are as "
                "fast on threads",
            ),
            Spec(
                "site that answers at once: threads / one worker fetch rate",
                Ratio("fast_io", "threads", "sequential", "fetch_rate"),
                at_least=1.2,
                cores=2,
                caveat="threads barely beat one worker on fast I/O; asyncio does better",
            ),
        ),
        gil=True,
    ),
)

BY_NUMBER = {claim.number: claim for claim in CLAIMS}
GIL_CLAIMS = tuple(claim.number for claim in CLAIMS if claim.gil)


def threshold_table(sizes: Sizes = FULL) -> str:
    """Every check of every claim with its threshold and the free cores it needs, as the
    Markdown table docs/claims.md shows (`claims --list`)."""
    rows = ["| claim | check | threshold | free cores |", "|---|---|---|---|"]
    for claim in CLAIMS:
        for spec in claim.checks:
            rows.append(
                f"| {claim.number} | {spec.label(sizes)} | {spec.threshold} | {spec.cores} |"
            )
        for spec in claim.without_gil:
            rows.append(
                f"| {claim.number} | {spec.label(sizes)} (without the GIL only) | "
                f"{spec.threshold} | {spec.cores} |"
            )
    return "\n".join(rows)
