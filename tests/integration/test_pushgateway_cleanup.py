"""A deleted ScheduledJob's run metrics leave the Pushgateway, even if the deletion was missed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, push_to_gateway

from basejob import metrics as runtime_metrics
from scheduledjob_dev.pytest_plugin import MonitoringStack
from scheduledjob_operator.controller import Controller
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.machinery.cachedcluster import CachedCluster
from scheduledjob_operator.reconcile.reconciler import Reconciler
from scheduledjob_operator.telemetry.metrics import OperatorMetrics
from scheduledjob_operator.telemetry.pushgateway import PushgatewayGroups

from .helpers import ScheduledJobs, scheduledjob, wait_for


def _push(stack: MonitoringStack, namespace: str, name: str) -> None:
    """What a run pushes, in the run's group."""
    registry = CollectorRegistry()
    Counter("job_executions", "Runs.", ["job_name", "status"], registry=registry).labels(
        "NoOpJob", "success"
    ).inc()
    push_to_gateway(
        stack.pushgateway.url,
        job=runtime_metrics.PUSH_JOB,
        grouping_key={"namespace": namespace, "scheduledjob": name},
        registry=registry,
    )


@pytest.mark.usefixtures("operator")
def test_deleting_a_scheduledjob_deletes_its_pushgateway_group(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack
) -> None:
    """The operator sees the deletion and removes {job=basejob, namespace, scheduledjob}."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("pushed"))
    jobs.wait_ready("pushed")
    _push(prometheus_stack, namespace, "pushed")
    groups = PushgatewayGroups(prometheus_stack.pushgateway.url)
    assert (namespace, "pushed") in groups.groups()

    jobs.delete("pushed")

    wait_for("the group to go", lambda: (namespace, "pushed") not in groups.groups())


def test_resync_sweeps_groups_of_scheduledjobs_deleted_while_nobody_watched(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack, scheduledjob_crd: str
) -> None:
    """Groups of ScheduledJobs that do not exist go; live ones and other namespaces' stay."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("alive"))
    for name in ("alive", "ghost"):
        _push(prometheus_stack, namespace, name)
    _push(prometheus_stack, "local", "laptop-run")
    _push(prometheus_stack, "not-watched", "elsewhere")
    groups = PushgatewayGroups(prometheus_stack.pushgateway.url)
    cluster = CachedCluster(api_client)
    metrics = OperatorMetrics.create()
    controller = Controller(
        Reconciler(cluster, RunSettings(default_image="registry.local/scheduledjob:test")),
        cluster,
        metrics,
        namespaces=(namespace,),
        pushgateway=groups,
    )

    asyncio.run(controller.resync_once())

    remaining = groups.groups()
    assert (namespace, "ghost") not in remaining
    assert {
        (namespace, "alive"),
        ("local", "laptop-run"),
        ("not-watched", "elsewhere"),
    } <= remaining
    assert jobs.get("alive")["metadata"]["name"] == "alive"
