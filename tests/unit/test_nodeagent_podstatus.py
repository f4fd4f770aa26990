"""The node agent reports the Pod status a kubelet would, at each step of a container's life."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from scheduledjob_dev.nodeagent import containers, podstatus

EARLIER = datetime.datetime(2026, 3, 1, 11, 59, 0, tzinfo=datetime.UTC)
STARTED = datetime.datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=datetime.UTC)
FINISHED = datetime.datetime(2026, 3, 1, 12, 0, 7, tzinfo=datetime.UTC)


def _pod(status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "run-1", "namespace": "team-a", "uid": "0b5c-uid"},
        "spec": {"containers": [{"name": "main", "image": "local", "command": ["true"]}]},
        "status": status or {"phase": "Pending"},
    }


def _conditions(status: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """Each condition type's (status, reason, lastTransitionTime)."""
    return {
        condition["type"]: (
            condition["status"],
            condition.get("reason", ""),
            condition["lastTransitionTime"],
        )
        for condition in status["conditions"]
    }


def _state(status: dict[str, Any]) -> dict[str, Any]:
    [container_status] = status["containerStatuses"]
    state: dict[str, Any] = container_status["state"]
    return state


def _termination(exit_code: int, **fields: str) -> podstatus.Termination:
    return podstatus.Termination(
        exit_code=exit_code, started_at=STARTED, finished_at=FINISHED, **fields
    )


def test_timestamps_are_utc_seconds() -> None:
    """Times are written as Kubernetes writes them: UTC, whole seconds, a Z suffix."""
    moment = datetime.datetime(
        2026, 3, 1, 13, 0, 5, 999_999, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert "2026-03-01T12:00:05Z" == podstatus.timestamp(moment)


def test_running() -> None:
    """A started container: phase Running, the container running and ready, the Pod Ready."""
    status = podstatus.running(_pod(), started=STARTED)
    assert ("Running", "2026-03-01T12:00:00Z", "127.0.0.1") == (
        status["phase"],
        status["startTime"],
        status["podIP"],
    )
    assert {"running": {"startedAt": "2026-03-01T12:00:00Z"}} == _state(status)
    [container_status] = status["containerStatuses"]
    assert ("main", True, True, 0) == (
        container_status["name"],
        container_status["ready"],
        container_status["started"],
        container_status["restartCount"],
    )
    assert ("True", "", "2026-03-01T12:00:00Z") == _conditions(status)["Ready"]


def test_waiting() -> None:
    """A container that cannot be created yet: Pending, waiting with the reason and message."""
    status = podstatus.waiting(
        _pod(), reason="CreateContainerConfigError", message='secret "x" not found', now=STARTED
    )
    assert "Pending" == status["phase"]
    assert {
        "waiting": {"reason": "CreateContainerConfigError", "message": 'secret "x" not found'}
    } == _state(status)
    assert ("False", "ContainersNotReady") == _conditions(status)["Ready"][:2]


@pytest.mark.parametrize(
    ("termination", "phase", "exit_code", "reason"),
    [
        pytest.param(_termination(0), "Succeeded", 0, "Completed", id="exit 0"),
        pytest.param(_termination(3), "Failed", 3, "Error", id="exit 3"),
        pytest.param(_termination(143), "Failed", 143, "Error", id="terminated by SIGTERM"),
        pytest.param(
            _termination(128, reason="StartError"), "Failed", 128, "StartError", id="start error"
        ),
        pytest.param(
            _termination(0, pod_reason=podstatus.DEADLINE_REASON),
            "Failed",
            0,
            "Completed",
            id="exit 0 past the deadline",
        ),
    ],
)
def test_terminated_phase_exit_code_and_reason(
    termination: podstatus.Termination, phase: str, exit_code: int, reason: str
) -> None:
    """The phase follows the exit code (and the deadline); the container shows code and reason."""
    status = podstatus.terminated(_pod(), termination)
    terminated = _state(status)["terminated"]
    assert (phase, exit_code, reason) == (
        status["phase"],
        terminated["exitCode"],
        terminated["reason"],
    )
    assert ("2026-03-01T12:00:00Z", "2026-03-01T12:00:07Z") == (
        terminated["startedAt"],
        terminated["finishedAt"],
    )


def test_terminated_carries_the_termination_message() -> None:
    """The termination message is the container's `state.terminated.message`."""
    status = podstatus.terminated(_pod(), _termination(1, message="disk full"))
    assert "disk full" == _state(status)["terminated"]["message"]


def test_terminated_without_message_has_no_message_field() -> None:
    """No termination message means no `message` field, as the kubelet reports it."""
    status = podstatus.terminated(_pod(), _termination(0))
    assert "message" not in _state(status)["terminated"]


def test_deadline_exceeded_is_the_pods_reason() -> None:
    """A container stopped at `activeDeadlineSeconds` fails the Pod with DeadlineExceeded."""
    status = podstatus.terminated(_pod(), _termination(143, pod_reason=podstatus.DEADLINE_REASON))
    assert ("Failed", "DeadlineExceeded", podstatus.DEADLINE_MESSAGE) == (
        status["phase"],
        status["reason"],
        status["message"],
    )


def test_ordinary_termination_sets_no_pod_reason() -> None:
    """Only the deadline sets the Pod's own reason; an ordinary failure leaves it unset."""
    status = podstatus.terminated(_pod(), _termination(3))
    assert ("reason" in status, "message" in status) == (False, False)


def test_conditions_move_only_when_their_status_changes() -> None:
    """An unchanged condition keeps its lastTransitionTime; a changed one takes the new time."""
    earlier = podstatus.timestamp(EARLIER)
    previous = {
        "phase": "Running",
        "startTime": earlier,
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": earlier},
            {"type": "Initialized", "status": "True", "lastTransitionTime": earlier},
            {"type": "Ready", "status": "True", "lastTransitionTime": earlier},
        ],
    }
    status = podstatus.terminated(_pod(previous), _termination(0))
    conditions = _conditions(status)
    assert {
        "PodScheduled": ("True", "", earlier),
        "Initialized": ("True", "", earlier),
        "Ready": ("False", "PodCompleted", "2026-03-01T12:00:07Z"),
        "ContainersReady": ("False", "PodCompleted", "2026-03-01T12:00:07Z"),
        "PodReadyToStartContainers": ("False", "", "2026-03-01T12:00:07Z"),
    } == conditions


def test_pod_scheduled_set_by_the_scheduler_is_kept() -> None:
    """The scheduler's PodScheduled condition survives the agent's status, untouched."""
    scheduled = {
        "type": "PodScheduled",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": "2026-03-01T11:59:00Z",
    }
    status = podstatus.running(
        _pod({"phase": "Pending", "conditions": [scheduled]}), started=STARTED
    )
    assert [scheduled] == [c for c in status["conditions"] if c["type"] == "PodScheduled"]


def test_start_time_is_kept_from_the_previous_status() -> None:
    """`startTime` is set once, when the agent first reports the Pod, and kept afterwards."""
    previous = {"phase": "Running", "startTime": "2026-03-01T11:59:00Z"}
    status = podstatus.terminated(_pod(previous), _termination(0))
    assert "2026-03-01T11:59:00Z" == status["startTime"]


@pytest.mark.parametrize(
    ("returncode", "exit_code"),
    [(0, 0), (3, 3), (-15, 143), (-9, 137)],
)
def test_exit_code_of(returncode: int, exit_code: int) -> None:
    """A process killed by a signal reports 128 + the signal, as a container runtime does."""
    assert exit_code == containers.exit_code_of(returncode)
