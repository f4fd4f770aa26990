"""`kubectl sj` against the real API server: what it prints, what it changes, its exit codes.

The plugin runs as the installed `kubectl-sj` console script in a subprocess, and once through
the pinned kubectl, which finds it on PATH. Only the CRD is needed; runs are Jobs made here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_dev.pytest_plugin import ClusterAccess

from .helpers import ScheduledJobs, scheduledjob, tool

pytestmark = pytest.mark.usefixtures("scheduledjob_crd")

BIN = Path(sys.executable).parent
Plugin = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sj(kube_cluster: ClusterAccess) -> Plugin:
    """Run `kubectl-sj ARGS --kubeconfig ...`; returns the finished process (any exit code)."""

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "kubectl-sj"), *arguments, f"--kubeconfig={kube_cluster.kubeconfig}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    return run


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert (0, "") == (result.returncode, result.stderr), result.stderr
    return result.stdout


def _suspended_run(api_client: Any, namespace: str, scheduledjob_name: str, name: str) -> Any:
    """A Job labelled as a run of the ScheduledJob; suspended, so no Pod is needed."""
    job = {
        "metadata": {
            "name": name,
            "labels": {
                naming.SCHEDULEDJOB_LABEL: scheduledjob_name,
                contract.RUN_KIND_LABEL: "manual",
            },
        },
        "spec": {
            "suspend": True,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "job", "image": "busybox:1.36", "command": ["true"]}],
                }
            },
        },
    }  # fmt: skip
    return client.BatchV1Api(api_client).create_namespaced_job(namespace, job)


def test_list_shows_a_row_per_scheduledjob(sj: Plugin, api_client: Any, namespace: str) -> None:
    """`list` prints the header and one row for each ScheduledJob in the namespace."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("nightly", schedule="0 0 2 * * ?", suspend=True))
    jobs.create(scheduledjob("later", schedule=None, runAt="2030-01-01T00:00:00Z"))
    header, *rows = _ok(sj("list", "-n", namespace)).splitlines()
    assert ["NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST", "RUN", "RESULT", "NEXT", "RUN"] == (
        header.split()
    )
    assert [
        ["later", "once", "at", "2030-01-01T00:00:00Z", "False", "0", "<none>", "<none>"],
        ["nightly", "0", "0", "2", "*", "*", "?", "True", "0", "<none>", "<none>", "<none>"],
    ] == [row.split()[:-2] if "once" in row else row.split() for row in rows]


def test_list_machine_outputs(sj: Plugin, api_client: Any, namespace: str) -> None:
    """-o json is a List of the objects; -o name prints qualified names; -o wide adds columns."""
    ScheduledJobs(api_client, namespace).create(scheduledjob("nightly", context={"tenantId": 7}))
    listed = json.loads(_ok(sj("list", "-n", namespace, "-o", "json")))
    assert ("List", ["nightly"]) == (
        listed["kind"],
        [item["metadata"]["name"] for item in listed["items"]],
    )
    assert "scheduledjob.jobs.connectflow.io/nightly\n" == _ok(
        sj("list", "-n", namespace, "-o", "name")
    )
    header, row = _ok(sj("-o", "wide", "list", "-n", namespace)).splitlines()
    assert header.split()[-6:] == ["JOB", "TENANT", "CORRELATION", "ID", "LAST", "DURATION"]
    assert ["DataCleanupJob", "7", "<none>", "<none>"] == row.split()[-4:]


def test_list_all_namespaces_adds_the_namespace_column(
    sj: Plugin, api_client: Any, namespace: str
) -> None:
    """-A lists across namespaces with NAMESPACE first."""
    ScheduledJobs(api_client, namespace).create(scheduledjob("everywhere"))
    header, *rows = _ok(sj("list", "-A")).splitlines()
    assert ["NAMESPACE", "NAME"] == header.split()[:2]
    assert [namespace, "everywhere"] in [row.split()[:2] for row in rows]


def test_empty_namespace_says_so_on_stderr(sj: Plugin, namespace: str) -> None:
    """An empty list prints nothing on stdout and kubectl's notice on stderr, exit 0."""
    result = sj("list", "-n", namespace)
    assert (0, "", f"No resources found in {namespace} namespace.\n") == (
        result.returncode,
        result.stdout,
        result.stderr,
    )


def test_describe_shows_spec_and_runs(sj: Plugin, api_client: Any, namespace: str) -> None:
    """`describe` shows the spec summary and each labelled Job with its correlation ID."""
    ScheduledJobs(api_client, namespace).create(
        scheduledjob(
            "reports",
            job="ReportGenerationJob",
            context={"tenantId": 5, "correlationId": "weekly"},
            data={"ReportType": "Weekly"},
        )
    )
    run = _suspended_run(api_client, namespace, "reports", "reports-manual-1")
    text = _ok(sj("describe", "reports", "-n", namespace))
    assert "Job:                  ReportGenerationJob" in text
    assert "Tenant:               5" in text
    assert "  ReportType:         Weekly" in text
    [line] = [line for line in text.splitlines() if "reports-manual-1" in line]
    assert contract.correlation_id("weekly", run.metadata.uid) in line.split()
    assert "manual" in line.split()


