"""A private control plane with the node agent and a restartable operator, for one test module.

The session operator watches every namespace of the session's cluster, so tests that stop and
start the operator at chosen moments get a control plane, node agent and operator of their own.
Import the `private` and `jobs` fixtures into a test module to use them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.demo.stack import install_crd
from scheduledjob_dev.nodeagent.launcher import NodeAgentProcess

from .conftest import RunningOperator, start_operator, stop_operator, wait_healthy
from .helpers import ScheduledJobs, wait_for

TESTS = Path(__file__).resolve().parents[1]


@dataclass
class Private:
    """A private control plane with the node agent, and its operator (restartable)."""

    plane: ControlPlane
    kubeconfig: Path
    api_client: Any
    log_dir: Path
    operator: RunningOperator | None = None

    def start_operator(self) -> RunningOperator:
        log = self.log_dir / f"operator-{time.monotonic_ns()}.log"
        self.operator = start_operator(self.kubeconfig, log)
        wait_healthy(self.operator)
        return self.operator

    def stop_operator(self) -> None:
        if self.operator is not None:
            assert 0 == stop_operator(self.operator)
            self.operator = None


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Private]:
    """Control plane, CRD, node agent and a running operator, for this module only."""
    with ControlPlane(with_scheduler=True) as plane, NodeAgentProcess(plane.kubeconfig):
        api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(plane.kubeconfig)
        )
        install_crd(api_client)
        state = Private(plane, plane.kubeconfig, api_client, tmp_path_factory.mktemp("operators"))
        state.start_operator()
        try:
            yield state
        finally:
            state.stop_operator()
            api_client.close()


@pytest.fixture
def jobs(private: Private, request: pytest.FixtureRequest) -> Iterator[ScheduledJobs]:
    """A fresh namespace on the private plane (its default ServiceAccount ready)."""
    core = client.CoreV1Api(private.api_client)
    readable = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower())[:40].strip("-")
    name = f"{readable}-{hashlib.sha256(request.node.name.encode()).hexdigest()[:8]}"
    core.create_namespace({"metadata": {"name": name}})
    wait_for("the default ServiceAccount", lambda: core.list_namespaced_service_account(name).items)
    yield ScheduledJobs(private.api_client, name)
    core.delete_namespace(name)
