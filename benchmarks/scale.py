"""Measures 1-3 at one size N: reconcile throughput, API writes, operator memory and CPU.

Each size gets a fresh control plane (no objects or controller work left from a previous size)
and runs, in order:

1. The limit: N CronJobs, equivalent to the operator's, created directly with the benchmark's
   client and thread pool, before any operator runs.
2. A fresh operator process; N ScheduledJobs created with the same client and pool in their
   own namespace; a watch (millisecond resolution) notes when every one has `Ready=True` for
   its generation and a `cronJobName`; then the benchmark waits for the operator to go quiet
   (its reconcile count and the writes to its resources unchanged for a few seconds).
3. The idle window: nothing is changed for `idle_seconds`; writes, reconciles, CPU seconds.
4. One resync pass (`Controller.resync_once`, the operator's own code and settings, run from
   here so the pass has a clear start and end): its writes and duration.

With `repeat` > 1, steps 1 and 2 (up to all Ready) run again that many times in all, each on a
fresh control plane, and the ratio reported is the median: on a shared two-core machine one
round's ratio moves by a third with the host's load. During steps 1 and 2 the CPU seconds of
every process (etcd, API server, controller manager, operator, this benchmark) are read from
/proc, so the report shows where the cores went.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client

from benchmarks import apiserver_metrics, cluster, procstats
from benchmarks.apiserver_metrics import Counts
from scheduledjob_operator import naming, planning
from scheduledjob_operator import settings as operator_settings
from scheduledjob_operator.api import v1alpha1
from scheduledjob_operator.cachedcluster import CachedCluster
from scheduledjob_operator.controller import Controller
from scheduledjob_operator.localcluster.controlplane import ControlPlane
from scheduledjob_operator.metrics import OperatorMetrics
from scheduledjob_operator.reconcile import Reconciler

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
_RECONCILES = "scheduledjob_operator_reconcile_total"
_RECONCILE_SECONDS = "scheduledjob_operator_reconcile_duration_seconds_sum"


@dataclass(frozen=True)
class Round:
    """One timing of the limit and of the operator, on one fresh control plane."""

    direct_seconds: float
    operator_seconds: float

    @property
    def ratio(self) -> float:
        """Operator time over the direct-create limit."""
        return self.operator_seconds / self.direct_seconds


@dataclass(frozen=True)
class ScaleResult:
    """Everything measured at one size."""

    size: int
    concurrency: int
    direct_seconds: float
    submit_seconds: float  # the N ScheduledJob creates alone
    operator_seconds: float  # first create to the last Ready=True seen
    settle_seconds: float  # first create to the operator gone quiet
    create_writes: dict[str, float]  # operator-side writes, the benchmark's N creates removed
    create_reads: dict[str, float]
    direct_side_writes: dict[str, float]  # writes by others reacting to the direct CronJobs
    reconciles: float
    reconcile_seconds: float  # summed time of those reconciles (wall, in the operator)
    create_cpu_seconds: float
    idle_seconds: float
    idle_writes: dict[str, float]
    idle_reads: dict[str, float]
    idle_reconciles: float
    idle_cpu_seconds: float
    rss_after_create_mb: float
    peak_rss_mb: float
    steady_rss_mb: float
    resync_seconds: float
    resync_writes: dict[str, float]
    resync_reads: dict[str, float]
    direct_cpu: dict[str, float]  # CPU seconds by process while the CronJobs were created
    operator_cpu: dict[str, float]  # ... from the first ScheduledJob create to all Ready
    warnings: dict[str, int] = field(default_factory=dict)
    rounds: tuple[Round, ...] = ()  # every timing round, this result's own first

    @property
    def median_round(self) -> Round:
        """The round of median ratio (the lower middle one for an even count)."""
        rounds = sorted(
            self.rounds or (Round(self.direct_seconds, self.operator_seconds),),
            key=lambda r: r.ratio,
        )
        return rounds[(len(rounds) - 1) // 2]

    @property
    def ratio(self) -> float:
        """Operator time over the direct-create limit: the median over the rounds."""
        return self.median_round.ratio

    @property
    def ratio_spread(self) -> tuple[float, float]:
        """The lowest and highest ratio of the rounds."""
        ratios = [r.ratio for r in self.rounds] or [self.median_round.ratio]
        return min(ratios), max(ratios)

    @property
    def writes_per_scheduledjob(self) -> float:
        """Writes the operator side caused per new ScheduledJob."""
        return sum(self.create_writes.values()) / self.size


def _operator_side(counts: Counts) -> Counts:
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
    _wait_quiet(api, operator, timeout=60)


def _wait_quiet(api: Any, operator: cluster.Operator, *, timeout: float) -> None:
    """Until the operator's reconcile count and its resources' writes stop moving."""
    last: tuple[float, float] | None = None
    since = time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        writes = apiserver_metrics.writes(_operator_side(apiserver_metrics.scrape(api)))
        now = (operator.metric(_RECONCILES), apiserver_metrics.total(writes))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= QUIET_SECONDS:
            return
        time.sleep(QUIET_POLL_SECONDS)
    message = f"the operator did not go quiet within {timeout:.0f}s"
    raise TimeoutError(message)


def _warnings(log_path: Path) -> dict[str, int]:
    """Counts of the operator's warning and error events in its JSON log."""
    import json  # noqa: PLC0415

    found: dict[str, int] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if str(entry.get("level", "")).lower() in {"warning", "error", "critical"}:
            event = str(entry.get("event", ""))[:80]
            found[event] = found.get(event, 0) + 1
    return found


