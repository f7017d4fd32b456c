"""The measured window of a run, the whole pipeline's or one stage's alone, and its summary.

Data flow:
1. measured() notes the wall and CPU clocks, starts the timeline and a loop-lag watcher.
2. The run happens inside it.
3. On the way out, whatever happened: wall_s, cpu_s, the loop's lag and the timeline's
   lanes go into the run's Stats, and the record files and the timeline are closed.
4. finish() adds the digest, builds summary.json from the Stats and writes it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from config import RunConfig
from measure.looplag import LoopLag
from measure.process import cpu_seconds
from runfolder.contract import write_file
from runfolder.records import RunRecorder
from runfolder.summary import SUMMARY_FILE, Summary, build_summary
from runfolder.timeline import Timeline
from stats import Stats


@asynccontextmanager
async def measured(
    stats: Stats, recorder: RunRecorder, timeline: Timeline | None
) -> AsyncIterator[None]:
    """Measure what runs inside into stats; close recorder and timeline when it ends."""
    started, cpu_started = time.perf_counter(), cpu_seconds()
    stats.set("started", started)
    if timeline is not None:
        timeline.begin()
    lag = LoopLag()
    watcher = asyncio.create_task(lag.watch())
    try:
        yield
    finally:
        stats.set("wall_s", time.perf_counter() - started)
        stats.set("cpu_s", cpu_seconds() - cpu_started)
        watcher.cancel()
        recorder.close()
        if timeline is not None:
            timeline.close()
        for key, value in lag.as_json().items():
            stats.set(f"loop_lag/{key}", value)
        stats.set("timeline", timeline and timeline.describe())


def finish(
    config: RunConfig, stats: Stats, recorder: RunRecorder, alone: str | None = None
) -> Summary:
    """Write summary.json, with the digest, and return it; alone names a stage run alone."""
    stats.set("digest", recorder.digest())
    summary = build_summary(config, stats, alone)
    write_file(config.run_dir / SUMMARY_FILE, summary)
    return summary
