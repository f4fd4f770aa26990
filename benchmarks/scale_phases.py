"""The steps of a scale measurement: a fresh plane, the direct-create limit, the operator's
ScheduledJobs up to all Ready, and what they need (a readiness watch, a quiet check).

`scale` strings them together and measures what follows (idle, resync); these steps are also
the whole of each extra timing round.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from benchmarks import apiserver_metrics, cluster, procstats
from benchmarks.apiserver_metrics import Counts
from scheduledjob_api import naming, v1alpha1
from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_operator import settings as operator_settings
from scheduledjob_operator.domain import planning

DIRECT_NAMESPACE = "bench-direct"
OPERATOR_NAMESPACE = "bench-operator"
WARM_UP_NAMESPACE = "bench-warm-up"
JOB = "support.sample_jobs:NoOpJob"
OPERATOR_RESOURCES = ("scheduledjobs", "cronjobs", "events", "jobs", "pods")
OPERATOR_PROCESS = "scheduledjob-operator"
DESIGN_MINIMUM_WRITES = 3  # POST cronjobs, PATCH scheduledjobs/status, POST events
QUIET_SECONDS = 5.0
# Each look scrapes the operator's /metrics (a series per ScheduledJob): often enough to time
# the end of its work to a second, rarely enough not to load it.
QUIET_POLL_SECONDS = 1.0
RECONCILES = "scheduledjob_operator_reconcile_total"
RECONCILE_SECONDS = "scheduledjob_operator_reconcile_duration_seconds_sum"


def operator_side(counts: Counts) -> Counts:
    """Only the requests on the resources the operator works with."""
    return Counter({k: v for k, v in counts.items() if k.resource in OPERATOR_RESOURCES})


class _ReadyTracker:
    """Fed by a watch: notes the moment every expected ScheduledJob is Ready for its spec."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.ready: set[str] = set()
        self.done = threading.Event()
        self.done_at = 0.0

    def seen(self, event_type: str, item: dict[str, Any]) -> None:
        name = item["metadata"]["name"]
        ready = event_type != "DELETED" and cluster.ready_for_generation(item)
        if ready:
            self.ready.add(name)
        else:
            self.ready.discard(name)
        if len(self.ready) >= self.expected and not self.done.is_set():
            self.done_at = time.monotonic()
            self.done.set()


def _create_all(create: Callable[[Any], Any], manifests: Sequence[Any], concurrency: int) -> float:
    """Seconds to create every manifest with `concurrency` threads (pool warmed up first).

    `create` is called with `_preload_content=False` (no model built from the response) and
    the response is read here: only a fully read response gives its connection back to the
    client's pool. Left unread, every create opened and TLS-handshook a connection of its own,
    which cost both the client and the API server more than the create.
    """

    def create_one(manifest: Any) -> None:
        create(manifest).data  # noqa: B018 - reading releases the connection

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda _: None, range(concurrency)))
        started = time.monotonic()
        list(pool.map(create_one, manifests))
        return time.monotonic() - started


def direct_cronjobs(size: int, namespace: str, run: Any) -> list[dict[str, Any]]:
    """The CronJobs the operator would build for N ScheduledJobs, as nobody's children.

    Built by the operator's own `planning.plan`; the owner reference is dropped (the garbage
    collector would delete children of a ScheduledJob that does not exist) and the managed-by
    label changed so the operator's label-filtered watch never sees them.
    """
    manifests = []
    for index in range(size):
        body = {
            **cluster.scheduledjob(f"sj-{index:05d}", JOB),
            "metadata": {
                "name": f"sj-{index:05d}",
                "namespace": namespace,
                "uid": str(uuid.uuid4()),
                "generation": 1,
            },
        }
        manifest = planning.plan(body, run).cron_job
        assert manifest is not None
        del manifest["metadata"]["ownerReferences"]
        manifest["metadata"]["labels"][naming.MANAGED_BY_LABEL] = "scheduledjob-benchmark"
        manifests.append(manifest)
    return manifests


def _warm_up(api: Any, operator: cluster.Operator) -> None:
    """One ScheduledJob through the operator before measuring: its watches are up, its
    imports and connections warm (kopf's /healthz answers before its first list)."""
    cluster.create_namespace(api, WARM_UP_NAMESPACE)
    client.CustomObjectsApi(api).create_namespaced_custom_object(
        v1alpha1.GROUP,
        v1alpha1.VERSION,
        WARM_UP_NAMESPACE,
        v1alpha1.PLURAL,
        cluster.scheduledjob("warm-up", JOB),
    )
    cluster.wait_ready(api, WARM_UP_NAMESPACE, "warm-up", timeout=60)
    wait_quiet(api, operator, timeout=60)


def wait_quiet(api: Any, operator: cluster.Operator, *, timeout: float) -> None:
    """Until the operator's reconcile count and its resources' writes stop moving."""
    last: tuple[float, float] | None = None
    since = time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        writes = apiserver_metrics.writes(operator_side(apiserver_metrics.scrape(api)))
        now = (operator.metric(RECONCILES), apiserver_metrics.total(writes))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= QUIET_SECONDS:
            return
        time.sleep(QUIET_POLL_SECONDS)
    message = f"the operator did not go quiet within {timeout:.0f}s"
    raise TimeoutError(message)


