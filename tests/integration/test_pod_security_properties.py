"""Whatever valid ScheduledJob a user writes, the API server admits what the operator builds.

Hypothesis draws valid specs (every kind of schedule and optional field); each plan's CronJob,
or for operator-started schedules and one-shots the run's Job, and the run's Pod are created
with a server-side dry run in a namespace that enforces Pod Security `restricted`. The operator's
own Deployment, rendered from the chart, must pass there too.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scheduledjob_api import naming
from scheduledjob_dev.pytest_plugin import ClusterAccess
from scheduledjob_operator.domain import planning
from scheduledjob_operator.domain.builders.job import build_run
from scheduledjob_operator.domain.builders.owners import owner_reference
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from support import scheduledjob_strategies as strategies

from .helpers import tool_runner, wait_for
from .test_helm_chart import EVERY_OPTION, OPERATOR_CHART

NAMESPACE = f"restricted-{uuid.uuid4().hex[:6]}"
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}
SETTINGS = RunSettings(
    default_image="registry.local/scheduledjob:test",
    pushgateway_url="http://pushgateway.monitoring:9091",
    otlp_endpoint="http://collector:4318",
    default_admin_user_id="admin-0",
)
FIRE_TIME = datetime.datetime(2030, 1, 1, 2, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def restricted_namespace(api_client: Any) -> Iterator[str]:
    """A namespace enforcing `restricted`, with its default ServiceAccount in place."""
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": NAMESPACE, "labels": RESTRICTED}})
    wait_for(
        "the namespace's default ServiceAccount",
        lambda: core.list_namespaced_service_account(NAMESPACE).items,
    )
    try:
        yield NAMESPACE
    finally:
        core.delete_namespace(NAMESPACE)


def _dry_run(create: Any, body: dict[str, Any]) -> None:
    """Create with `dryRun=All`; a refusal fails the test with the API server's message."""
    try:
        create(NAMESPACE, body, dry_run="All")
    except ApiException as error:
        pytest.fail(
            f"{body['kind']} refused ({error.status}): {error.body}\n{yaml.safe_dump(body)}"
        )


def _pod(template: dict[str, Any]) -> dict[str, Any]:
    pod_template = template["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**pod_template["metadata"], "name": "run-pod"},
        "spec": pod_template["spec"],
    }


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(body=strategies.scheduledjobs(NAMESPACE))
def test_every_valid_spec_is_admitted_under_restricted(
    api_client: Any, restricted_namespace: str, body: dict[str, Any]
) -> None:
    """The plan's CronJob (or run Job) and the run's Pod pass API validation and `restricted`."""
    plan = planning.plan(body, SETTINGS)
    event("CronJob" if plan.cron_job else "operator-started" if plan.schedule else "one-shot")
    batch = client.BatchV1Api(api_client)
    if plan.cron_job is not None:
        _dry_run(batch.create_namespaced_cron_job, plan.cron_job)
    else:
        run = build_run(
            plan.template,
            name=naming.scheduled_run_name(plan.owner.name, FIRE_TIME),
            namespace=NAMESPACE,
            owner_reference=owner_reference(plan.owner),
            kind="scheduled" if plan.schedule is not None else "once",
            fire_time=FIRE_TIME.isoformat() if plan.schedule is not None else None,
        )
        _dry_run(batch.create_namespaced_job, run)
    _dry_run(client.CoreV1Api(api_client).create_namespaced_pod, _pod(plan.template))


@pytest.mark.parametrize("values", [None, EVERY_OPTION], ids=["defaults", "every-option"])
def test_operator_deployment_is_admitted_under_restricted(
    kube_cluster: ClusterAccess, api_client: Any, restricted_namespace: str, values: Any
) -> None:
    """The chart's Deployment, rendered with defaults and every option, passes `restricted`."""
    helm = tool_runner("helm", kube_cluster.kubeconfig)
    extra = ["-f", str(values)] if values else []
    rendered = helm("template", "psa", str(OPERATOR_CHART), "-n", NAMESPACE, *extra)
    documents = [document for document in yaml.safe_load_all(rendered) if document]
    core = client.CoreV1Api(api_client)
    for account in (d for d in documents if d["kind"] == "ServiceAccount"):
        try:  # the Pod's ServiceAccount must exist for the dry run to reach Pod Security
            core.create_namespaced_service_account(NAMESPACE, account)
        except ApiException as error:
            if error.status != 409:
                raise
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    _dry_run(client.AppsV1Api(api_client).create_namespaced_deployment, deployment)
    template = deployment["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**template["metadata"], "name": "operator-pod"},
        "spec": template["spec"],
    }
    _dry_run(core.create_namespaced_pod, pod)
