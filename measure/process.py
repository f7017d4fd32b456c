"""Run one command in a child process and measure what it cost the machine; CPU of this one.

CPU comes from the kernel's accounting of waited-for children (the run and every pool
worker it joined); memory is the peak of the summed resident size of the child and all its
descendants, sampled every SAMPLE_S (shared pages are counted once per process, as `ps` does).
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import psutil

SAMPLE_S = 0.05


class Measured(NamedTuple):
    """What one child process cost."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


def run_measured(command: list[str], log: Path) -> Measured:
    """Run command to completion with its output in log; return its costs."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with log.open("wb") as output:
        child = psutil.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        peak = 0
        while child.poll() is None:
            peak = max(peak, tree_rss(child))
            time.sleep(SAMPLE_S)
    wall_s = time.perf_counter() - started
    return Measured(child.returncode, wall_s, _children_cpu() - cpu_before, peak / 2**20)


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants right now."""
    total = 0
    try:
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in family:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # it exited between the listing and the reading
            continue
    return total


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have exited."""
    usages = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(usage.ru_utime + usage.ru_stime for usage in usages)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
