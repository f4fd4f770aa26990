"""Builds the Pod status a kubelet would report at each step of a container's life.

Pure: the agent says what happened (started, waiting on configuration, ended with an exit code,
stopped for a deadline) and these functions give the `status` to write. The Job controller
reads exactly these fields (phase, container exit code and termination message, the pod
`reason`), so its podFailurePolicy, backoffLimit and deadlines act on them as on a real node.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from basejob import timestamps

LOCAL_IP = "127.0.0.1"
EXIT_START_ERROR = 128
DEADLINE_REASON = "DeadlineExceeded"
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


def timestamp(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC, seconds precision, as Kubernetes writes times."""
    return timestamps.rfc3339(moment)


@dataclass(frozen=True)
class Termination:
    """How a container ended."""

    exit_code: int
    started_at: datetime.datetime
    finished_at: datetime.datetime
    message: str = ""
    reason: str = ""
    pod_reason: str = ""  # DeadlineExceeded when the agent stopped it for activeDeadlineSeconds

    @property
    def container_reason(self) -> str:
        """Completed, Error, or the reason the agent recorded (StartError)."""
        if self.reason:
            return self.reason
        return "Completed" if self.exit_code == 0 else "Error"


def _conditions(
    previous: Sequence[Mapping[str, Any]], wanted: Mapping[str, tuple[str, str]], now: str
) -> list[dict[str, Any]]:
    """`previous` with each wanted type set to (status, reason); times move only on change."""
    merged = {condition["type"]: dict(condition) for condition in previous}
    for type_, (status, reason) in wanted.items():
        old = merged.get(type_)
        changed = old is None or old.get("status") != status
        condition: dict[str, Any] = {
            "type": type_,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": now
            if old is None or changed
            else old.get("lastTransitionTime", now),
        }
        if reason:
            condition["reason"] = reason
        merged[type_] = condition
    return list(merged.values())


def _base(pod: Mapping[str, Any], phase: str, started: datetime.datetime) -> dict[str, Any]:
    status = pod.get("status") or {}
    return {
        "phase": phase,
        "hostIP": LOCAL_IP,
        "hostIPs": [{"ip": LOCAL_IP}],
        "podIP": LOCAL_IP,
        "podIPs": [{"ip": LOCAL_IP}],
        "startTime": status.get("startTime") or timestamp(started),
    }


def _container_status(container: Mapping[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
    running = "running" in state
    return {
        "name": container["name"],
        "image": container.get("image", ""),
        "imageID": "",
        "containerID": f"local://{container['name']}",
        "ready": running,
        "started": running,
        "restartCount": 0,
        "state": dict(state),
    }


def waiting(
    pod: Mapping[str, Any], *, reason: str, message: str, now: datetime.datetime
) -> dict[str, Any]:
    """Pending: the container could not be created yet (CreateContainerConfigError)."""
    container = pod["spec"]["containers"][0]
    previous = (pod.get("status") or {}).get("conditions") or []
    return {
        **_base(pod, "Pending", now),
        "conditions": _conditions(
            previous,
            {
                "Initialized": ("True", ""),
                "Ready": ("False", "ContainersNotReady"),
                "ContainersReady": ("False", "ContainersNotReady"),
            },
            timestamp(now),
        ),
        "containerStatuses": [
            _container_status(container, {"waiting": {"reason": reason, "message": message}})
        ],
    }


def running(pod: Mapping[str, Any], *, started: datetime.datetime) -> dict[str, Any]:
    """Running: the container's process has started."""
    container = pod["spec"]["containers"][0]
    previous = (pod.get("status") or {}).get("conditions") or []
    return {
        **_base(pod, "Running", started),
        "conditions": _conditions(
            previous,
            {
                "PodReadyToStartContainers": ("True", ""),
                "Initialized": ("True", ""),
                "Ready": ("True", ""),
                "ContainersReady": ("True", ""),
            },
            timestamp(started),
        ),
        "containerStatuses": [
            _container_status(container, {"running": {"startedAt": timestamp(started)}})
        ],
    }


def terminated(pod: Mapping[str, Any], termination: Termination) -> dict[str, Any]:
    """Succeeded or Failed, with the exit code, reason and termination message."""
    container = pod["spec"]["containers"][0]
    previous = (pod.get("status") or {}).get("conditions") or []
    phase = "Succeeded" if termination.exit_code == 0 and not termination.pod_reason else "Failed"
    state: dict[str, Any] = {
        "terminated": {
            "exitCode": termination.exit_code,
            "reason": termination.container_reason,
            "startedAt": timestamp(termination.started_at),
            "finishedAt": timestamp(termination.finished_at),
            "containerID": f"local://{container['name']}",
        }
    }
    if termination.message:
        state["terminated"]["message"] = termination.message
    status: dict[str, Any] = {
        **_base(pod, phase, termination.started_at),
        "conditions": _conditions(
            previous,
            {
                "PodReadyToStartContainers": ("False", ""),
                "Initialized": ("True", ""),
                "Ready": ("False", "PodCompleted"),
                "ContainersReady": ("False", "PodCompleted"),
            },
            timestamp(termination.finished_at),
        ),
        "containerStatuses": [_container_status(container, state)],
    }
    if termination.pod_reason:
        status["reason"] = termination.pod_reason
        status["message"] = DEADLINE_MESSAGE
    return status
