"""What users see with kubectl: apply of the samples, explain, and the printer columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scheduledjob_dev.pytest_plugin import ClusterAccess

from .helpers import ScheduledJobs, scheduledjob, tool_runner

pytestmark = pytest.mark.usefixtures("operator")
SAMPLES = Path(__file__).resolve().parents[2] / "crds" / "samples"


@pytest.fixture
def kubectl(kube_cluster: ClusterAccess) -> Any:
    """Run kubectl (the pinned build, else the one on PATH) against the cluster under test."""
    return tool_runner("kubectl", kube_cluster.kubeconfig)


def test_kubectl_apply_accepts_the_samples_with_strict_validation(
    kubectl: Any, namespace: str
) -> None:
    """`kubectl apply` (strict field validation) takes every sample."""
    output = kubectl("apply", "-n", namespace, "--validate=strict", "-f", str(SAMPLES))
    assert 6 == output.count("created")


def test_kubectl_explain_describes_fields(kubectl: Any) -> None:
    """`kubectl explain` shows the model's docstrings."""
    output = kubectl("explain", "scheduledjob.spec.schedule")
    assert "Quartz" in output
    assert "Kubernetes cron" in output


def test_kubectl_get_shows_useful_columns(kubectl: Any, api_client: Any, namespace: str) -> None:
    """`kubectl get sj` shows job, schedule, suspension, readiness and next run."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("columns", job="ReportGenerationJob", schedule="0 0 8 ? * MON"))
    jobs.wait_ready("columns")
    header, row = kubectl("get", "sj", "-n", namespace).splitlines()[:2]
    assert [
        "NAME",
        "JOB",
        "SCHEDULE",
        "SUSPENDED",
        "READY",
        "LAST",
        "RUN",
        "RESULT",
        "NEXT",
        "RUN",
        "AGE",
    ] == header.split()
    assert row.split()[:4] == ["columns", "ReportGenerationJob", "0", "0"]
    assert "True" in row.split()
