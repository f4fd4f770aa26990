"""Two replicas: exactly one acts (holds the Lease); the other takes over when it dies."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kubernetes import client

from scheduledjob_dev.pytest_plugin import ClusterAccess

from .conftest import start_operator, stop_operator, wait_healthy
from .helpers import wait_for

LEASE = "scheduledjob-operator-test"


def _holder(api_client: Any, namespace: str) -> str | None:
    try:
        lease = client.CoordinationV1Api(api_client).read_namespaced_lease(LEASE, namespace)
    except client.exceptions.ApiException:
        return None
    holder: str | None = lease.spec.holder_identity
    return holder


def test_standby_takes_over_when_the_leader_is_killed(
    kube_cluster: ClusterAccess,
    api_client: Any,
    namespace: str,
    scheduledjob_crd: str,
    tmp_path: Path,
) -> None:
    """Only the Lease holder starts reconciling; after SIGKILL the standby leads within 20 s."""
    settings = {
        "SCHEDULEDJOB_LEADER_ELECTION": "true",
        "SCHEDULEDJOB_LEADER_ELECTION_NAMESPACE": namespace,
        "SCHEDULEDJOB_LEADER_ELECTION_NAME": LEASE,
        "SCHEDULEDJOB_NAMESPACES": namespace,
    }
    first = start_operator(
        kube_cluster.kubeconfig, tmp_path / "a.log", POD_NAME="replica-a", **settings
    )
    wait_healthy(first)
    second = start_operator(
        kube_cluster.kubeconfig, tmp_path / "b.log", POD_NAME="replica-b", **settings
    )
    try:
        wait_for(
            "the standby to wait", lambda: "Waiting for leadership" in second.log_path.read_text()
        )
        assert "replica-a" == _holder(api_client, namespace)
        assert "Starting operator" not in second.log_path.read_text()

        first.process.kill()
        first.process.wait()
        killed = time.monotonic()
        wait_for(
            "the standby to take the lease",
            lambda: _holder(api_client, namespace) == "replica-b",
            30,
        )
        wait_healthy(second)
        assert time.monotonic() - killed < 20
    finally:
        if first.process.poll() is None:
            first.process.kill()
        if second.process.poll() is None:
            stop_operator(second)
    # A clean stop gives the Lease up, so the next replica need not wait for it to expire.
    assert _holder(api_client, namespace) in (None, "")