@dataclass(frozen=True)
class Plane:
    """A fresh control plane with the CRD, the namespaces and the operator's environment."""

    plane: ControlPlane
    api: Any
    watch_api: Any
    environment: dict[str, str]

    def pids(self, operator: cluster.Operator | None = None) -> dict[str, int]:
        """The processes whose CPU is read: the control plane's, this one's, the operator's."""
        pids = {**self.plane.pids(), "benchmark (client and watch)": os.getpid()}
        if operator is not None:
            pids[OPERATOR_PROCESS] = operator.pid
        return pids


def prepare(plane: ControlPlane, concurrency: int) -> Plane:
    """Install the CRD, create both namespaces, settle the operator's environment."""
    api = cluster.api_client(plane.kubeconfig, pool_size=concurrency + 4)
    cluster.install_crd(api)
    cluster.wait_served(api)
    for namespace in (DIRECT_NAMESPACE, OPERATOR_NAMESPACE):
        cluster.create_namespace(api, namespace)
    return Plane(
        plane,
        api,
        cluster.api_client(plane.kubeconfig),
        cluster.operator_environment(plane.kubeconfig),
    )


@dataclass(frozen=True)
class Direct:
    seconds: float
    writes: Counts  # by others, reacting to the CronJobs
    cpu: dict[str, float]


def direct_phase(setup: Plane, size: int, concurrency: int) -> Direct:
    """Step 1: the limit."""
    batch = client.BatchV1Api(setup.api)
    run_settings = operator_settings.load(setup.environment).run
    manifests = direct_cronjobs(size, DIRECT_NAMESPACE, run_settings)
    before = apiserver_metrics.scrape(setup.api)
    cpu_before = procstats.cpu_by_process(setup.pids())
    seconds = _create_all(
        lambda m: batch.create_namespaced_cron_job(DIRECT_NAMESPACE, m, _preload_content=False),
        manifests,
        concurrency,
    )
    cpu = procstats.cpu_used(cpu_before, procstats.cpu_by_process(setup.pids()))
    time.sleep(QUIET_SECONDS)  # let the controller manager react, if it does
    writes = apiserver_metrics.writes(
        apiserver_metrics.delta(before, apiserver_metrics.scrape(setup.api))
    )
    writes[apiserver_metrics.RequestKind("POST", "cronjobs")] -= size
    return Direct(seconds, writes, cpu)


@dataclass(frozen=True)
class Ready:
    """Step 2 up to every ScheduledJob Ready, with the readings taken before its creates."""

    submit_seconds: float
    operator_seconds: float
    cpu: dict[str, float]
    started: float  # monotonic
    operator_before: procstats.ProcessStats
    api_before: Counts
    reconciles_before: float
    reconcile_seconds_before: float


def ready_phase(setup: Plane, size: int, concurrency: int, operator: cluster.Operator) -> Ready:
    """Step 2: warm the operator up, create N ScheduledJobs, wait until all are Ready."""
    objects = client.CustomObjectsApi(setup.api)
    args = (v1alpha1.GROUP, v1alpha1.VERSION, OPERATOR_NAMESPACE, v1alpha1.PLURAL)
    manifests = [cluster.scheduledjob(f"sj-{index:05d}", JOB) for index in range(size)]
    tracker = _ReadyTracker(size)
    list_call = client.CustomObjectsApi(setup.watch_api).list_namespaced_custom_object
    timeout = ready_timeout(size)
    _warm_up(setup.api, operator)
    pids = setup.pids(operator)
    with cluster.watching(list_call, *args, seen=tracker.seen):
        operator_before = procstats.snapshot(operator.pid)
        api_before = apiserver_metrics.scrape(setup.api)
        reconciles_before = operator.metric(RECONCILES)
        reconcile_seconds_before = operator.metric(RECONCILE_SECONDS)
        cpu_before = procstats.cpu_by_process(pids)
        started = time.monotonic()
        submit_seconds = _create_all(
            lambda m: objects.create_namespaced_custom_object(*args, m, _preload_content=False),
            manifests,
            concurrency,
        )
        if not tracker.done.wait(timeout):
            message = f"only {len(tracker.ready)} of {size} ScheduledJobs Ready after {timeout}s"
            raise TimeoutError(message)
        cpu = procstats.cpu_used(cpu_before, procstats.cpu_by_process(pids))
    return Ready(
        submit_seconds=submit_seconds,
        operator_seconds=tracker.done_at - started,
        cpu=cpu,
        started=started,
        operator_before=operator_before,
        api_before=api_before,
        reconciles_before=reconciles_before,
        reconcile_seconds_before=reconcile_seconds_before,
    )


def ready_timeout(size: int) -> float:
    """How long N ScheduledJobs may take to be Ready before the measurement gives up."""
    return 120 + size * 0.5
