"""What users see with kubectl: apply of the samples, explain, and the printer columns."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scheduledjob_operator.localcluster.binaries import find_binaries
from scheduledjob_operator.localcluster.pytest_plugin import ClusterAccess

from .helpers import ScheduledJobs, scheduledjob

pytestmark = pytest.mark.usefixtures("operator")
SAMPLES = Path(__file__).resolve().parents[2] / "crds" / "samples"


@pytest.fixture
def kubectl(kube_cluster: ClusterAccess) -> Any:
    """Run kubectl (the pinned build, else the one on PATH) against the cluster under test."""
    try:
        binary = str(find_binaries().path("kubectl"))
    except Exception:  # noqa: BLE001 - fall back to a user's own kubectl
        binary = shutil.which("kubectl") or pytest.skip("no kubectl available")

    def run(*arguments: str) -> str:
        result = subprocess.run(
            [binary, f"--kubeconfig={kube_cluster.kubeconfig}", *arguments],
            capture_output=True,
            text=True,
            check=False,
        )
        assert 0 == result.returncode, result.stderr
        return result.stdout

    return run


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
