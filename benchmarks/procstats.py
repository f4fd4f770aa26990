"""Memory and CPU time of a process, read from /proc (Linux only, like the local cluster)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_KB_PER_MB = 1024


@dataclass(frozen=True)
class ProcessStats:
    """A snapshot: resident set now, its high-water mark, and CPU seconds used so far."""

    rss_mb: float
    peak_rss_mb: float
    cpu_seconds: float


def _status_kb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return float(line.split()[1])
    message = f"/proc/{pid}/status has no {field}"
    raise LookupError(message)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of `pid` (its own, not its children's)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _CLOCK_TICKS


def snapshot(pid: int) -> ProcessStats:
    """VmRSS, VmHWM (both in MB) and CPU seconds of `pid`."""
    return ProcessStats(
        rss_mb=_status_kb(pid, "VmRSS") / _KB_PER_MB,
        peak_rss_mb=_status_kb(pid, "VmHWM") / _KB_PER_MB,
        cpu_seconds=cpu_seconds(pid),
    )


def cpu_by_process(pids: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process."""
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def cpu_used(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds each process used between two `cpu_by_process` readings."""
    return {name: after[name] - before[name] for name in after if name in before}
