"""The local node agent plays the kubelet's part: plain Pods run as processes on this machine.

Each test creates Pods with the Kubernetes client and asserts what the API server then shows
(phase, container state, logs through `kubectl logs`'s path) and, where the process runs here,
what it did on this machine. The ScheduledJob flows on top are in test_end_to_end.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from scheduledjob_dev.nodeagent.launcher import NodeAgentProcess
from scheduledjob_dev.nodeagent.node import AGENT_LABEL

from .helpers import read_or_none, wait_for

pytestmark = pytest.mark.usefixtures("node_agent")

RUN_TIMEOUT = 30.0


@pytest.fixture
def core(api_client: Any, namespace: str) -> client.CoreV1Api:
    """The core API, once the namespace's default ServiceAccount exists (Pods need it)."""
    api = client.CoreV1Api(api_client)
    wait_for(
        f"the default ServiceAccount in {namespace}",
        lambda: read_or_none(lambda: api.read_namespaced_service_account("default", namespace)),
    )
    return api


def _pod(name: str, command: list[str], **spec: Any) -> dict[str, Any]:
    """A one-container Pod running `command`; `container` and other keys extend the spec."""
    container = {"name": "main", "image": "local", "command": command, **spec.pop("container", {})}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"team": "billing"}},
        "spec": {"restartPolicy": "Never", "containers": [container], **spec},
    }


def _create(core: client.CoreV1Api, namespace: str, manifest: dict[str, Any]) -> str:
    core.create_namespaced_pod(namespace, manifest)
    name: str = manifest["metadata"]["name"]
    return name


def _wait_pod(
    core: client.CoreV1Api,
    namespace: str,
    name: str,
    what: str,
    done: Callable[[Any], bool],
    timeout: float = RUN_TIMEOUT,
) -> Any:
    """The Pod once `done(pod)` holds."""

    def probe() -> Any:
        pod = core.read_namespaced_pod(name, namespace)
        return pod if done(pod) else None

    return wait_for(f"Pod {name} {what}", probe, timeout)


def _wait_phase(core: client.CoreV1Api, namespace: str, name: str, phase: str) -> Any:
    return _wait_pod(core, namespace, name, f"phase {phase}", lambda pod: pod.status.phase == phase)


def _wait_finished(core: client.CoreV1Api, namespace: str, name: str) -> Any:
    return _wait_pod(
        core,
        namespace,
        name,
        "Succeeded or Failed",
        lambda pod: pod.status.phase in {"Succeeded", "Failed"},
    )


def _terminated(pod: Any) -> Any:
    [container_status] = pod.status.container_statuses
    return container_status.state.terminated


def _wait_gone(core: client.CoreV1Api, namespace: str, name: str, timeout: float) -> float:
    """Seconds until the Pod no longer exists."""
    started = time.monotonic()
    wait_for(
        f"Pod {name} to be removed",
        lambda: read_or_none(lambda: core.read_namespaced_pod(name, namespace)) is None,
        timeout,
    )
    return time.monotonic() - started


def _wait_file(path: Path) -> str:
    return wait_for(f"{path} to be written", lambda: path.exists() and path.read_text())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


# -- outcomes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "phase", "exit_code", "reason"),
    [
        pytest.param("exit 0", "Succeeded", 0, "Completed", id="exit 0"),
        pytest.param("exit 3", "Failed", 3, "Error", id="exit 3"),
    ],
)
def test_exit_code_decides_the_phase(
    core: client.CoreV1Api, namespace: str, script: str, phase: str, exit_code: int, reason: str
) -> None:
    """A Pod succeeds when its command exits 0 and fails otherwise, showing code and reason."""
    name = _create(core, namespace, _pod("outcome", ["sh", "-c", script]))
    pod = _wait_finished(core, namespace, name)
    terminated = _terminated(pod)
    assert (phase, exit_code, reason) == (
        pod.status.phase,
        terminated.exit_code,
        terminated.reason,
    )


