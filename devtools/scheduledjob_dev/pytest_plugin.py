"""Pytest fixtures that give tests a real Kubernetes API server and a namespace each.

By default the session starts a local control plane (`ControlPlane`). The same suite can run
against an existing cluster (`--cluster=existing`, with `--kubeconfig` or `KUBECONFIG`) or, where
a Docker engine runs, a kind cluster created by pytest-kind (`--cluster=kind`, with its options
`--cluster-name`, `--keep-cluster`, `--kind-image`). Tests that use
`kube_cluster` are marked `cluster` automatically, so `-m "not cluster"` runs the unit tests only.
`prometheus_stack` gives a session a real Pushgateway scraped by a real Prometheus (which also
scrapes an operator's /metrics on a reserved port); tests that use it are marked `monitoring`.
`node_agent` runs the local node agent for one test module, so Pods really run there (local
control plane only).

Load it with `pytest_plugins = ["scheduledjob_dev.pytest_plugin"]` or
`-p scheduledjob_dev.pytest_plugin`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scheduledjob_dev import workdirs
from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.monitoring import Prometheus, Pushgateway, ScrapeTarget
from scheduledjob_dev.nodeagent.launcher import NodeAgentProcess

CLUSTER_MODES = ("local", "existing", "kind")
_MODE_VARIABLE = "SCHEDULEDJOB_TEST_CLUSTER"


@dataclass(frozen=True)
class ClusterAccess:
    """How tests reach the cluster under test."""

    mode: str
    kubeconfig: Path


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register --cluster (pytest-kind, a dev dependency, already owns --kubeconfig)."""
    group = parser.getgroup("scheduledjob cluster")
    group.addoption(
        "--cluster",
        choices=CLUSTER_MODES,
        default=os.environ.get(_MODE_VARIABLE, "local"),
        help=(
            "where cluster tests run: a local control plane built from source (default), "
            "an existing cluster (--kubeconfig or KUBECONFIG), or a kind cluster (Docker engine)"
        ),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the cluster (or monitoring), so `-m "not ..."` deselects it."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "kube_cluster" in fixtures:
            item.add_marker(pytest.mark.cluster)
        if "prometheus_stack" in fixtures:
            item.add_marker(pytest.mark.monitoring)


def _docker_engine_problem() -> str | None:
    """None when a Docker engine answers, else why not."""
    if shutil.which("docker") is None:
        return "no docker command on PATH"
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        return (result.stderr.strip().splitlines() or ["docker info failed"])[-1]
    return None


def _existing_kubeconfig(config: pytest.Config) -> Path:
    option: str | None = config.getoption("kubeconfig", default=None)
    value = option or os.environ.get("KUBECONFIG")
    if not value:
        pytest.fail("--cluster=existing needs --kubeconfig=PATH or KUBECONFIG", pytrace=False)
    path = Path(value.split(os.pathsep)[0]).expanduser()
    if not path.is_file():
        pytest.fail(f"--cluster=existing: kubeconfig {path} does not exist", pytrace=False)
    return path


@pytest.fixture(scope="session")
def kube_cluster(request: pytest.FixtureRequest) -> Iterator[ClusterAccess]:
    """The cluster under test for the whole session (started and stopped here if local)."""
    mode: str = request.config.getoption("cluster")
    if mode == "existing":
        yield ClusterAccess(mode, _existing_kubeconfig(request.config))
    elif mode == "kind":
        problem = _docker_engine_problem()
        if problem is not None:
            pytest.skip(
                f"--cluster=kind needs a running Docker engine, and there is none: {problem}"
            )
        # pytest-kind's fixture honours its own options (--cluster-name, --keep-cluster, ...).
        kind: Any = request.getfixturevalue("kind_cluster")
        yield ClusterAccess(mode, Path(kind.kubeconfig_path))
    else:
        with ControlPlane(with_scheduler=True) as plane:
            yield ClusterAccess(mode, plane.kubeconfig)


@pytest.fixture(scope="session")
def api_client(kube_cluster: ClusterAccess) -> Iterator[Any]:
    """A Kubernetes Python client authenticated as the cluster admin."""
    from kubernetes import config  # noqa: PLC0415 - keep unit-test start-up light

    client = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(kube_cluster.kubeconfig)
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def namespace(api_client: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    from kubernetes import client  # noqa: PLC0415

    core = client.CoreV1Api(api_client)
    stem = request.node.name.lower().replace("_", "-")
    stem = "".join(character for character in stem if character.isalnum() or character == "-")
    name = f"{stem[:40].strip('-')}-{uuid.uuid4().hex[:6]}"
    core.create_namespace(
        client.V1Namespace(
            metadata=client.V1ObjectMeta(name=name, labels={"scheduledjob.test": "true"})
        )
    )
    try:
        yield name
    finally:
        core.delete_namespace(name)


OPERATOR_SCRAPE_JOB = "scheduledjob-operator"


@dataclass(frozen=True)
class MonitoringStack:
    """A Pushgateway (with persistence) and a Prometheus scraping it every second.

    Prometheus also scrapes `operator_metrics_port` on loopback as job `scheduledjob-operator`:
    an operator started with that metrics port is monitored like one in a cluster.
    """

    pushgateway: Pushgateway
    prometheus: Prometheus
    operator_metrics_port: int


@pytest.fixture(scope="session")
def prometheus_stack() -> Iterator[MonitoringStack]:
    """Real Prometheus and Pushgateway servers for the session, the first scrape already done."""
    operator_port = workdirs.free_port()
    with Pushgateway(persistence=True) as pushgateway:
        targets = [
            pushgateway.scrape_target(),
            ScrapeTarget(OPERATOR_SCRAPE_JOB, f"127.0.0.1:{operator_port}"),
        ]
        with Prometheus(targets, scrape_interval="1s") as prometheus:
            prometheus.wait_for_first_scrapes()
            yield MonitoringStack(pushgateway, prometheus, operator_port)


@pytest.fixture(scope="module")
def node_agent(kube_cluster: ClusterAccess) -> Iterator[NodeAgentProcess]:
    """The local node agent for one test module: Pods bound to its Node run as processes.

    Module-scoped on purpose: while it runs, every Pod gets scheduled and run, which tests that
    complete Pods by hand (outside such modules) must not see.
    """
    if kube_cluster.mode != "local":
        pytest.skip("the node agent serves the local control plane only (--cluster=local)")
    with NodeAgentProcess(kube_cluster.kubeconfig) as agent:
        yield agent
