"""Per-ScheduledJob gauges: schedule gaps, snapshots of status, the collector and its wiring."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry

from basejob import schedules
from scheduledjob_api import v1alpha1
from scheduledjob_api.v1alpha1 import ScheduledJobStatus
from scheduledjob_operator.controller import Controller
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.machinery.cachedcluster import CachedCluster
from scheduledjob_operator.machinery.kube import Cluster
from scheduledjob_operator.machinery.store import ObjectStore
from scheduledjob_operator.reconcile.reconciler import Reconciler
from scheduledjob_operator.telemetry.metrics import OperatorMetrics
from scheduledjob_operator.telemetry.scheduledjob_metrics import (
    ScheduledJobCollector,
    ScheduledJobSnapshot,
    longest_interval,
    snapshot,
)

NOW = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)  # a Monday
CREATED = "2026-01-10T12:00:00Z"
CREATED_SECONDS = datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC).timestamp()
KEY = ("team-a", "nightly")
LABELS = {"namespace": "team-a", "scheduledjob": "nightly"}
DAY = 86400.0
GAUGES = (
    "scheduledjob_suspended",
    "scheduledjob_expected_interval_seconds",
    "scheduledjob_last_success_timestamp_seconds",
    "scheduledjob_next_run_timestamp_seconds",
    "scheduledjob_active_runs",
    "scheduledjob_oldest_active_run_start_timestamp_seconds",
    "scheduledjob_last_run_failed",
)


def _seconds(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _body(name: str = "nightly", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": v1alpha1.API_VERSION,
        "kind": v1alpha1.KIND,
        "metadata": {
            "name": name,
            "namespace": "team-a",
            "uid": f"uid-{name}",
            "generation": 1,
            "creationTimestamp": CREATED,
        },
        "spec": {"job": "DataCleanupJob", "schedule": "0 2 * * *", **spec},
    }


def _values(**changes: Any) -> ScheduledJobSnapshot:
    fields: dict[str, Any] = {
        "job": "DataCleanupJob",
        "schedule": "0 2 * * *",
        "time_zone": "UTC",
        "suspended": False,
        "expected_interval_seconds": DAY,
        "last_success_timestamp_seconds": CREATED_SECONDS,
        "next_run_timestamp_seconds": None,
        "active_runs": 0,
        "oldest_active_run_start_timestamp_seconds": None,
        "last_run_failed": False,
    }
    return ScheduledJobSnapshot(**{**fields, **changes})


def _samples(registry: CollectorRegistry, labels: Mapping[str, str] = LABELS) -> dict[str, Any]:
    return {name: registry.get_sample_value(name, dict(labels)) for name in GAUGES}


# -- the longest gap between fire times -------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "time_zone", "expected"),
    [
        ("* * * * *", "UTC", 60.0),
        ("0 * * * *", "UTC", 3600.0),
        ("0 9 * * 1-5", "UTC", 3 * DAY),  # Friday to Monday
        ("0 0 1 * *", "UTC", 31 * DAY),
        ("0 9 * * 1-5", "Europe/Berlin", 3 * DAY + 3600),  # the weekend the clocks go back
        ("30 2 * * *", "Europe/Berlin", 2 * DAY - 3600),  # 02:30 does not exist once a year
        ("0 0 29 2 *", "UTC", 1461 * DAY),  # rarer than the horizon: 2028-02-29 to 2032-02-29
    ],
)
def test_longest_interval_of_a_schedule(expression: str, time_zone: str, expected: float) -> None:
    """The expected interval is the longest gap between consecutive fire times, in real time."""
    schedule = schedules.parse_schedule(expression)
    assert expected == longest_interval(schedule, after=NOW, time_zone=time_zone)


def test_longest_interval_looks_at_a_bounded_number_of_fire_times() -> None:
    """With fewer fire times allowed than come before the longest gap, a shorter one is seen."""
    schedule = schedules.parse_schedule("* 0-22 * * *")
    assert (3660.0, 60.0) == (
        longest_interval(schedule, after=NOW),
        longest_interval(schedule, after=NOW, max_fires=100),
    )


# -- snapshots ---------------------------------------------------------------------------------


def test_snapshot_reads_the_spec_and_the_reported_status() -> None:
    """Every value comes from the spec or the status the reconciler just reported."""
    status = {
        "lastSuccessfulTime": "2026-03-01T02:00:41Z",
        "nextScheduleTime": "2026-03-03T02:00:00Z",
        "active": [
            {"jobName": "nightly-2", "correlationId": "c-2", "startTime": "2026-03-02T02:00:03Z"},
            {"jobName": "nightly-1", "correlationId": "c-1", "startTime": "2026-03-01T02:00:02Z"},
        ],
        "lastRun": {"jobName": "nightly-0", "correlationId": "c-0", "result": "Failed"},
    }
    expected = _values(
        last_success_timestamp_seconds=_seconds("2026-03-01T02:00:41Z"),
        next_run_timestamp_seconds=_seconds("2026-03-03T02:00:00Z"),
        active_runs=2,
        oldest_active_run_start_timestamp_seconds=_seconds("2026-03-01T02:00:02Z"),
        last_run_failed=True,
    )
    assert expected == snapshot(_body(), ScheduledJobStatus.model_validate(status), NOW)


def test_last_success_falls_back_to_the_creation_time() -> None:
    """Before any success the last-success time is when the ScheduledJob was created."""
    assert _values() == snapshot(_body(), ScheduledJobStatus.model_validate({}), NOW)


def test_suspended_scheduledjob_has_no_next_run() -> None:
    """A suspended ScheduledJob says suspended and has no next run, whatever status kept."""
    values = snapshot(
        _body(suspend=True),
        ScheduledJobStatus.model_validate({"nextScheduleTime": "2026-03-03T02:00:00Z"}),
        NOW,
    )
    assert _values(suspended=True) == values


@pytest.mark.parametrize(
    ("last_run", "expected"),
    [(None, False), ("Succeeded", False), ("Failed", True)],
)
def test_last_run_failed_only_after_a_failed_run(last_run: str | None, expected: bool) -> None:
    """last_run_failed is true only when status.lastRun failed."""
    status = (
        {}
        if last_run is None
        else {"lastRun": {"jobName": "nightly-0", "correlationId": "c-0", "result": last_run}}
    )
    values = snapshot(_body(), ScheduledJobStatus.model_validate(status), NOW)
    assert values is not None
    assert expected == values.last_run_failed


def test_snapshot_of_a_deleting_scheduledjob_is_none() -> None:
    """An object being deleted has no snapshot: its series should go."""
    body = _body()
    body["metadata"]["deletionTimestamp"] = "2026-03-02T07:59:00Z"
    assert snapshot(body, ScheduledJobStatus.model_validate({}), NOW) is None


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        ({"schedule": "0 0 31 2 *"}, {"schedule": "0 * * * *"}, 3600.0),  # the CronJob's
        ({"schedule": "0 * * * *", "timeZone": "Mars/Olympus"}, {}, 3600.0),  # as in UTC
        ({"schedule": "0 0 31 2 *"}, {}, None),
    ],
    ids=["schedule-kept-in-status", "unknown-time-zone", "nothing-parses"],
)
def test_expected_interval_of_an_invalid_spec(
    spec: dict[str, str], status: dict[str, str], expected: float | None
) -> None:
    """An invalid spec's interval is that of the schedule its CronJob still runs, if any."""
    values = snapshot(_body(**spec), ScheduledJobStatus.model_validate(status), NOW)
    assert values is not None
    assert expected == values.expected_interval_seconds