def test_command_not_on_path_is_a_start_error(core: client.CoreV1Api, namespace: str) -> None:
    """A command that cannot be found fails the Pod with exit code 128 and reason StartError."""
    name = _create(core, namespace, _pod("missing", ["no-such-command-on-this-machine"]))
    pod = _wait_finished(core, namespace, name)
    terminated = _terminated(pod)
    assert ("Failed", 128, "StartError") == (
        pod.status.phase,
        terminated.exit_code,
        terminated.reason,
    )
    assert "no-such-command-on-this-machine" in terminated.message


def test_termination_message_file_becomes_the_message(
    core: client.CoreV1Api, namespace: str
) -> None:
    """What the container writes to $BASEJOB_TERMINATION_MESSAGE_PATH is its message."""
    script = 'printf "3 rows cleaned" > "$BASEJOB_TERMINATION_MESSAGE_PATH"'
    name = _create(core, namespace, _pod("message", ["sh", "-c", script]))
    pod = _wait_phase(core, namespace, name, "Succeeded")
    assert "3 rows cleaned" == _terminated(pod).message


def test_fallback_to_logs_on_error_uses_the_last_log_lines(
    core: client.CoreV1Api, namespace: str
) -> None:
    """With FallbackToLogsOnError and no message file, a failed container's log is its message."""
    manifest = _pod(
        "fallback",
        ["sh", "-c", "echo connecting; echo connection refused >&2; exit 2"],
        container={"terminationMessagePolicy": "FallbackToLogsOnError"},
    )
    name = _create(core, namespace, manifest)
    pod = _wait_phase(core, namespace, name, "Failed")
    assert ["connecting", "connection refused"] == _terminated(pod).message.splitlines()


# -- environment ----------------------------------------------------------------------------


def test_environment_reaches_the_process(core: client.CoreV1Api, namespace: str) -> None:
    """Literals with $(VAR), Secret and ConfigMap keys, envFrom and the downward API all arrive."""
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "credentials"}, "stringData": {"token": "s3cret"}}
    )
    core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "settings"}, "data": {"color": "blue", "size": "L"}}
    )
    script = (
        'echo "greeting=$GREETING"; echo "message=$MESSAGE"; echo "argument=$1"; '
        'echo "token=$TOKEN"; echo "color=$COLOR"; echo "size=$CFG_size"; '
        'echo "pod=$POD_NAME"; echo "namespace=$POD_NAMESPACE"; echo "team=$TEAM"'
    )

    def field(path: str) -> dict[str, Any]:
        return {"fieldRef": {"fieldPath": path}}

    container = {
        "args": ["$(GREETING)-argument"],
        "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}],
        "env": [
            {"name": "GREETING", "value": "hello"},
            {"name": "MESSAGE", "value": "$(GREETING) world"},
            {
                "name": "TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "credentials", "key": "token"}},
            },
            {
                "name": "COLOR",
                "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "color"}},
            },
            {"name": "POD_NAME", "valueFrom": field("metadata.name")},
            {"name": "POD_NAMESPACE", "valueFrom": field("metadata.namespace")},
            {"name": "TEAM", "valueFrom": field("metadata.labels['team']")},
        ],
    }
    name = _create(core, namespace, _pod("env", ["sh", "-c", script, "sh"], container=container))
    _wait_phase(core, namespace, name, "Succeeded")
    log = core.read_namespaced_pod_log(name, namespace)
    assert {
        "greeting": "hello",
        "message": "hello world",
        "argument": "hello-argument",
        "token": "s3cret",
        "color": "blue",
        "size": "L",
        "pod": "env",
        "namespace": namespace,
        "team": "billing",
    } == dict(line.split("=", 1) for line in log.splitlines())


def test_missing_secret_waits_until_it_exists(core: client.CoreV1Api, namespace: str) -> None:
    """A missing Secret holds the Pod in CreateContainerConfigError; creating it lets it run."""
    container = {
        "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "later", "key": "token"}}}]
    }
    name = _create(core, namespace, _pod("later", ["sh", "-c", "echo $TOKEN"], container=container))

    def config_error(pod: Any) -> bool:
        statuses = pod.status.container_statuses or []
        return bool(statuses) and statuses[0].state.waiting is not None

    pod = _wait_pod(core, namespace, name, "waiting", config_error)
    waiting = pod.status.container_statuses[0].state.waiting
    assert ("Pending", "CreateContainerConfigError") == (pod.status.phase, waiting.reason)
    assert 'secret "later" not found' in waiting.message

    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "later"}, "stringData": {"token": "arrived"}}
    )
    _wait_phase(core, namespace, name, "Succeeded")
    assert "arrived\n" == core.read_namespaced_pod_log(name, namespace)


