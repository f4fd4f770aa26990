"""Measure 4: from a Job's completion to the ScheduledJob's `status.lastRun` showing it.

A real control plane with the node agent, so each run's Pod really runs `basejob run` of the
no-op job. A few ScheduledJobs (a schedule that never fires during the benchmark) each start
their runs one after another, as `kubectl create job --from` does; so `concurrency` runs are
in flight at a time. Two watches in this process note, on one monotonic clock, when each Job's
Complete (or Failed) condition first appears and when its ScheduledJob's `status.lastRun.jobName`
first names it; the difference is the status latency. Both sides arrive through watches of the
same API server, so the watch delivery delay largely cancels out.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client

from benchmarks import cluster
from scheduledjob_api import v1alpha1
from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.nodeagent.launcher import NodeAgentProcess

NAMESPACE = "bench-latency"
JOB = "support.sample_jobs:NoOpJob"
RUN_TIMEOUT_SECONDS = 120.0
_FINISHED = ("Complete", "Failed")


@dataclass(frozen=True)
class LatencyResult:
    """Status latencies (seconds) over the runs, and how the runs went."""

    latencies: list[float]
    concurrency: int
    failed_runs: int
    run_seconds: list[float]  # Job created to Complete seen: the run itself, for context

    def percentile(self, fraction: float) -> float:
        """The `fraction` quantile (nearest rank) of the latencies."""
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
        return ordered[rank]

    @property
    def p50(self) -> float:
        """Median latency."""
        return statistics.median(self.latencies)


class _Moments:
    """First-seen moments, filled by the watches, waited on by the run starters."""

    def __init__(self) -> None:
        self.created: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.failed: set[str] = set()
        self.reported: dict[str, float] = {}
        self.changed = threading.Condition()

    def job_seen(self, _: str, job: dict[str, Any]) -> None:
        now = time.monotonic()
        name = job["metadata"]["name"]
        for condition in (job.get("status") or {}).get("conditions") or []:
            if condition.get("type") in _FINISHED and condition.get("status") == "True":
                with self.changed:
                    self.finished.setdefault(name, now)
                    if condition["type"] == "Failed":
                        self.failed.add(name)
                    self.changed.notify_all()

    def scheduledjob_seen(self, _: str, item: dict[str, Any]) -> None:
        now = time.monotonic()
        job_name = ((item.get("status") or {}).get("lastRun") or {}).get("jobName")
        if job_name:
            with self.changed:
                self.reported.setdefault(job_name, now)
                self.changed.notify_all()

    def wait_both(self, job_name: str) -> None:
        with self.changed:
            if not self.changed.wait_for(
                lambda: job_name in self.finished and job_name in self.reported,
                timeout=RUN_TIMEOUT_SECONDS,
            ):
                message = f"run {job_name} did not finish and show in lastRun in time"
                raise TimeoutError(message)


def start_run(batch: Any, cron_job_name: str, job_name: str) -> None:
    """A Job from the CronJob's template, owned by the CronJob (a manual run)."""
    cron_job = batch.read_namespaced_cron_job(cron_job_name, NAMESPACE)
    template = cron_job.spec.job_template
    job = client.V1Job(
        metadata=client.V1ObjectMeta(
            name=job_name,
            labels=template.metadata.labels,
            annotations={"cronjob.kubernetes.io/instantiate": "manual"},
            owner_references=[
                client.V1OwnerReference(
                    api_version="batch/v1",
                    kind="CronJob",
                    name=cron_job_name,
                    uid=cron_job.metadata.uid,
                    controller=True,
                )
            ],
        ),
        spec=template.spec,
    )
    batch.create_namespaced_job(NAMESPACE, job)


def _create_scheduledjobs(api: Any, count: int) -> list[str]:
    objects = client.CustomObjectsApi(api)
    args = (v1alpha1.GROUP, v1alpha1.VERSION, NAMESPACE, v1alpha1.PLURAL)
    env = [{"name": "PYTHONPATH", "value": str(cluster.TESTS)}]
    names = [f"latency-{index}" for index in range(count)]
    for name in names:
        objects.create_namespaced_custom_object(*args, cluster.scheduledjob(name, JOB, env=env))

    return [
        str(cluster.wait_ready(api, NAMESPACE, name, timeout=120)["status"]["cronJobName"])
        for name in names
    ]


def measure(
    runs: int, *, concurrency: int, workdir: Path, say: Callable[[str], None]
) -> LatencyResult:
    """Start `runs` runs, `concurrency` at a time; their status latencies."""
    with (
        ControlPlane(with_scheduler=True) as plane,
        NodeAgentProcess(plane.kubeconfig),
    ):
        api = cluster.api_client(plane.kubeconfig, pool_size=concurrency + 4)
        watch_api = cluster.api_client(plane.kubeconfig)
        cluster.install_crd(api)
        cluster.wait_served(api)
        cluster.create_namespace(api, NAMESPACE)
        environment = cluster.operator_environment(plane.kubeconfig)
        with cluster.Operator(environment, workdir / "operator-latency.log"):
            cron_jobs = _create_scheduledjobs(api, concurrency)
            say(f"latency: {concurrency} ScheduledJobs Ready; starting {runs} runs")
            moments = _Moments()
            batch = client.BatchV1Api(api)
            job_list = client.BatchV1Api(watch_api).list_namespaced_job
            sj_list = client.CustomObjectsApi(watch_api).list_namespaced_custom_object
            sj_args = (v1alpha1.GROUP, v1alpha1.VERSION, NAMESPACE, v1alpha1.PLURAL)

            def runs_of(worker: int) -> None:
                for index in range(worker, runs, concurrency):
                    name = f"{cron_jobs[worker]}-run-{index:04d}"
                    moments.created[name] = time.monotonic()
                    start_run(batch, cron_jobs[worker], name)
                    moments.wait_both(name)

            with (
                cluster.watching(job_list, NAMESPACE, seen=moments.job_seen),
                cluster.watching(sj_list, *sj_args, seen=moments.scheduledjob_seen),
                ThreadPoolExecutor(concurrency) as pool,
            ):
                list(pool.map(runs_of, range(concurrency)))
    names = list(moments.created)
    return LatencyResult(
        latencies=[moments.reported[n] - moments.finished[n] for n in names],
        concurrency=concurrency,
        failed_runs=len(moments.failed),
        run_seconds=[moments.finished[n] - moments.created[n] for n in names],
    )