def test_snapshot_uses_the_schedule_it_is_given() -> None:
    """A schedule the caller already parsed is used rather than parsed again."""
    values = snapshot(
        _body(),
        ScheduledJobStatus.model_validate({}),
        NOW,
        schedule=schedules.parse_schedule("@hourly"),
    )
    assert values is not None
    assert 3600.0 == values.expected_interval_seconds


# -- the collector -----------------------------------------------------------------------------


def test_collector_exports_every_gauge_per_scheduledjob() -> None:
    """Each gauge has one sample per ScheduledJob, labelled namespace and scheduledjob."""
    metrics = OperatorMetrics.create(CollectorRegistry())
    metrics.scheduledjobs.update(
        KEY,
        _values(
            suspended=True,
            next_run_timestamp_seconds=1.0e9,
            active_runs=1,
            oldest_active_run_start_timestamp_seconds=2.0e9,
            last_run_failed=True,
        ),
    )
    expected = {
        "scheduledjob_suspended": 1.0,
        "scheduledjob_expected_interval_seconds": DAY,
        "scheduledjob_last_success_timestamp_seconds": CREATED_SECONDS,
        "scheduledjob_next_run_timestamp_seconds": 1.0e9,
        "scheduledjob_active_runs": 1.0,
        "scheduledjob_oldest_active_run_start_timestamp_seconds": 2.0e9,
        "scheduledjob_last_run_failed": 1.0,
    }
    assert expected == _samples(metrics.registry)


