"""Starts the whole local system the demo shows, in order, and stops it in reverse.

Control plane (with kube-scheduler), Pushgateway, Prometheus (scraping the Pushgateway and the
operator, loading the shipped alert rules), the node agent, the CRD and the operator. Each part
is a context manager already; this composes them with one ExitStack so that an interruption at
any point stops exactly what was started, leaving no process and no file behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduledjob_api import crd, v1alpha1
from scheduledjob_dev import workdirs
from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.errors import ControlPlaneError
from scheduledjob_dev.monitoring import Prometheus, Pushgateway, ScrapeTarget
from scheduledjob_dev.nodeagent.launcher import NodeAgentProcess
from scheduledjob_dev.processes import ManagedProcess

OPERATOR_SCRAPE_JOB = "scheduledjob-operator"
_READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Running:
    """What is up, and where."""

    plane: ControlPlane
    pushgateway: Pushgateway
    prometheus: Prometheus
    agent: NodeAgentProcess
    operator_metrics_url: str
    operator_log: Path


def _wait(what: str, ready: Callable[[], bool], *, timeout: float = _READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            message = f"timed out after {timeout}s waiting for {what}"
            raise ControlPlaneError(message)
        time.sleep(0.2)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)  # noqa: PLR2004 - HTTP OK
    except OSError:
        return False


def install_crd(api_client: Any) -> None:
    """Create the ScheduledJob CRD from the API models and wait until it is established."""
    from kubernetes import client  # noqa: PLC0415 - heavy import, only when needed

    extensions: Any = client.ApiextensionsV1Api(api_client)  # JSON in and out
    manifest = crd.custom_resource_definition()
    extensions.create_custom_resource_definition(manifest)
    name = manifest["metadata"]["name"]

    def established() -> bool:
        conditions = extensions.read_custom_resource_definition(name).status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    _wait("the ScheduledJob CRD", established)


def wait_for_cronjobs(api_client: Any, namespace: str, names: list[str]) -> None:
    """Wait until the operator has reported a CronJob for each ScheduledJob (or refused it)."""
    from kubernetes import client  # noqa: PLC0415

    objects: Any = client.CustomObjectsApi(api_client)  # JSON in and out

    def all_reported() -> bool:
        listed = objects.list_namespaced_custom_object(
            v1alpha1.GROUP, v1alpha1.VERSION, namespace, v1alpha1.PLURAL
        )["items"]
        reported = {
            item["metadata"]["name"]
            for item in listed
            if (item.get("status") or {}).get("observedGeneration")
        }
        return set(names) <= reported

    _wait("the operator to report every ScheduledJob", all_reported)


def _operator_command() -> list[str]:
    beside = Path(sys.executable).parent / "scheduledjob-operator"
    return [str(beside) if beside.exists() else "scheduledjob-operator"]


def start_operator(
    stack: contextlib.ExitStack, plane: ControlPlane, pushgateway: Pushgateway, metrics_port: int
) -> Path:
    """Run the operator against the plane, pushing runs to the Pushgateway; its log path."""
    health_port = workdirs.free_port()
    log_path = plane.directory / "operator.log"
    environment = {
        **os.environ,
        "KUBECONFIG": str(plane.kubeconfig),
        "SCHEDULEDJOB_LEADER_ELECTION": "false",
        "SCHEDULEDJOB_METRICS_PORT": str(metrics_port),
        "SCHEDULEDJOB_HEALTH_PORT": str(health_port),
        "SCHEDULEDJOB_PUSHGATEWAY_URL": pushgateway.url,
        "SCHEDULEDJOB_LOG_FORMAT": "json",
        "SCHEDULEDJOB_DEFAULT_ADMIN_USER_ID": "1",
    }
    process = ManagedProcess(
        "scheduledjob-operator", _operator_command(), log_path, environment=environment
    )
    stack.callback(process.stop)

    def healthy() -> bool:
        if process.exit_code() is not None:
            message = f"the operator exited with {process.exit_code()}:\n{process.log_tail()}"
            raise ControlPlaneError(message)
        return _http_ok(f"http://127.0.0.1:{health_port}/healthz")

    _wait("the operator's health endpoint", healthy)
    return log_path


def start_everything(
    stack: contextlib.ExitStack, *, rule_files: list[Path], say: Callable[[str], None]
) -> Running:
    """Start every part, registering each stop on `stack`; return what runs where."""
    plane = stack.enter_context(ControlPlane(with_scheduler=True))
    say(f"Started the control plane in {plane.startup_seconds:.1f}s at {plane.server}")
    pushgateway = stack.enter_context(Pushgateway())
    metrics_port = workdirs.free_port()
    targets = [
        pushgateway.scrape_target(),
        ScrapeTarget(OPERATOR_SCRAPE_JOB, f"127.0.0.1:{metrics_port}"),
    ]
    prometheus = stack.enter_context(
        Prometheus(targets, scrape_interval="5s", rule_files=rule_files)
    )
    say(f"Started Pushgateway at {pushgateway.url} and Prometheus at {prometheus.url}")
    agent = stack.enter_context(NodeAgentProcess(plane.kubeconfig))
    say(f"Started the node agent (Node {agent.node_name}), which runs Pods as local processes")
    from kubernetes import config  # noqa: PLC0415 - heavy import, only when needed

    api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(plane.kubeconfig)
    )
    stack.callback(api_client.close)
    install_crd(api_client)
    operator_log = start_operator(stack, plane, pushgateway, metrics_port)
    say("Installed the ScheduledJob CRD and started the operator")
    return Running(
        plane=plane,
        pushgateway=pushgateway,
        prometheus=prometheus,
        agent=agent,
        operator_metrics_url=f"http://127.0.0.1:{metrics_port}/metrics",
        operator_log=operator_log,
    )
