"""What the machine gave a measurement: how many cores were free while it ran.

A laptop runs other programs. A comparison of one worker against two means something only
if two cores were free; so every measurement that a verdict rests on is taken inside a
CpuWindow, which reads, between its start and its end:
- the CPU the whole machine spent (the kernel's per-state counters, psutil.cpu_times);
- the CPU our own process tree spent (this process, every live descendant with the children
  it has reaped, and our reaped children, so a child that starts and ends inside the window
  counts whole and one that lived across it counts only its share);
- the time the hypervisor gave to other guests (steal, on a virtual machine);
and so how many cores other programs used meanwhile: the machine's CPU less ours.

Cores allowed are this process's CPUs (its affinity) within the cgroup's quota (a container
started with --cpus=1 may see 2 CPUs but run on one).
"""

from __future__ import annotations

import math
import os
import resource
import time
from pathlib import Path
from typing import NamedTuple

import psutil

# Cores other programs (and other guests) may take before a measurement counts as made on a
# busy machine: a quarter of a core costs two spinning processes about a tenth of their
# speed-up.
FREE_MARGIN = 0.25
CGROUP_QUOTA = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "max 100000" or "50000 100000"
# Not counted as the machine's busy time: idle states, and interrupt work, which the
# loopback traffic of our own crawls causes but no process of ours is charged for.
NOT_BUSY = ("idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice")


class Conditions(NamedTuple):
    """The cores a measurement had: allowed, and used by other programs or other guests."""

    wall_s: float
    cores: float  # cores this process may use (affinity within the cgroup quota)
    others: float  # cores other programs kept busy on average
    steal: float  # cores the hypervisor gave to other guests on average

    @property
    def taken(self) -> float:
        """Cores other programs and other guests took on average."""
        return self.others + self.steal

    @property
    def free(self) -> float:
        """Cores left for us on average."""
        return max(0.0, self.cores - self.taken)

    def explain(self) -> str:
        """In words: '1.1 of 2 cores were free: other programs used 0.9 core'."""
        taken = [f"other programs used {self.others:.1f} core"]
        if self.steal >= 0.05:
            taken.append(f"the hypervisor gave {self.steal:.1f} core to other guests")
        return f"only {self.free:.1f} of {self.cores:g} cores were free: {'; '.join(taken)}"

    def as_json(self) -> dict[str, float]:
        """The conditions rounded for a results file."""
        return {
            "wall_s": round(self.wall_s, 3),
            "cores": self.cores,
            "others": round(self.others, 3),
            "steal": round(self.steal, 3),
            "taken": round(self.taken, 3),
            "free": round(self.free, 3),
        }


def busy_words(taken: float) -> str:
    """'' when others took at most FREE_MARGIN cores, else a warning that says how much."""
    if taken <= FREE_MARGIN:
        return ""
    return f"measured while other programs used up to {taken:.1f} core"


class CpuWindow:
    """Opened before a measurement and closed after it: the Conditions it ran under."""

    def __init__(self) -> None:
        self._machine = psutil.cpu_times()
        self._ours = our_cpu_seconds()
        self._started = time.monotonic()

    def close(self) -> Conditions:
        """The conditions from opening until now."""
        wall_s = max(time.monotonic() - self._started, 1e-9)
        ours = our_cpu_seconds() - self._ours
        machine = psutil.cpu_times()
        busy = _busy(machine) - _busy(self._machine)
        steal = getattr(machine, "steal", 0.0) - getattr(self._machine, "steal", 0.0)
        return Conditions(wall_s, cores_allowed(), max(0.0, busy - ours) / wall_s, steal / wall_s)


def _busy(times: NamedTuple) -> float:
    """Seconds of CPU the machine spent running programs (all CPUs, since boot)."""
    return sum(value for field, value in times._asdict().items() if field not in NOT_BUSY)


def our_cpu_seconds() -> float:
    """CPU seconds of this process, of the children it reaped, and of every live descendant
    with the children each of them reaped."""
    total = sum(_rusage_seconds(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    try:
        descendants = psutil.Process().children(recursive=True)
    except psutil.Error:
        return total
    for process in descendants:
        try:
            times = process.cpu_times()
        except psutil.Error:  # it ended between the listing and the reading
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _rusage_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def cores_allowed() -> float:
    """How many cores this process may use: its CPUs, within the cgroup's CPU quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(float(cpus or 1), _cgroup_quota())


def _cgroup_quota() -> float:
    """The cgroup v2 CPU quota in cores, or infinity where there is none (or no cgroup)."""
    try:
        quota, period = CGROUP_QUOTA.read_text().split()[:2]
    except (OSError, ValueError):
        return math.inf
    return math.inf if quota == "max" else int(quota) / int(period)