def test_info_gauge_carries_job_schedule_and_time_zone() -> None:
    """scheduledjob_info is 1, with the job, the schedule as written and the time zone."""
    registry = CollectorRegistry()
    collector = ScheduledJobCollector()
    registry.register(collector)
    collector.update(KEY, _values(schedule="0 0 2 ? * MON-FRI", time_zone="Europe/Berlin"))
    labels = {
        **LABELS,
        "job": "DataCleanupJob",
        "schedule": "0 0 2 ? * MON-FRI",
        "time_zone": "Europe/Berlin",
    }
    assert 1.0 == registry.get_sample_value("scheduledjob_info", labels)


def test_unknown_values_have_no_sample() -> None:
    """A value the snapshot does not know is an absent sample, not a zero."""
    registry = CollectorRegistry()
    collector = ScheduledJobCollector()
    registry.register(collector)
    collector.update(KEY, _values(expected_interval_seconds=None))
    samples = _samples(registry)
    assert (None, None, None, 0.0) == (
        samples["scheduledjob_expected_interval_seconds"],
        samples["scheduledjob_next_run_timestamp_seconds"],
        samples["scheduledjob_oldest_active_run_start_timestamp_seconds"],
        samples["scheduledjob_active_runs"],
    )


def test_forget_removes_only_that_scheduledjobs_series() -> None:
    """After forget, none of the ScheduledJob's series remain; others keep theirs."""
    registry = CollectorRegistry()
    collector = ScheduledJobCollector()
    registry.register(collector)
    other = {"namespace": "team-b", "scheduledjob": "nightly"}
    collector.update(KEY, _values())
    collector.update(("team-b", "nightly"), _values())
    collector.forget(KEY)
    collector.forget(("team-c", "never-seen"))
    assert dict.fromkeys(GAUGES) == _samples(registry)
    assert 0.0 == registry.get_sample_value("scheduledjob_active_runs", other)
    assert frozenset({("team-b", "nightly")}) == collector.keys()


def test_registering_the_gauges_twice_fails() -> None:
    """Two collectors on one registry would export duplicate series: refused at once."""
    registry = CollectorRegistry()
    registry.register(ScheduledJobCollector())
    with pytest.raises(ValueError, match="scheduledjob_info"):
        registry.register(ScheduledJobCollector())


# -- wiring: the reconciler and the controller -------------------------------------------------


