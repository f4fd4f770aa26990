"""The operator under test: the real CRD installed and `scheduledjob-operator` running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scheduledjob_api import crd
from scheduledjob_dev import workdirs
from scheduledjob_dev.pytest_plugin import ClusterAccess, MonitoringStack
from support.otlp import OtlpReceiver

from .helpers import wait_for

TEST_IMAGE = "registry.local/scheduledjob:test"
DEFAULT_ADMIN = "admin-0"


@dataclass(frozen=True)
class RunningOperator:
    """A `scheduledjob-operator` process and where to reach it."""

    process: subprocess.Popen[bytes]
    metrics_url: str
    health_url: str
    log_path: Path


@pytest.fixture(scope="session")
def scheduledjob_crd(api_client: Any) -> str:
    """The checked-in CRD, installed (or updated) and established."""
    extensions = client.ApiextensionsV1Api(api_client)
    manifest = yaml.safe_load(crd.CRD_FILE.read_text())
    name = manifest["metadata"]["name"]
    try:
        extensions.create_custom_resource_definition(manifest)
    except ApiException as error:
        if error.status != 409:
            raise
        manifest["metadata"]["resourceVersion"] = extensions.read_custom_resource_definition(
            name
        ).metadata.resource_version
        extensions.replace_custom_resource_definition(name, manifest)

    def established() -> bool:
        conditions = extensions.read_custom_resource_definition(name).status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for("the ScheduledJob CRD to be established", established)
    return name


def start_operator(kubeconfig: Path, log_path: Path, **settings: str) -> RunningOperator:
    """Start `scheduledjob-operator` with test settings (overridable by keyword)."""
    metrics_port = int(settings.get("SCHEDULEDJOB_METRICS_PORT") or workdirs.free_port())
    health_port = workdirs.free_port()
    environment = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "SCHEDULEDJOB_LEADER_ELECTION": "false",
        "SCHEDULEDJOB_METRICS_PORT": str(metrics_port),
        "SCHEDULEDJOB_HEALTH_PORT": str(health_port),
        "SCHEDULEDJOB_DEFAULT_IMAGE": TEST_IMAGE,
        "SCHEDULEDJOB_DEFAULT_ADMIN_USER_ID": DEFAULT_ADMIN,
        "SCHEDULEDJOB_PUSHGATEWAY_URL": "http://pushgateway.monitoring:9091",
        "SCHEDULEDJOB_RESYNC_SECONDS": "60",
        **settings,
    }
    command = [str(Path(sys.executable).parent / "scheduledjob-operator")]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    return RunningOperator(
        process,
        metrics_url=f"http://127.0.0.1:{metrics_port}/metrics",
        health_url=f"http://127.0.0.1:{health_port}/healthz",
        log_path=log_path,
    )


def stop_operator(running: RunningOperator) -> int:
    """SIGTERM, then wait; fails the test if it takes longer than 30 s."""
    running.process.send_signal(signal.SIGTERM)
    try:
        return running.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()
        pytest.fail("the operator did not stop within 30 s of SIGTERM")


def wait_healthy(running: RunningOperator, timeout: float = 60) -> None:
    """Wait for kopf's /healthz; fail with the log if the process exits first."""

    def healthy() -> bool:
        if running.process.poll() is not None:
            pytest.fail(
                f"the operator exited with {running.process.returncode}:\n"
                f"{running.log_path.read_text()}"
            )
        try:
            with urllib.request.urlopen(running.health_url, timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    wait_for("the operator's health endpoint", healthy, timeout=timeout)


@pytest.fixture(scope="session")
def trace_receiver() -> Iterator[OtlpReceiver]:
    """The session's OTLP/HTTP endpoint: every run the session operator starts traces here."""
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def operator(
    kube_cluster: ClusterAccess,
    scheduledjob_crd: str,
    prometheus_stack: MonitoringStack,
    trace_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningOperator]:
    """The operator as a real process, watching all namespaces, stopped after the session.

    Its runs push to the session's real Pushgateway and trace to `trace_receiver`, and the
    session's Prometheus scrapes its /metrics, as a monitored installation would be.
    """
    log_path = tmp_path_factory.mktemp("operator") / "operator.log"
    running = start_operator(
        kube_cluster.kubeconfig,
        log_path,
        SCHEDULEDJOB_METRICS_PORT=str(prometheus_stack.operator_metrics_port),
        SCHEDULEDJOB_PUSHGATEWAY_URL=prometheus_stack.pushgateway.url,
        SCHEDULEDJOB_OTLP_ENDPOINT=trace_receiver.endpoint,
    )
    wait_healthy(running)
    yield running
    assert 0 == stop_operator(running)
