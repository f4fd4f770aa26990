"""Scheduling from code against the real API server: idempotent applies, refusals, controls.

Only the CRD is needed (no operator): these tests assert what the calls leave in the API
server, and how its refusals (CEL 422, RBAC 403, 404) reach the caller.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from basejob import contract
from scheduledjob_client import scheduling
from scheduledjob_client.scheduling import (
    InvalidScheduledJobError,
    PermissionDeniedError,
    ScheduledJobNotFoundError,
    SchedulingClient,
)
from scheduledjob_dev.pytest_plugin import ClusterAccess

from .helpers import ScheduledJobs, scheduledjob

pytestmark = pytest.mark.usefixtures("scheduledjob_crd")


@pytest.fixture
def jobs(api_client: Any, namespace: str) -> SchedulingClient:
    """A scheduling client working in the test's namespace as the cluster admin."""
    return SchedulingClient(api_client, namespace=namespace)


@pytest.fixture
def nobody(api_client: Any, namespace: str) -> Iterator[SchedulingClient]:
    """A scheduling client authenticated as a ServiceAccount without any RBAC rights."""
    core = client.CoreV1Api(api_client)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "nobody"}})
    token = core.create_namespaced_service_account_token(
        "nobody", namespace, {"spec": {"expirationSeconds": 600}}
    ).status.token
    configuration = client.Configuration()
    configuration.host = api_client.configuration.host
    configuration.ssl_ca_cert = api_client.configuration.ssl_ca_cert
    configuration.api_key = {"authorization": f"Bearer {token}"}
    with client.ApiClient(configuration) as as_nobody:
        yield SchedulingClient(as_nobody, namespace=namespace)


def test_same_call_twice_changes_nothing(
    jobs: SchedulingClient, api_client: Any, namespace: str
) -> None:
    """The second identical call finds the same object: same UID, same generation (the
    resourceVersion may move with the operator's status updates)."""
    arguments: dict[str, Any] = {
        "tenant_id": 123,
        "correlation_id": "daily-reports",
        "data": {"ReportType": "Weekly"},
        "cron": "0 0 8 ? * MON",
    }
    first = jobs.schedule_job_with_context("ReportGenerationJob", **arguments)
    second = jobs.schedule_job_with_context("ReportGenerationJob", **arguments)
    assert ("created", "unchanged") == (first.change, second.change)
    assert (first.uid, first.generation) == (second.uid, second.generation)
    stored = ScheduledJobs(api_client, namespace).get(first.name)
    assert {
        "job": "ReportGenerationJob",
        "schedule": "0 0 8 ? * MON",
        "context": {"tenantId": 123, "correlationId": "daily-reports"},
        "data": {"ReportType": "Weekly"},
    }.items() <= stored["spec"].items()
    assert first.name.startswith("report-generation-job-")


def test_same_name_with_new_inputs_updates_in_place(jobs: SchedulingClient) -> None:
    """With an explicit name, changed arguments update the object rather than add one."""
    first = jobs.schedule_system_job("DataCleanupJob", cron="0 2 * * *", name="cleanup")
    updated = jobs.schedule_system_job(
        "DataCleanupJob", cron="0 3 * * *", name="cleanup", retries=2
    )
    assert "configured" == updated.change
    assert first.uid == updated.uid
    assert (first.generation + 1, "0 3 * * *") == (updated.generation, updated.schedule)
    assert 2 == updated.object["spec"]["retries"]


def test_tenant_job_leaves_the_user_to_the_operators_default_admin(
    jobs: SchedulingClient,
) -> None:
    """schedule_tenant_job sets the tenant only; a system job sets no context at all."""
    tenant = jobs.schedule_tenant_job("DataCleanupJob", 42, delay="1h", correlation_id="t")
    system = jobs.schedule_system_job("DataCleanupJob", delay="1h", correlation_id="s")
    assert {"tenantId": 42, "correlationId": "t"} == tenant.object["spec"]["context"]
    assert {"correlationId": "s"} == system.object["spec"]["context"]
    assert tenant.name != system.name