def _resync_once(kubeconfig: Path, environment: dict[str, str]) -> float:
    """One `Controller.resync_once` with the operator's settings; its seconds."""
    settings = operator_settings.load(environment)
    kube = CachedCluster(cluster.api_client(kubeconfig))
    metrics = OperatorMetrics.create()
    reconciler = Reconciler(
        kube, settings.run, scheduledjobs=metrics.scheduledjobs, run_counters=metrics.run_counters
    )
    controller = Controller(reconciler, kube, metrics, namespaces=settings.namespaces)
    started = time.monotonic()
    asyncio.run(controller.resync_once())
    elapsed = time.monotonic() - started
    if metrics.registry.get_sample_value(_RECONCILES, {"result": "error"}):
        message = "the resync pass had failed reconciles"
        raise RuntimeError(message)
    return elapsed


@dataclass(frozen=True)
class _Plane:
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


def _prepare(plane: ControlPlane, concurrency: int) -> _Plane:
    api = cluster.api_client(plane.kubeconfig, pool_size=concurrency + 4)
    cluster.install_crd(api)
    cluster.wait_served(api)
    for namespace in (DIRECT_NAMESPACE, OPERATOR_NAMESPACE):
        cluster.create_namespace(api, namespace)
    return _Plane(
        plane,
        api,
        cluster.api_client(plane.kubeconfig),
        cluster.operator_environment(plane.kubeconfig),
    )


@dataclass(frozen=True)
class _Direct:
    seconds: float
    writes: Counts  # by others, reacting to the CronJobs
    cpu: dict[str, float]


def _direct_phase(setup: _Plane, size: int, concurrency: int) -> _Direct:
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
    return _Direct(seconds, writes, cpu)


@dataclass(frozen=True)
class _Ready:
    """Step 2 up to every ScheduledJob Ready, with the readings taken before its creates."""

    submit_seconds: float
    operator_seconds: float
    cpu: dict[str, float]
    started: float  # monotonic
    operator_before: procstats.ProcessStats
    api_before: Counts
    reconciles_before: float
    reconcile_seconds_before: float


def _ready_phase(setup: _Plane, size: int, concurrency: int, operator: cluster.Operator) -> _Ready:
    """Step 2: warm the operator up, create N ScheduledJobs, wait until all are Ready."""
    objects = client.CustomObjectsApi(setup.api)
    args = (v1alpha1.GROUP, v1alpha1.VERSION, OPERATOR_NAMESPACE, v1alpha1.PLURAL)
    manifests = [cluster.scheduledjob(f"sj-{index:05d}", JOB) for index in range(size)]
    tracker = _ReadyTracker(size)
    list_call = client.CustomObjectsApi(setup.watch_api).list_namespaced_custom_object
    timeout = _timeout(size)
    _warm_up(setup.api, operator)
    pids = setup.pids(operator)
    with cluster.watching(list_call, *args, seen=tracker.seen):
        operator_before = procstats.snapshot(operator.pid)
        api_before = apiserver_metrics.scrape(setup.api)
        reconciles_before = operator.metric(_RECONCILES)
        reconcile_seconds_before = operator.metric(_RECONCILE_SECONDS)
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
    return _Ready(
        submit_seconds=submit_seconds,
        operator_seconds=tracker.done_at - started,
        cpu=cpu,
        started=started,
        operator_before=operator_before,
        api_before=api_before,
        reconciles_before=reconciles_before,
        reconcile_seconds_before=reconcile_seconds_before,
    )


def _timeout(size: int) -> float:
    return 120 + size * 0.5


def measure(
    size: int,
    *,
    concurrency: int,
    idle_seconds: float,
    workdir: Path,
    say: Callable[[str], None],
    repeat: int = 1,
) -> ScaleResult:
    """Run the whole sequence at one size on a fresh control plane, then the extra rounds."""
    with ControlPlane(with_scheduler=False) as plane:
        say(f"N={size}: control plane up in {plane.startup_seconds:.1f}s")
        setup = _prepare(plane, concurrency)
        direct = _direct_phase(setup, size, concurrency)
        say(f"N={size}: direct CronJob creates took {direct.seconds:.2f}s")
        with cluster.Operator(setup.environment, workdir / f"operator-{size}.log") as operator:
            result = _operator_phase(
                size,
                setup=setup,
                operator=operator,
                concurrency=concurrency,
                idle_seconds=idle_seconds,
                direct=direct,
                resync=lambda: _resync_once(plane.kubeconfig, setup.environment),
                say=say,
            )
    rounds = [Round(result.direct_seconds, result.operator_seconds)]
    for number in range(2, repeat + 1):
        rounds.append(_timing_round(size, concurrency, workdir / f"operator-{size}-{number}.log"))
        say(
            f"N={size}: round {number} of {repeat}: direct {rounds[-1].direct_seconds:.2f}s, "
            f"all Ready {rounds[-1].operator_seconds:.2f}s ({rounds[-1].ratio:.2f}x)"
        )
    return dataclasses.replace(result, rounds=tuple(rounds))


