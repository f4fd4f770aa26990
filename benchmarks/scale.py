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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client

from benchmarks import apiserver_metrics, cluster, procstats
from benchmarks.scale_phases import (
    DESIGN_MINIMUM_WRITES,
    OPERATOR_NAMESPACE,
    OPERATOR_PROCESS,
    OPERATOR_RESOURCES,
    QUIET_SECONDS,
    RECONCILE_SECONDS,
    RECONCILES,
    Direct,
    Plane,
    direct_phase,
    operator_side,
    prepare,
    ready_phase,
    ready_timeout,
    wait_quiet,
)
from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_operator import settings as operator_settings
from scheduledjob_operator.controller import Controller
from scheduledjob_operator.machinery.cachedcluster import CachedCluster
from scheduledjob_operator.reconcile.reconciler import Reconciler
from scheduledjob_operator.telemetry.metrics import OperatorMetrics

__all__ = [
    "DESIGN_MINIMUM_WRITES",
    "OPERATOR_PROCESS",
    "OPERATOR_RESOURCES",
    "Round",
    "ScaleResult",
    "measure",
]


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
    if metrics.registry.get_sample_value(RECONCILES, {"result": "error"}):
        message = "the resync pass had failed reconciles"
        raise RuntimeError(message)
    return elapsed


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
        setup = prepare(plane, concurrency)
        direct = direct_phase(setup, size, concurrency)
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
        setup = prepare(plane, concurrency)
        direct = direct_phase(setup, size, concurrency)
        with cluster.Operator(setup.environment, log_path) as operator:
            ready = ready_phase(setup, size, concurrency, operator)
    return Round(direct.seconds, ready.operator_seconds)


def _operator_phase(
    size: int,
    *,
    setup: Plane,
    operator: cluster.Operator,
    concurrency: int,
    idle_seconds: float,
    direct: Direct,
    resync: Callable[[], float],
    say: Callable[[str], None],
) -> ScaleResult:
    api = setup.api
    ready = ready_phase(setup, size, concurrency, operator)
    say(
        f"N={size}: all Ready after {ready.operator_seconds:.2f}s "
        f"(submitted in {ready.submit_seconds:.2f}s)"
    )
    wait_quiet(api, operator, timeout=ready_timeout(size))
    settle_seconds = time.monotonic() - ready.started - QUIET_SECONDS
    cronjobs: Any = client.BatchV1Api(api).list_namespaced_cron_job(OPERATOR_NAMESPACE, limit=1)
    counted = (cronjobs.metadata.remaining_item_count or 0) + len(cronjobs.items)
    if counted != size:
        message = f"{counted} CronJobs for {size} Ready ScheduledJobs"
        raise RuntimeError(message)
    created = apiserver_metrics.scrape(api)
    after_create = procstats.snapshot(operator.pid)
    reconciles = operator.metric(RECONCILES) - ready.reconciles_before
    reconcile_seconds = operator.metric(RECONCILE_SECONDS) - ready.reconcile_seconds_before
    create_delta = operator_side(apiserver_metrics.delta(ready.api_before, created))
    create_writes = apiserver_metrics.writes(create_delta)
    create_reads = create_delta - create_writes
    create_writes[apiserver_metrics.RequestKind("POST", "scheduledjobs")] -= size

    say(f"N={size}: idle for {idle_seconds:.0f}s")
    idle_reconciles_before = operator.metric(RECONCILES)
    time.sleep(idle_seconds)
    idle_end = apiserver_metrics.scrape(api)
    after_idle = procstats.snapshot(operator.pid)
    idle_delta = apiserver_metrics.delta(created, idle_end)
    idle_writes = apiserver_metrics.writes(idle_delta)
    idle_reconciles = operator.metric(RECONCILES) - idle_reconciles_before

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
        idle_reads=apiserver_metrics.by_label(operator_side(idle_delta - idle_writes)),
        idle_reconciles=idle_reconciles,
        idle_cpu_seconds=after_idle.cpu_seconds - after_create.cpu_seconds,
        rss_after_create_mb=after_create.rss_mb,
        peak_rss_mb=after_idle.peak_rss_mb,
        steady_rss_mb=after_idle.rss_mb,
        resync_seconds=resync_seconds,
        resync_writes=apiserver_metrics.by_label(resync_writes),
        resync_reads=apiserver_metrics.by_label(operator_side(resync_delta - resync_writes)),
        direct_cpu=direct.cpu,
        operator_cpu=ready.cpu,
        warnings=_warnings(operator.log_path),
    )
