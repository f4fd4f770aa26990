"""What the operator keeps per ScheduledJob is freed when it goes; API errors are told plainly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from typing import Any, cast

import pytest
import structlog
import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from prometheus_client import CollectorRegistry

from scheduledjob_api import v1alpha1
from scheduledjob_operator.controller import Controller
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.domain.planning import PlanCache
from scheduledjob_operator.machinery import apierrors
from scheduledjob_operator.machinery.cachedcluster import CachedCluster
from scheduledjob_operator.machinery.ownwrites import OwnWrites
from scheduledjob_operator.machinery.store import TOMBSTONE_SECONDS, ObjectStore
from scheduledjob_operator.reconcile.reconciler import Outcome, Reconciler
from scheduledjob_operator.telemetry.metrics import OperatorMetrics

SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test")
KEY = ("team-a", "nightly")
# What the API server sends with every answer: the client's str() puts it all first.
HEADERS = {
    "Audit-Id": "5f0c2b8e-0d55-4a5e-9d0f-3c1f1f8b7a21",
    "Cache-Control": "no-cache, private",
    "Content-Type": "application/json",
    "X-Kubernetes-Pf-Flowschema-Uid": "8f5d9a0e-4c1b-4e8f-9a33-1f0e2d3c4b5a",
    "X-Kubernetes-Pf-Prioritylevel-Uid": "2b7c6d5e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    "Date": "Wed, 02 Dec 2026 08:00:00 GMT",
    "Content-Length": "512",
}
TERMINATING = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": 'jobs.batch "nightly-once" is forbidden: unable to create new content in '
    "namespace team-a because it is being terminated",
    "reason": "Forbidden",
    "details": {
        "name": "nightly-once",
        "group": "batch",
        "kind": "jobs",
        "causes": [
            {
                "reason": "NamespaceTerminating",
                "message": "namespace team-a is being terminated",
                "field": "metadata.namespace",
            }
        ],
    },
    "code": 403,
}
INVALID_MESSAGE = (
    'CronJob.batch "nightly" is invalid: spec.schedule: Invalid value: "0 2 * * *x": '
    "unparseable cron expression"
)
INVALID = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": INVALID_MESSAGE,
    "reason": "Invalid",
    "details": {"name": "nightly", "group": "batch", "kind": "CronJob", "causes": []},
    "code": 422,
}


def api_error(status: int, body: Mapping[str, Any]) -> ApiException:
    """The ApiException the client raises for this answer (as `kube.Cluster._send` does)."""
    response = urllib3.HTTPResponse(
        body=json.dumps(body).encode(), status=status, headers=HEADERS, preload_content=True
    )
    try:
        ApiException.from_response(http_resp=response, body=None, data=None)
    except ApiException as error:
        return error
    pytest.fail("from_response raised nothing")


def _body(version: int, *, generation: int = 1, name: str = KEY[1]) -> dict[str, Any]:
    return {
        "apiVersion": v1alpha1.API_VERSION,
        "kind": v1alpha1.KIND,
        "metadata": {
            "name": name,
            "namespace": KEY[0],
            "uid": f"uid-{name}",
            "generation": generation,
            "resourceVersion": str(version),
            "creationTimestamp": "2026-01-10T12:00:00Z",
        },
        "spec": {"job": "DataCleanupJob", "schedule": "0 2 * * *"},
    }


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Reconciler:
    """Plans through a real PlanCache, then fails with `failure` or asks to look again later."""

    def __init__(self) -> None:
        self.plans = PlanCache(SETTINGS)
        self.failure: Exception | None = None

    def reconcile(self, body: Mapping[str, Any]) -> Outcome:
        self.plans.plan(body)
        if self.failure is not None:
            raise self.failure
        return Outcome("success", requeue_after=3600.0)


class _Setup:
    """A Controller over a CachedCluster whose store is primed (no API server is asked)."""

    def __init__(self) -> None:
        self.clock = _Clock()
        self.store = ObjectStore(clock=self.clock)
        empty = {"metadata": {"resourceVersion": "1"}, "items": []}
        for kind in ("scheduledjobs", "cronjobs", "jobs"):
            self.store.replace(kind, empty, namespaces=None)  # type: ignore[arg-type]
        self.cluster = CachedCluster(client.ApiClient(client.Configuration()), self.store)
        self.reconciler = _Reconciler()
        self.metrics = OperatorMetrics.create(CollectorRegistry())
        self.controller = Controller(cast(Reconciler, self.reconciler), self.cluster, self.metrics)


@pytest.fixture
def setup() -> Iterator[_Setup]:
    """A fresh controller, closed afterwards."""
    made = _Setup()
    yield made
    made.cluster.close()


def test_a_deleted_scheduledjob_leaves_nothing_behind(setup: _Setup) -> None:
    """After its DELETED event: no lock, failure count, retry, plan, write, object or series."""

    async def scenario() -> frozenset[str]:
        controller = setup.controller
        controller.take_in("scheduledjobs", "ADDED", _body(10))
        setup.reconciler.failure = api_error(500, {"message": "etcdserver: leader changed"})
        await controller.reconcile(*KEY)
        assert {"failures", "retry"} == controller.holds(*KEY)
        setup.reconciler.failure = None
        await controller.reconcile(*KEY)  # succeeds and asks to look again in an hour
        setup.cluster.own_writes.record(_body(11))
        assert ({"retry"}, 1, 1) == (
            controller.holds(*KEY),
            len(setup.reconciler.plans),
            len(setup.cluster.own_writes),
        )
        controller.take_in("scheduledjobs", "DELETED", _body(12))
        await controller.reconcile(*KEY)
        return controller.holds(*KEY)

    held = asyncio.run(scenario())
    assert (frozenset(), 0, 0, None, frozenset()) == (
        held,
        len(setup.reconciler.plans),
        len(setup.cluster.own_writes),
        setup.store.get("scheduledjobs", KEY),
        setup.metrics.scheduledjobs.keys(),
    )


def test_a_tombstone_expires_after_its_time(setup: _Setup) -> None:
    """The deletion is remembered while a late write response may come, then forgotten."""
    setup.store.observe("scheduledjobs", _body(10))
    setup.store.observe("scheduledjobs", _body(12), deleted=True)
    setup.clock.now += TOMBSTONE_SECONDS - 1
    remembered = (setup.store.is_deleted("scheduledjobs", KEY), setup.store.tombstones())
    setup.clock.now += 2
    assert ((True, 1), (False, 0)) == (
        remembered,
        (setup.store.is_deleted("scheduledjobs", KEY), setup.store.tombstones()),
    )


def test_the_lock_of_a_key_lives_only_while_reconciles_use_it(setup: _Setup) -> None:
    """Concurrent reconciles of one key share a lock, which is gone when the last one ends."""

    async def scenario() -> tuple[bool, frozenset[str]]:
        controller = setup.controller
        controller.take_in("scheduledjobs", "ADDED", _body(10))
        first = asyncio.ensure_future(controller.reconcile(*KEY))
        second = asyncio.ensure_future(controller.reconcile(*KEY))
        await asyncio.sleep(0)
        during = "lock" in controller.holds(*KEY)
        await asyncio.gather(first, second)
        return during, controller.holds(*KEY) - {"retry"}

    assert (True, frozenset()) == asyncio.run(scenario())


def test_a_terminating_namespace_is_neither_retried_nor_warned_about(setup: _Setup) -> None:
    """A 403 NamespaceTerminating ends the reconcile quietly: no warning, no backoff retry."""

    async def scenario() -> frozenset[str]:
        setup.controller.take_in("scheduledjobs", "ADDED", _body(10))
        setup.reconciler.failure = api_error(403, TERMINATING)
        await setup.controller.reconcile(*KEY)
        return setup.controller.holds(*KEY)

    with structlog.testing.capture_logs() as logs:
        held = asyncio.run(scenario())
    warnings = [entry for entry in logs if entry["log_level"] in {"warning", "error"}]
    assert (frozenset(), [], None) == (
        held,
        warnings,
        setup.metrics.registry.get_sample_value(
            "scheduledjob_operator_reconcile_errors_total", {"error_type": "ForbiddenException"}
        ),
    )


def test_the_retry_warning_carries_the_api_servers_message(setup: _Setup) -> None:
    """For a 422 the logged error is the Status message, not the HTTP headers."""

    async def scenario() -> None:
        setup.controller.take_in("scheduledjobs", "ADDED", _body(10))
        setup.reconciler.failure = api_error(422, INVALID)
        await setup.controller.reconcile(*KEY)

    with structlog.testing.capture_logs() as logs:
        asyncio.run(scenario())
    logged = [entry["error"] for entry in logs if entry["event"] == "Reconcile failed, will retry"]
    assert [f"422 {INVALID_MESSAGE}"] == logged


@pytest.mark.parametrize(
    ("error", "expected_levels"),
    [
        (api_error(403, TERMINATING), ["debug"]),
        (api_error(500, {"message": "etcdserver: request timed out"}), ["warning"]),
    ],
    ids=["namespace-terminating", "server-error"],
)
def test_an_event_refused_for_a_terminating_namespace_is_dropped_quietly(
    setup: _Setup, error: ApiException, expected_levels: list[str]
) -> None:
    """Posting an Event into a namespace being deleted is no warning; other failures are."""
    future: Future[None] = Future()
    future.set_exception(error)
    with structlog.testing.capture_logs() as logs:
        setup.cluster._event_posted(future, namespace="team-a", scheduledjob="nightly")
    assert expected_levels == [entry["log_level"] for entry in logs]


def test_the_event_warning_names_the_api_servers_message(setup: _Setup) -> None:
    """A failed Event post is logged with the Status message and the ScheduledJob."""
    future: Future[None] = Future()
    future.set_exception(api_error(422, INVALID))
    with structlog.testing.capture_logs() as logs:
        setup.cluster._event_posted(future, namespace="team-a", scheduledjob="nightly")
    assert [("Could not post an Event", f"422 {INVALID_MESSAGE}", "nightly")] == [
        (entry["event"], entry["error"], entry["scheduledjob"]) for entry in logs
    ]


def test_describe_gives_the_message_and_is_namespace_terminating_the_cause() -> None:
    """The real client exception is read from its Status body, not its text."""
    terminating, invalid = api_error(403, TERMINATING), api_error(422, INVALID)
    assert (True, False, False) == (
        apierrors.is_namespace_terminating(terminating),
        apierrors.is_namespace_terminating(invalid),
        "Audit-Id" in apierrors.describe(terminating),
    )


def test_the_plan_cache_keeps_one_generation_per_scheduledjob_and_forgets_it() -> None:
    """A new generation replaces the old plan; forget drops it, whatever the uid."""
    plans = PlanCache(SETTINGS)
    plans.plan(_body(10, generation=1))
    plans.plan(_body(11, generation=2))
    plans.plan(_body(12, name="other"))
    kept = len(plans)
    plans.forget(*KEY)
    assert (2, 1) == (kept, len(plans))


def test_own_writes_of_a_deleted_object_are_forgotten() -> None:
    """forget drops every version recorded for the uid; other objects keep theirs."""
    writes = OwnWrites()
    for uid, version in (("u1", "10"), ("u1", "11"), ("u2", "10")):
        writes.record({"metadata": {"uid": uid, "resourceVersion": version}})
    writes.forget("u1")
    assert (1, True) == (
        len(writes),
        writes.is_echo({"metadata": {"uid": "u2", "resourceVersion": "10"}}),
    )


def test_own_writes_no_watch_can_echo_any_more_are_dropped() -> None:
    """Seeing version 12 drops our 10 and 11 (skipped by kopf's batching); 13 stays."""
    writes = OwnWrites()
    for version in ("10", "11", "13"):
        writes.record({"metadata": {"uid": "u1", "resourceVersion": version}})
    seen = writes.is_echo({"metadata": {"uid": "u1", "resourceVersion": "12"}})
    assert (False, 1, True) == (
        seen,
        len(writes),
        writes.is_echo({"metadata": {"uid": "u1", "resourceVersion": "13"}}),
    )
