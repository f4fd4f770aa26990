"""Measure 6: how late the operator starts runs of the schedules it triggers itself.

A fresh control plane and the operator; `count` ScheduledJobs with sub-minute Quartz schedules
(`<k>/30 * * * * ?` for k = 0..29 in turn: each fires every 30 s, together about `count / 30`
runs a second, spread over the seconds of a minute), concurrencyPolicy Allow, and a 1 s
timeout so that runs (whose Pods no node runs) fail quickly and are cleaned up by the history
limits, as in a real cluster. A watch in this process notes when each run's Job first appears
(wall clock, this machine's, as the operator's); its lateness is that moment minus the fire
time in its annotation. Watch delivery is included, so the figure is an upper bound.

Also reported: the operator's CPU seconds over the window (no busy waiting: a waiting operator
uses almost none), and fire times that got no run.
"""

from __future__ import annotations

import datetime
import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client

from basejob import contract
from benchmarks import cluster, procstats
from scheduledjob_api import naming, v1alpha1
from scheduledjob_dev.controlplane import ControlPlane

NAMESPACE = "bench-precision"
JOB = "support.sample_jobs:NoOpJob"
PERIOD_SECONDS = 30
P99_TARGET_SECONDS = 1.0


@dataclass(frozen=True)
class PrecisionResult:
    """Lateness of each run the operator started, and what it cost."""

    scheduledjobs: int
    window_seconds: float
    lateness: list[float]
    expected_runs: int
    operator_cpu_seconds: float

    def percentile(self, fraction: float) -> float:
        """The `fraction` quantile (nearest rank) of the lateness."""
        ordered = sorted(self.lateness)
        rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
        return ordered[rank]


class _Starts:
    """Lateness of each Job, first seen by the watch."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lateness: dict[str, float] = {}
        self.fire_times: dict[str, datetime.datetime] = {}

    def seen(self, event_type: str, body: Any) -> None:
        seen_at = time.time()
        annotations = body["metadata"].get("annotations") or {}
        fired = annotations.get(contract.FIRE_TIME_ANNOTATION)
        name = body["metadata"]["name"]
        if fired is None or event_type == "DELETED":
            return
        fire = datetime.datetime.fromisoformat(fired.replace("Z", "+00:00"))
        with self.lock:
            if name not in self.lateness:
                self.lateness[name] = seen_at - fire.timestamp()
                self.fire_times[name] = fire


def _manifest(index: int) -> dict[str, Any]:
    return cluster.scheduledjob(
        f"every30-{index:03d}",
        JOB,
        schedule=f"{index % PERIOD_SECONDS}/{PERIOD_SECONDS} * * * * ?",
        concurrencyPolicy="Allow",
        timeoutSeconds=1,
        successfulRunsHistoryLimit=1,
        failedRunsHistoryLimit=1,
    )


def measure(
    count: int, *, window_seconds: float, workdir: Path, say: Callable[[str], None]
) -> PrecisionResult:
    """Create the ScheduledJobs, watch their runs start for `window_seconds`."""
    with ControlPlane(with_scheduler=False) as plane:
        api = cluster.api_client(plane.kubeconfig)
        cluster.install_crd(api)
        cluster.wait_served(api)
        cluster.create_namespace(api, NAMESPACE)
        environment = cluster.operator_environment(plane.kubeconfig)
        starts = _Starts()
        selector = f"{naming.MANAGED_BY_LABEL}={naming.MANAGED_BY}"
        list_jobs = functools.partial(
            client.BatchV1Api(cluster.api_client(plane.kubeconfig)).list_namespaced_job,
            label_selector=selector,
        )
        with cluster.Operator(environment, workdir / "operator-precision.log") as operator:
            objects = client.CustomObjectsApi(api)
            args = (v1alpha1.GROUP, v1alpha1.VERSION, NAMESPACE, v1alpha1.PLURAL)
            for index in range(count):
                objects.create_namespaced_custom_object(*args, _manifest(index))
            for index in range(count):
                cluster.wait_ready(api, NAMESPACE, f"every30-{index:03d}", timeout=120)
            say(f"precision: {count} ScheduledJobs Ready; watching runs for {window_seconds:.0f}s")
            watch = cluster.ObjectWatch(list_jobs, NAMESPACE, seen=starts.seen)
            start = time.time()
            before = procstats.snapshot(operator.pid)
            watch.start()
            time.sleep(window_seconds)
            after = procstats.snapshot(operator.pid)
            watch.stop()
    counted = [
        late
        for name, late in starts.lateness.items()
        if start + 1 < starts.fire_times[name].timestamp() < start + window_seconds - 2
    ]
    expected = sum(
        1
        for index in range(count)
        for second in range(math.ceil(start + 1), math.floor(start + window_seconds - 2) + 1)
        if second % PERIOD_SECONDS == index % PERIOD_SECONDS
    )
    return PrecisionResult(
        scheduledjobs=count,
        window_seconds=window_seconds,
        lateness=counted,
        expected_runs=expected,
        operator_cpu_seconds=after.cpu_seconds - before.cpu_seconds,
    )


def section(result: PrecisionResult) -> list[str]:
    """The report's markdown section."""
    p99 = result.percentile(0.99)
    verdict = "pass" if p99 <= P99_TARGET_SECONDS else f"**miss** ({p99 / P99_TARGET_SECONDS:.2f}x)"
    return [
        "## 6. Fire-time precision of operator-started schedules",
        "",
        f"{result.scheduledjobs} ScheduledJobs with `<k>/{PERIOD_SECONDS} * * * * ?` schedules "
        "(about "
        f"{result.scheduledjobs / PERIOD_SECONDS:.1f} runs a second), started by the operator "
        "itself. Lateness: a run's Job first seen by a watch, minus its fire time (includes "
        f"watch delivery). Window {result.window_seconds:.0f} s. Target: p99 under "
        f"{P99_TARGET_SECONDS} s.",
        "",
        "| runs | expected | p50 (s) | p95 (s) | p99 (s) | max (s) | target | operator CPU |",
        "|---|---|---|---|---|---|---|---|",
        f"| {len(result.lateness)} | {result.expected_runs} "
        f"| {result.percentile(0.5):.3f} | {result.percentile(0.95):.3f} "
        f"| **{p99:.3f}** | {max(result.lateness):.3f} | {verdict} "
        f"| {result.operator_cpu_seconds:.1f} s in {result.window_seconds:.0f} s |",
        "",
    ]
