"""What the operator knows about runs: reads Jobs and their Pods' termination messages.

A run is a Job. Its result comes from the Job's final condition; the job's own error type comes
from the runtime's termination message, a short JSON summary the runtime writes on exit.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from basejob import contract

Result = Literal["Succeeded", "Failed"]
# The CronJob controller stamps every Job it starts with the fire time it stands for; a Job
# without it (a run-now trigger, `kubectl create job --from=cronjob/...`) was started by hand.
CRONJOB_SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def parse_time(value: object) -> datetime.datetime | None:
    """A Kubernetes timestamp (RFC 3339) as an aware datetime; None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Run:
    """One Job of a ScheduledJob, as far as status reporting cares."""

    job_name: str
    uid: str
    start_time: datetime.datetime | None
    finish_time: datetime.datetime | None
    result: Result | None
    reason: str | None
    message: str | None
    owner_uids: frozenset[str] = frozenset()
    """The uids its ownerReferences name: a run is ours only when one is our ScheduledJob's
    or our CronJob's (labels and names can be copied by anyone)."""
    started_by_cronjob: bool = False
    """Whether the CronJob controller started it on a fire time (not a run started by hand)."""

    def owned_by(self, uids: frozenset[str]) -> bool:
        """Whether one of the run's owners is among `uids`."""
        return not self.owner_uids.isdisjoint(uids)

    @property
    def finished(self) -> bool:
        """Whether the Job reached Complete or Failed."""
        return self.result is not None

    def correlation_id(self, prefix: str) -> str:
        """The correlation ID the run's logs and metrics carry (the contract's formula)."""
        return contract.correlation_id(prefix, self.uid)


def run_from_job(job: Mapping[str, Any]) -> Run:
    """Read a Job manifest (as the API returns it, camelCase) into a Run."""
    metadata = job.get("metadata") or {}
    status = job.get("status") or {}
    result: Result | None = None
    reason = message = None
    finish = parse_time(status.get("completionTime"))
    for condition in status.get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            result = "Succeeded"
            finish = finish or parse_time(condition.get("lastTransitionTime"))
        elif condition.get("type") == "Failed":
            result = "Failed"
            reason = condition.get("reason")
            message = condition.get("message")
            finish = parse_time(condition.get("lastTransitionTime")) or finish
    return Run(
        job_name=str(metadata.get("name", "")),
        uid=str(metadata.get("uid", "")),
        start_time=parse_time(status.get("startTime")),
        finish_time=finish,
        result=result,
        reason=reason,
        message=message,
        owner_uids=frozenset(
            str(reference.get("uid"))
            for reference in metadata.get("ownerReferences") or []
            if reference.get("uid")
        ),
        started_by_cronjob=CRONJOB_SCHEDULED_ANNOTATION in (metadata.get("annotations") or {}),
    )


@dataclass(frozen=True)
class TerminationSummary:
    """The runtime's own account of how a run ended."""

    result: str | None = None
    error_type: str | None = None
    message: str | None = None


def termination_summary(pod: Mapping[str, Any]) -> TerminationSummary | None:
    """The runtime's JSON termination message of the Pod's job container, if it wrote one."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for container in statuses:
        terminated = (container.get("state") or {}).get("terminated") or {}
        raw = terminated.get("message")
        if not raw:
            continue
        try:
            decoded = json.loads(raw)
        except ValueError:
            return TerminationSummary(message=str(raw)[-256:])
        if isinstance(decoded, dict):
            return TerminationSummary(
                result=_optional_str(decoded.get("result")),
                error_type=_optional_str(decoded.get("errorType")),
                message=_optional_str(decoded.get("message")),
            )
    return None


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)[:1024]
