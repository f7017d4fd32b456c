"""The rules of thumb a guide to Python concurrency teaches, numbered as in shared/CLAIMS.md."""

from __future__ import annotations

CLAIMS = {
    1: "Concurrency is managing many tasks at once; parallelism is running them at the same "
    "instant on several cores. On one core there is only concurrency.",
    2: "Threads share memory, which makes them cheap to communicate but exposes races; "
    "processes are isolated and must communicate explicitly (pickling, pipes).",
    3: "A thread switch is cheaper than a process switch.",
    4: "In CPython the GIL lets one thread run Python bytecode at a time: irrelevant for one "
    "thread, a small problem for I/O-bound threads (they release it while waiting), a large "
    "one for CPU-bound threads.",
    5: "`time.sleep` behaves like I/O: it releases the GIL.",
    6: "Multiprocessing bypasses the GIL (one interpreter per process) and so suits CPU-bound "
    "work, at the cost of start-up and of copying data between processes.",
    7: "asyncio runs many tasks on one thread by cooperative switching at each `await`; it "
    "avoids thread-switch overhead and suits many slow I/O operations.",
    8: "`await coro` runs it to completion before the caller goes on; `asyncio.create_task` "
    "schedules it to run concurrently.",
    9: "`asyncio.to_thread` runs blocking code without blocking the event loop; CPU-heavy work "
    "inside an async program belongs in another process.",
    10: "Choose processes for CPU-bound work, threads for fast I/O where the number of switches "
    "is modest, asyncio for slow I/O at high concurrency.",
}

# Each claim as the question its chart answers.
QUESTIONS = {
    1: "On one core, is there only concurrency, and on two, parallelism?",
    2: "Is handing data to a thread cheaper than to a process?",
    3: "Is a thread switch cheaper than a process switch?",
    4: "Do CPU-bound threads stop scaling while I/O-bound threads keep up?",
    5: "Do sleeping threads overlap, as threads waiting on I/O do?",
    6: "Do processes scale CPU-bound Python, at a cost in start-up and copying?",
    7: "On a slow site at high concurrency, is asyncio faster and lighter than threads?",
    8: "Do tasks run concurrently where awaiting runs one at a time?",
    9: "Does to_thread keep the loop free, and is CPU work better in a process?",
    10: "Processes for CPU, threads for fast I/O, asyncio for slow I/O?",
}

# What a claim says that no experiment here can settle, said beside its verdict.
UNTESTED = {
    2: "Not tested: that shared memory exposes races (a race shows only by chance, so a run "
    "without one proves nothing).",
    4: "Not tested: that the GIL costs one thread nothing (with the GIL on there is nothing "
    "to compare with; a free-threaded build is).",
}