def test_trigger_prints_the_token_and_sets_the_annotation(
    sj: Plugin, api_client: Any, namespace: str
) -> None:
    """`trigger` writes a new token into the annotation and prints it."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("pulled"))
    output = _ok(sj("trigger", "pulled", "-n", namespace))
    token = jobs.get("pulled")["metadata"]["annotations"][contract.TRIGGER_ANNOTATION]
    assert f"scheduledjob.jobs.connectflow.io/pulled triggered (token {token})\n" == output


def test_suspend_and_resume(sj: Plugin, api_client: Any, namespace: str) -> None:
    """`suspend` and `resume` toggle spec.suspend and say so."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("toggled"))
    assert "scheduledjob.jobs.connectflow.io/toggled suspended\n" == _ok(
        sj("suspend", "toggled", "-n", namespace)
    )
    assert jobs.get("toggled")["spec"]["suspend"] is True
    assert "scheduledjob.jobs.connectflow.io/toggled resumed\n" == _ok(
        sj("resume", "toggled", "-n", namespace)
    )
    assert jobs.get("toggled")["spec"]["suspend"] is False


def test_run_once_creates_a_one_shot_and_is_idempotent(
    sj: Plugin, api_client: Any, namespace: str
) -> None:
    """`run-once` creates a delay ScheduledJob with context and typed data; again: unchanged."""
    arguments = (
        "run-once", "DataCleanupJob", "--in", "90s", "--tenant", "9", "--user", "u1",
        "--correlation-id", "adhoc", "--data", "RetentionDays=30", "--data", "DryRun=true",
        "--data", "Directory=/tmp", "-n", namespace,
    )  # fmt: skip
    created = _ok(sj(*arguments))
    [name] = [
        item["metadata"]["name"]
        for item in json.loads(_ok(sj("list", "-n", namespace, "-o", "json")))["items"]
    ]
    assert f"scheduledjob.jobs.connectflow.io/{name} created\n" == created
    spec = ScheduledJobs(api_client, namespace).get(name)["spec"]
    assert {
        "job": "DataCleanupJob",
        "delay": "1m30s",
        "context": {"tenantId": "9", "applicationUserId": "u1", "correlationId": "adhoc"},
        "data": {"RetentionDays": 30, "DryRun": True, "Directory": "/tmp"},
    }.items() <= spec.items()
    assert f"scheduledjob.jobs.connectflow.io/{name} unchanged\n" == _ok(sj(*arguments))


def test_run_once_at_a_time_with_a_name(sj: Plugin, api_client: Any, namespace: str) -> None:
    """`run-once --at` with an offset stores the time in UTC under the given name."""
    output = _ok(
        sj("run-once", "DataCleanupJob", "--at", "2030-06-01T10:00:00+02:00", "--name", "once",
           "-n", namespace, "-o", "name")
    )  # fmt: skip
    assert "scheduledjob.jobs.connectflow.io/once\n" == output
    assert (
        "2030-06-01T08:00:00Z" == ScheduledJobs(api_client, namespace).get("once")["spec"]["runAt"]
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("describe", "missing"), "error: ScheduledJob {ns}/missing does not exist"),
        (("trigger", "missing"), "error: ScheduledJob {ns}/missing does not exist"),
        (("logs", "missing"), "error: ScheduledJob {ns}/missing does not exist"),
        (
            ("run-once", "DataCleanupJob", "--in", "1m", "--user", "u"),
            "error: application_user_id='u' needs tenant_id",
        ),
        (
            ("run-once", "DataCleanupJob", "--in", "1m", "--env", "BASEJOB_JOB=x"),
            "error: the API server refused ScheduledJob",
        ),
    ],
    ids=["describe-missing", "trigger-missing", "logs-missing", "user-no-tenant", "refused"],
)
def test_errors_exit_1_with_a_message_on_stderr(
    sj: Plugin, namespace: str, arguments: tuple[str, ...], message: str
) -> None:
    """Not found, invalid and refused all print `error: ...` on stderr and exit 1."""
    result = sj(*arguments, "-n", namespace)
    assert (1, "") == (result.returncode, result.stdout)
    assert result.stderr.startswith(message.format(ns=namespace)), result.stderr


def test_kubectl_finds_the_plugin_on_path(
    kube_cluster: ClusterAccess, api_client: Any, namespace: str
) -> None:
    """`kubectl sj list` runs kubectl-sj from PATH and passes the arguments through."""
    ScheduledJobs(api_client, namespace).create(scheduledjob("via-kubectl"))
    environment = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "KUBECONFIG": str(kube_cluster.kubeconfig),
    }
    kubectl = tool("kubectl")
    plugins = subprocess.run(
        [kubectl, "plugin", "list"], capture_output=True, text=True, env=environment, check=False
    )
    assert str(BIN / "kubectl-sj") in plugins.stdout
    result = subprocess.run(
        [kubectl, "sj", "list", "-n", namespace, "-o", "name"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert (0, "scheduledjob.jobs.connectflow.io/via-kubectl\n") == (
        result.returncode,
        result.stdout,
    )
    missing = subprocess.run(
        [kubectl, "sj", "describe", "nope", "-n", namespace],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert 1 == missing.returncode
    assert "error: ScheduledJob" in missing.stderr