class _FakeCluster:
    """Just enough of kube.Cluster for a reconcile: no CronJob yet, no runs, writes ignored."""

    def __init__(self, *objects: dict[str, Any]) -> None:
        self.objects = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects}
        self.store = ObjectStore()

    def refresh(self, namespaces: tuple[str, ...]) -> None:
        listing = {"metadata": {"resourceVersion": "1"}, "items": list(self.objects.values())}
        self.store.replace("scheduledjobs", listing, namespaces=namespaces or None)

    def get_scheduledjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objects.get((namespace, name))

    def list_scheduledjobs(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return [body for (ns, _), body in self.objects.items() if namespace in (None, ns)]

    def get_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        return None

    def create_cronjob(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        return dict(manifest)

    def runs(self, namespace: str, scheduledjob: str) -> list[Any]:
        return []

    def name_rivals(self, namespace: str, name: str) -> list[dict[str, Any]]:
        return []

    def patch_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        pass

    def write_status(self, body: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
        return True

    def emit_event(self, *_: Any, **__: Any) -> None:
        pass


def _reconciler(cluster: _FakeCluster, collector: ScheduledJobCollector | None) -> Reconciler:
    settings = RunSettings(default_image="registry.local/scheduledjob:test")
    return Reconciler(cast(Cluster, cluster), settings, scheduledjobs=collector)


def test_reconcile_exports_the_status_it_reported() -> None:
    """A reconciled ScheduledJob has its gauges, next run from the status just computed."""
    metrics = OperatorMetrics.create(CollectorRegistry())
    body = _body()
    outcome = _reconciler(_FakeCluster(body), metrics.scheduledjobs).reconcile(body, now=NOW)
    expected = {
        **dict.fromkeys(GAUGES, 0.0),
        "scheduledjob_expected_interval_seconds": DAY,
        "scheduledjob_last_success_timestamp_seconds": CREATED_SECONDS,
        "scheduledjob_next_run_timestamp_seconds": _seconds("2026-03-03T02:00:00Z"),
        "scheduledjob_oldest_active_run_start_timestamp_seconds": None,
    }
    assert ("success", expected) == (outcome.result, _samples(metrics.registry))


def test_reconcile_of_an_invalid_spec_still_exports_what_it_can() -> None:
    """An invalid spec keeps info, suspended and last success; an unknown interval is absent."""
    metrics = OperatorMetrics.create(CollectorRegistry())
    body = _body(schedule="0 0 31 2 *")
    outcome = _reconciler(_FakeCluster(body), metrics.scheduledjobs).reconcile(body, now=NOW)
    labels = {**LABELS, "job": "DataCleanupJob", "schedule": "0 0 31 2 *", "time_zone": "UTC"}
    samples = _samples(metrics.registry)
    assert ("invalid", 1.0, CREATED_SECONDS, None) == (
        outcome.result,
        metrics.registry.get_sample_value("scheduledjob_info", labels),
        samples["scheduledjob_last_success_timestamp_seconds"],
        samples["scheduledjob_expected_interval_seconds"],
    )


def test_reconcile_of_a_deleting_scheduledjob_forgets_it() -> None:
    """Once a deletion timestamp is set the reconcile drops the ScheduledJob's series."""
    collector = ScheduledJobCollector()
    collector.update(KEY, _values())
    body = _body()
    body["metadata"]["deletionTimestamp"] = "2026-03-02T07:59:00Z"
    outcome = _reconciler(_FakeCluster(body), collector).reconcile(body, now=NOW)
    assert ("deleting", frozenset()) == (outcome.result, collector.keys())


def test_reconciler_without_a_collector_exports_nothing() -> None:
    """The collector is optional: without one a reconcile works as before."""
    body = _body()
    assert "success" == _reconciler(_FakeCluster(body), None).reconcile(body, now=NOW).result


def test_controller_forgets_a_scheduledjob_that_no_longer_exists() -> None:
    """The reconcile a deletion event triggers finds no object and drops its series."""
    metrics = OperatorMetrics.create(CollectorRegistry())
    metrics.scheduledjobs.update(KEY, _values())
    cluster = _FakeCluster()
    controller = Controller(
        _reconciler(cluster, metrics.scheduledjobs), cast(CachedCluster, cluster), metrics
    )
    asyncio.run(controller.reconcile(*KEY))
    assert frozenset() == metrics.scheduledjobs.keys()


def test_resync_forgets_scheduledjobs_whose_deletion_was_missed() -> None:
    """A resync drops series of objects that are gone and exports the ones that exist."""
    metrics = OperatorMetrics.create(CollectorRegistry())
    metrics.scheduledjobs.update(("team-a", "gone"), _values())
    cluster = _FakeCluster(_body())
    controller = Controller(
        _reconciler(cluster, metrics.scheduledjobs), cast(CachedCluster, cluster), metrics
    )
    asyncio.run(controller.resync_once())
    assert frozenset({KEY}) == metrics.scheduledjobs.keys()