def _timing_round(size: int, concurrency: int, log_path: Path) -> Round:
    """Steps 1 and 2 only (up to all Ready), on a fresh control plane."""
    with ControlPlane(with_scheduler=False) as plane:
        setup = _prepare(plane, concurrency)
        direct = _direct_phase(setup, size, concurrency)
        with cluster.Operator(setup.environment, log_path) as operator:
            ready = _ready_phase(setup, size, concurrency, operator)
    return Round(direct.seconds, ready.operator_seconds)


def _operator_phase(
    size: int,
    *,
    setup: _Plane,
    operator: cluster.Operator,
    concurrency: int,
    idle_seconds: float,
    direct: _Direct,
    resync: Callable[[], float],
    say: Callable[[str], None],
) -> ScaleResult:
    api = setup.api
    ready = _ready_phase(setup, size, concurrency, operator)
    say(
        f"N={size}: all Ready after {ready.operator_seconds:.2f}s "
        f"(submitted in {ready.submit_seconds:.2f}s)"
    )
    _wait_quiet(api, operator, timeout=_timeout(size))
    settle_seconds = time.monotonic() - ready.started - QUIET_SECONDS
    cronjobs: Any = client.BatchV1Api(api).list_namespaced_cron_job(OPERATOR_NAMESPACE, limit=1)
    counted = (cronjobs.metadata.remaining_item_count or 0) + len(cronjobs.items)
    if counted != size:
        message = f"{counted} CronJobs for {size} Ready ScheduledJobs"
        raise RuntimeError(message)
    created = apiserver_metrics.scrape(api)
    after_create = procstats.snapshot(operator.pid)
    reconciles = operator.metric(_RECONCILES) - ready.reconciles_before
    reconcile_seconds = operator.metric(_RECONCILE_SECONDS) - ready.reconcile_seconds_before
    create_delta = _operator_side(apiserver_metrics.delta(ready.api_before, created))
    create_writes = apiserver_metrics.writes(create_delta)
    create_reads = create_delta - create_writes
    create_writes[apiserver_metrics.RequestKind("POST", "scheduledjobs")] -= size

    say(f"N={size}: idle for {idle_seconds:.0f}s")
    idle_reconciles_before = operator.metric(_RECONCILES)
    time.sleep(idle_seconds)
    idle_end = apiserver_metrics.scrape(api)
    after_idle = procstats.snapshot(operator.pid)
    idle_delta = apiserver_metrics.delta(created, idle_end)
    idle_writes = apiserver_metrics.writes(idle_delta)
    idle_reconciles = operator.metric(_RECONCILES) - idle_reconciles_before

    resync_seconds = resync()
    resync_delta = apiserver_metrics.delta(idle_end, apiserver_metrics.scrape(api))
    resync_writes = apiserver_metrics.writes(resync_delta)
    say(f"N={size}: one resync pass took {resync_seconds:.1f}s")
    return ScaleResult(
        size=size,
        concurrency=concurrency,
        direct_seconds=direct.seconds,
        submit_seconds=ready.submit_seconds,
        operator_seconds=ready.operator_seconds,
        settle_seconds=settle_seconds,
        create_writes=apiserver_metrics.by_label(create_writes),
        create_reads=apiserver_metrics.by_label(create_reads),
        direct_side_writes=apiserver_metrics.by_label(direct.writes),
        reconciles=reconciles,
        reconcile_seconds=reconcile_seconds,
        create_cpu_seconds=after_create.cpu_seconds - ready.operator_before.cpu_seconds,
        idle_seconds=idle_seconds,
        idle_writes=apiserver_metrics.by_label(idle_writes),
        idle_reads=apiserver_metrics.by_label(_operator_side(idle_delta - idle_writes)),
        idle_reconciles=idle_reconciles,
        idle_cpu_seconds=after_idle.cpu_seconds - after_create.cpu_seconds,
        rss_after_create_mb=after_create.rss_mb,
        peak_rss_mb=after_idle.peak_rss_mb,
        steady_rss_mb=after_idle.rss_mb,
        resync_seconds=resync_seconds,
        resync_writes=apiserver_metrics.by_label(resync_writes),
        resync_reads=apiserver_metrics.by_label(_operator_side(resync_delta - resync_writes)),
        direct_cpu=direct.cpu,
        operator_cpu=ready.cpu,
        warnings=_warnings(operator.log_path),
    )