def test_one_shot_specs_are_written_as_the_api_expects(jobs: SchedulingClient) -> None:
    """run_at is stored as RFC 3339 UTC and delay as a duration; both are one-shots."""
    at = datetime.datetime(2030, 1, 1, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    by_time = jobs.schedule_system_job("DataCleanupJob", run_at=at, ttl_seconds_after_run=60)
    by_delay = jobs.schedule_system_job("DataCleanupJob", delay=datetime.timedelta(minutes=90))
    assert ("2030-01-01T08:00:00Z", 60) == (
        by_time.run_at,
        by_time.object["spec"]["ttlSecondsAfterRun"],
    )
    assert ("1h30m", True) == (by_delay.delay, by_delay.one_shot)


def test_cel_refusal_names_the_field(jobs: SchedulingClient) -> None:
    """ttl_seconds_after_run with cron breaks a CEL rule: the error names the field."""
    with pytest.raises(InvalidScheduledJobError) as refused:
        jobs.schedule_system_job("DataCleanupJob", cron="@daily", ttl_seconds_after_run=60)
    assert "spec.ttlSecondsAfterRun" == refused.value.field
    assert "applies to a ScheduledJob that runs once" in refused.value.message
    assert "`ttl_seconds_after_run` argument" in str(refused.value)
    assert isinstance(refused.value.__cause__, client.exceptions.ApiException)


def test_schema_refusal_names_the_field(jobs: SchedulingClient) -> None:
    """A value outside the schema (retries above 10) is refused naming spec.retries."""
    with pytest.raises(InvalidScheduledJobError) as refused:
        jobs.schedule_system_job("DataCleanupJob", cron="@daily", retries=11)
    assert "spec.retries" == refused.value.field


def test_identity_without_rights_gets_permission_denied(nobody: SchedulingClient) -> None:
    """A ServiceAccount without RBAC is refused with PermissionDeniedError naming itself."""
    with pytest.raises(PermissionDeniedError) as refused:
        nobody.schedule_system_job("DataCleanupJob", cron="@daily")
    assert f"system:serviceaccount:{nobody.namespace}:nobody" in str(refused.value)
    with pytest.raises(PermissionDeniedError):
        nobody.trigger("anything")


@pytest.mark.parametrize("call", ["get", "trigger", "suspend", "resume", "delete"])
def test_missing_scheduledjob_is_not_found(jobs: SchedulingClient, call: str) -> None:
    """Every call on a ScheduledJob that does not exist raises ScheduledJobNotFoundError."""
    with pytest.raises(ScheduledJobNotFoundError, match="does not exist"):
        getattr(jobs, call)("missing")


def test_delete_removes_it_and_missing_ok_tolerates_absence(jobs: SchedulingClient) -> None:
    """delete removes the object; a second delete with missing_ok=True does nothing."""
    ref = jobs.schedule_system_job("DataCleanupJob", cron="@daily", name="doomed")
    jobs.delete(ref.name)
    with pytest.raises(ScheduledJobNotFoundError):
        jobs.get(ref.name)
    jobs.delete(ref.name, missing_ok=True)


def test_suspend_and_resume_toggle_spec_suspend(jobs: SchedulingClient) -> None:
    """suspend sets spec.suspend, resume clears it, and get shows each state."""
    ref = jobs.schedule_system_job("DataCleanupJob", cron="@daily", name="toggled")
    assert not ref.suspended
    assert jobs.suspend(ref.name).suspended
    assert jobs.get(ref.name).suspended
    assert not jobs.resume(ref.name).suspended


def test_suspension_survives_repeating_the_scheduling_call(jobs: SchedulingClient) -> None:
    """Re-applying the same arguments does not undo an operator's suspend."""
    ref = jobs.schedule_system_job("DataCleanupJob", cron="@daily", name="held")
    jobs.suspend(ref.name)
    again = jobs.schedule_system_job("DataCleanupJob", cron="@daily", name="held")
    assert again.suspended


def test_trigger_sets_a_new_token_each_time_and_a_repeated_token_changes_nothing(
    jobs: SchedulingClient, api_client: Any, namespace: str
) -> None:
    """Each trigger writes a fresh token; the same token again leaves the object unchanged."""
    ref = jobs.schedule_system_job("DataCleanupJob", cron="@daily", name="pulled")
    first, second = jobs.trigger(ref.name), jobs.trigger(ref.name)
    assert first != second
    stored = ScheduledJobs(api_client, namespace).get(ref.name)
    assert second == stored["metadata"]["annotations"][contract.TRIGGER_ANNOTATION]
    assert contract.TRIGGER_TRACEPARENT_ANNOTATION not in stored["metadata"]["annotations"]
    assert second == jobs.trigger(ref.name, token=second)
    again = ScheduledJobs(api_client, namespace).get(ref.name)
    # Not the resourceVersion: the operator's status updates move it meanwhile.
    assert (stored["metadata"]["annotations"], stored["metadata"]["generation"]) == (
        again["metadata"]["annotations"],
        again["metadata"]["generation"],
    )


def test_apply_takes_over_an_object_made_with_kubectl(
    jobs: SchedulingClient, api_client: Any, namespace: str
) -> None:
    """A ScheduledJob created by another manager is updated (forced apply), not refused."""
    ScheduledJobs(api_client, namespace).create(scheduledjob("shared", schedule="0 1 * * *"))
    ref = jobs.schedule_system_job("DataCleanupJob", cron="0 4 * * *", name="shared")
    assert ("configured", "0 4 * * *") == (ref.change, ref.schedule)


def test_module_functions_use_the_default_client(jobs: SchedulingClient) -> None:
    """The module-level functions work on the client set as default."""
    scheduling.set_default_client(jobs)
    try:
        ref = scheduling.schedule_system_job("DataCleanupJob", cron="@daily", name="module")
        token = scheduling.trigger("module")
        scheduling.suspend("module")
        got = scheduling.get("module")
        assert (ref.uid, True) == (got.uid, got.suspended)
        assert token == got.object["metadata"]["annotations"][contract.TRIGGER_ANNOTATION]
        scheduling.delete("module")
    finally:
        scheduling.set_default_client(None)


def test_kubeconfig_context_namespace_is_the_default(
    kube_cluster: ClusterAccess, namespace: str, tmp_path: Path
) -> None:
    """A client from a kubeconfig works in its current context's namespace, as kubectl does."""
    document = yaml.safe_load(kube_cluster.kubeconfig.read_text())
    for context in document["contexts"]:
        context["context"]["namespace"] = namespace
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(document))
    with SchedulingClient.from_kubeconfig(kubeconfig) as from_file:
        ref = from_file.schedule_system_job("DataCleanupJob", cron="@daily", name="here")
    assert (namespace, namespace) == (from_file.namespace, ref.namespace)
