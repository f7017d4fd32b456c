"""The live view: a page on 127.0.0.1 that shows a run while it goes (`crawl --live`,
`stage --live`), drawn from what the run already records. It never changes what the run does.

Data flow:
1. Before anything else, the command starts a LiveServer (live.server): a thread of its own
   with an event loop of its own, so the page keeps moving while the run's loop stalls (that
   stall is one of the things to see). It binds 127.0.0.1 only and answers exactly two paths,
   `/` (the page, live.page) and `/feed` (Server-Sent Events); any other path, method or Host
   gets 404. The command prints its address and opens it when there is a display.
2. Once the run is built, watch(run, loop) hands the live thread what the run records anyway:
   its Stats, its Timeline, its bounded queues and its executors (live.feed.Run). The run's
   side changes in one way only: its Timeline also appends each new lane and each span to
   deques (Timeline.watch), which the live thread empties with popleft. Append and popleft
   are atomic, so no lock is shared with the run; the spans' deque is bounded, so a reader that
   falls behind loses old spans, never memory.
3. Every SAMPLE_S the live thread samples (live.feed.LiveFeed): each bounded queue's depth, and
   the run's loop lag: a callback handed to the run's loop with call_soon_threadsafe, timed
   until the loop runs it; while the loop is stalled the lag shown keeps rising. Every TICK_S
   it takes the new lanes and spans and copies the Stats (Stats.snapshot) into counts and
   items/s per stage; every CPU_S it reads the CPU of each core and of each of our processes
   (live.machine), the GIL's state, and a Dask cluster's dashboard address.
4. Each tick is encoded once, as one JSON event, and written to every browser on /feed. A
   browser that connects late, or reconnects, first gets a snapshot: every lane, the last
   MAX_SPANS spans and the last HISTORY_S of samples. Memory is bounded on both sides however
   long the run; a browser that never connects costs the run the sampling only.
5. At the end finish() sends the summary, as the terminal prints it, and report.html's path;
   the server waits (at most END_WAIT_S) until every connected browser has it, then closes.
   The page stays as it was, readable, and stops listening.

The page (live/static/live.js) draws the lanes with report.html's own script and colours
(report/static/report.js), and the charts on the same time axis, seconds since the run began.
"""

from live.feed import Run
from live.server import NOT_LIVE, Live, LiveServer

__all__ = ["NOT_LIVE", "Live", "LiveServer", "Run"]