# -- deadlines and deletion -----------------------------------------------------------------


def test_active_deadline_fails_the_pod(core: client.CoreV1Api, namespace: str) -> None:
    """A Pod running past `activeDeadlineSeconds` is stopped and fails with DeadlineExceeded."""
    manifest = _pod(
        "deadline", ["sleep", "60"], activeDeadlineSeconds=2, terminationGracePeriodSeconds=1
    )
    started = time.monotonic()
    name = _create(core, namespace, manifest)
    pod = _wait_phase(core, namespace, name, "Failed")
    elapsed = time.monotonic() - started
    assert ("DeadlineExceeded", 143) == (pod.status.reason, _terminated(pod).exit_code)
    assert 2 <= elapsed < 10


def test_deletion_sends_sigterm_and_removes_the_pod(
    core: client.CoreV1Api, namespace: str, tmp_path: Path
) -> None:
    """A deleted Pod's process gets SIGTERM and the Pod goes as soon as the process has ended."""
    marker = tmp_path / "signal"
    script = (
        f"trap 'echo got TERM > {marker}; exit 0' TERM; echo running; "
        "while true; do sleep 0.1; done"
    )
    name = _create(core, namespace, _pod("graceful", ["sh", "-c", script]))
    _wait_phase(core, namespace, name, "Running")
    wait_for("the container's first line", lambda: core.read_namespaced_pod_log(name, namespace))

    core.delete_namespaced_pod(name, namespace, grace_period_seconds=5)
    elapsed = _wait_gone(core, namespace, name, timeout=15)
    assert "got TERM\n" == marker.read_text()
    assert elapsed < 5, "the Pod should go once its process exits, not after the grace period"


def test_deletion_kills_a_process_that_ignores_sigterm(
    core: client.CoreV1Api, namespace: str, tmp_path: Path
) -> None:
    """A process ignoring SIGTERM is SIGKILLed when the grace period is over, and the Pod goes."""
    pid_file = tmp_path / "pid"
    program = (
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    name = _create(core, namespace, _pod("stubborn", ["python", "-c", program]))
    pid = int(_wait_file(pid_file))

    core.delete_namespaced_pod(name, namespace, grace_period_seconds=1)
    elapsed = _wait_gone(core, namespace, name, timeout=15)
    assert 1 <= elapsed < 10
    assert not _alive(pid)


# -- logs and the Node ----------------------------------------------------------------------


def test_logs_tail_lines(core: client.CoreV1Api, namespace: str) -> None:
    """`kubectl logs --tail=2` gets the container's last two lines through the API server."""
    script = "for i in 1 2 3 4 5; do echo line $i; done"
    name = _create(core, namespace, _pod("tail", ["sh", "-c", script]))
    _wait_phase(core, namespace, name, "Succeeded")
    assert "line 4\nline 5\n" == core.read_namespaced_pod_log(name, namespace, tail_lines=2)


def test_node_is_registered_ready_and_labelled(
    api_client: Any, node_agent: NodeAgentProcess
) -> None:
    """The agent's Node carries the local-agent label and is Ready."""
    node = client.CoreV1Api(api_client).read_node(node_agent.node_name)
    ready = [c.status for c in node.status.conditions if c.type == "Ready"]
    assert ("true", ["True"]) == (node.metadata.labels.get(AGENT_LABEL), ready)


def test_node_lease_is_renewed(api_client: Any, node_agent: NodeAgentProcess) -> None:
    """The Node's Lease in kube-node-lease is renewed every few seconds, as a kubelet's is."""
    coordination = client.CoordinationV1Api(api_client)

    def renew_time() -> Any:
        lease = coordination.read_namespaced_lease(node_agent.node_name, "kube-node-lease")
        return lease.spec.renew_time

    first = renew_time()

    def renewed() -> Any:
        current = renew_time()
        return current if current > first else None

    later = wait_for("the node Lease to be renewed", renewed, timeout=15)
    assert later > first
