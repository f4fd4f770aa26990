"""Counters of runs as Kubernetes saw them: outcomes from Job status, and missed fire times.

The runtime pushes its own counts when a run ends, but a run killed before it could push (OOM,
eviction, deadline) never does; these counters come from the Jobs themselves, so they count
every run. Each Job is counted once per operator process, and only if it finished after the
process started: a restarted operator does not count history again (counters restart at zero,
which `increase()` handles). Missed fire times are counted when the status records them, so
each fire time is counted once across restarts.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter

from scheduledjob_api.runs import Run

Key = tuple[str, str]


def result_label(run: Run) -> str:
    """succeeded, deadline_exceeded or failed."""
    if run.result == "Succeeded":
        return "succeeded"
    if run.reason == "DeadlineExceeded":
        return "deadline_exceeded"
    return "failed"


class RunCounters:
    """scheduledjob_runs_total and scheduledjob_missed_runs_total."""

    def __init__(
        self, registry: CollectorRegistry, *, started: datetime.datetime | None = None
    ) -> None:
        self.started = started or datetime.datetime.now(datetime.UTC)
        self.runs = Counter(
            "scheduledjob_runs_total",
            "Runs that finished, by result (succeeded, failed, deadline_exceeded), from Job "
            "status: includes runs killed before they could push metrics.",
            ["namespace", "scheduledjob", "job_name", "result"],
            registry=registry,
        )
        self.missed = Counter(
            "scheduledjob_missed_runs_total",
            "Fire times of the schedule at which no run started within the grace period.",
            ["namespace", "scheduledjob"],
            registry=registry,
        )
        self._counted: set[str] = set()
        self._labels: dict[Key, set[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def count_finished(self, key: Key, job_name: str, runs: Sequence[Run]) -> None:
        """Count runs that finished since this process started and were not counted yet."""
        with self._lock:
            for run in runs:
                if run.result is None or run.uid in self._counted:
                    continue
                if run.finish_time is None or run.finish_time < self.started:
                    continue
                self._counted.add(run.uid)
                result = result_label(run)
                self._labels.setdefault(key, set()).add((job_name, result))
                self.runs.labels(*key, job_name, result).inc()

    def count_missed(self, key: Key, count: int) -> None:
        """Add fire times that passed without a run."""
        if count > 0:
            self.missed.labels(*key).inc(count)

    def forget(self, key: Key) -> None:
        """Remove the ScheduledJob's series (it was deleted)."""
        with self._lock:
            for job_name, result in self._labels.pop(key, set()):
                self.runs.remove(*key, job_name, result)
        with contextlib.suppress(KeyError):  # never counted: nothing to remove
            self.missed.remove(*key)
