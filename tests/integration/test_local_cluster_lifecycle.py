"""Starting and stopping the local control plane leaves nothing behind, whatever ends it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.pytest_plugin import ClusterAccess

pytestmark = pytest.mark.cluster
PLUGIN = "scheduledjob_dev.pytest_plugin"


def _descendants(pid: int) -> set[int]:
    """Every process whose parent chain leads to `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def _running(pids: Iterable[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


def test_ctrl_c_on_the_run_command_stops_everything() -> None:
    """`scheduledjob-localcluster` serves until SIGINT, then no process and no file remain."""
    command = [str(Path(sys.executable).parent / "scheduledjob-localcluster")]
    runner = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert runner.stdout is not None
    banner = []
    for line in runner.stdout:
        banner.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    text = "".join(banner)
    assert "Local control plane ready" in text, text
    kubeconfig = Path(re.search(r"export KUBECONFIG=(\S+)", text).group(1))  # type: ignore[union-attr]
    assert kubeconfig.is_file()
    children = _descendants(runner.pid)
    assert len(children) >= 4  # etcd, apiserver, controller-manager, scheduler

    runner.send_signal(signal.SIGINT)
    assert 0 == runner.wait(timeout=60)
    assert set() == _running(children)
    assert not kubeconfig.parent.exists()


def test_an_exception_inside_the_context_manager_still_cleans_up() -> None:
    """A failing test body stops every component and removes the directory."""
    plane = ControlPlane()
    seen: dict[str, object] = {}

    def failing_body() -> None:
        with plane:
            seen["directory"] = plane.directory
            seen["pids"] = set(plane.pids().values())
            seen["names"] = set(plane.pids())
            seen["running"] = _running(plane.pids().values())
            message = "test body failed"
            raise RuntimeError(message)

    with pytest.raises(RuntimeError, match="test body failed"):
        failing_body()
    assert {"etcd", "kube-apiserver", "kube-controller-manager"} == seen["names"]
    assert seen["pids"] == seen["running"]
    assert not Path(str(seen["directory"])).exists()
    assert set() == _running(seen["pids"])  # type: ignore[arg-type]


def test_suite_can_target_an_existing_cluster(
    kube_cluster: ClusterAccess, pytester: pytest.Pytester
) -> None:
    """With --cluster=existing the fixtures use the given kubeconfig instead of starting one."""
    pytester.makepyfile(
        """
        from kubernetes import client

        def test_lists_namespaces(kube_cluster, api_client, namespace):
            assert "existing" == kube_cluster.mode
            names = [n.metadata.name for n in client.CoreV1Api(api_client).list_namespace().items]
            assert namespace in names
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", PLUGIN, "--cluster=existing", f"--kubeconfig={kube_cluster.kubeconfig}"
    )
    result.assert_outcomes(passed=1)


def test_kind_mode_without_docker_engine_skips_with_a_clear_message(
    pytester: pytest.Pytester,
) -> None:
    """--cluster=kind on a machine without a Docker engine is a skip that says why."""
    engine = (
        subprocess.run(["docker", "info"], capture_output=True, check=False)
        if (_on_path("docker"))
        else None
    )
    if engine is not None and engine.returncode == 0:
        pytest.skip("a Docker engine runs here, so kind mode would really start a cluster")
    pytester.makepyfile("def test_needs_cluster(kube_cluster):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", PLUGIN, "--cluster=kind", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*--cluster=kind needs a running Docker engine*"])


def _on_path(name: str) -> bool:
    return any((Path(directory) / name).exists() for directory in os.environ["PATH"].split(":"))
