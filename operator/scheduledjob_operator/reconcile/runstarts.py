"""The runs the operator starts itself: a run-now trigger, and the single run of a one-shot.

Both are idempotent and driven by what the cluster shows: a deterministic Job name makes a
second create a no-op, and the status records what was started, so an operator restarted (or
a second replica) between creating the Job and writing the status starts nothing twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from scheduledjob_api.runs import Run, parse_time
from scheduledjob_api.v1alpha1 import OneShot, ScheduledJobSpec, TriggerRecord
from scheduledjob_operator.domain import oneshot, ownership, status, triggers
from scheduledjob_operator.domain.builders.job import RunKind, build_run
from scheduledjob_operator.domain.errors import ConflictError, TransientError
from scheduledjob_operator.reconcile.cluster import Cluster

_log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OneShotState:
    """The one-shot's status and when the reconcile should look again."""

    status: OneShot
    requeue_after: float | None = None
    deleted: bool = False


class RunStarter:
    """Creates run Jobs from the template and records them."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def start(
        self,
        body: Mapping[str, Any],
        template: Mapping[str, Any],
        *,
        name: str,
        owner_reference: Mapping[str, Any],
        kind: RunKind,
        traceparent: str | None,
        now: datetime.datetime,
        fire_time: str | None = None,
    ) -> None:
        """Create the run's Job (a no-op when one of that name exists) and announce it."""
        metadata = body["metadata"]
        job = build_run(
            template,
            name=name,
            namespace=metadata["namespace"],
            owner_reference=owner_reference,
            kind=kind,
            traceparent=traceparent,
            fire_time=fire_time,
        )
        if self.cluster.create_job(job):
            _log.info("Started run", job=name, kind=kind, scheduledjob=metadata["name"])
            self.cluster.emit_event(
                body,
                type_="Normal",
                reason="StartedRun",
                message=f"Started {kind} run {name}",
                now=now,
            )
            return
        # One of that name exists: ours when an earlier reconcile created it, never adopted
        # when it is anybody else's (a user's Job, another ScheduledJob's run).
        existing = self.cluster.read_job(metadata["namespace"], name)
        if existing is None:
            message = f"Job {name} existed on create and was gone on read"
            raise TransientError(message)
        if not ownership.owned_by(existing, str(owner_reference["uid"])):
            message = (
                f"Job {name}, the name of this ScheduledJob's {kind} run, already exists and "
                f"{ownership.describe_owner(existing)}; the run cannot start until that Job is "
                "renamed or deleted (the operator never adopts objects it does not own)"
            )
            raise ConflictError(message, reason="JobConflict")

    # -- run now ----------------------------------------------------------------------------

    def trigger(
        self,
        body: Mapping[str, Any],
        spec: ScheduledJobSpec,
        template: Mapping[str, Any],
        *,
        runs: Sequence[Run],
        owner_reference: Mapping[str, Any],
        now: datetime.datetime,
    ) -> TriggerRecord | None:
        """Act on a new trigger token; the new `lastTrigger` (None: keep the previous one)."""
        token = triggers.pending_token(body)
        if token is None:
            return None
        metadata = body["metadata"]
        name = triggers.run_name(metadata["name"], token)
        active = [run for run in runs if not run.finished and run.job_name != name]
        if active and spec.concurrency_policy == "Forbid":
            message = (
                f"Trigger {token!r} skipped: run {active[0].job_name} is still active and "
                "concurrencyPolicy is Forbid (set a new token once it has finished)"
            )
            self.cluster.emit_event(
                body, type_="Warning", reason="TriggerSkipped", message=message, now=now
            )
            return TriggerRecord(token=token, time=now)
        if spec.concurrency_policy == "Replace":
            for run in active:
                self.cluster.delete_job(metadata["namespace"], run.job_name, run.uid)
        self.start(
            body,
            template,
            name=name,
            owner_reference=owner_reference,
            kind="manual",
            traceparent=triggers.traceparent(body),
            now=now,
        )
        return TriggerRecord(token=token, job_name=name, time=now)

    # -- run once ---------------------------------------------------------------------------

    def one_shot(
        self,
        body: Mapping[str, Any],
        spec: ScheduledJobSpec,
        template: Mapping[str, Any],
        *,
        runs: Sequence[Run],
        owner_reference: Mapping[str, Any],
        now: datetime.datetime,
    ) -> OneShotState:
        """Start the single run when due, record it, and delete the ScheduledJob if asked."""
        metadata = body["metadata"]
        created = parse_time(metadata.get("creationTimestamp")) or now
        due = oneshot.due_time(spec, created)
        previous = status.read(body).one_shot or OneShot(due_time=due)
        name = oneshot.run_name(metadata["name"])
        started = previous.job_name or next(
            (run.job_name for run in runs if run.job_name == name), None
        )
        if started is None:
            if spec.suspend:
                return OneShotState(OneShot(due_time=due))
            if now < due:
                return OneShotState(
                    OneShot(due_time=due), requeue_after=(due - now).total_seconds()
                )
            self.start(
                body,
                template,
                name=name,
                owner_reference=owner_reference,
                kind="once",
                traceparent=None,
                now=now,
            )
            return OneShotState(OneShot(due_time=due, job_name=name))
        run = next((run for run in runs if run.job_name == started), None)
        finished = previous.finished_time or (run.finish_time if run is not None else None)
        if finished is None:
            return OneShotState(OneShot(due_time=due, job_name=started))
        recorded = OneShot(due_time=due, job_name=started, finished_time=finished)
        return self._after_run(body, spec, recorded, now=now)

    def _after_run(
        self,
        body: Mapping[str, Any],
        spec: ScheduledJobSpec,
        recorded: OneShot,
        *,
        now: datetime.datetime,
    ) -> OneShotState:
        if spec.ttl_seconds_after_run is None or recorded.finished_time is None:
            return OneShotState(recorded)
        expires = recorded.finished_time + datetime.timedelta(seconds=spec.ttl_seconds_after_run)
        if now < expires:
            return OneShotState(recorded, requeue_after=(expires - now).total_seconds())
        metadata = body["metadata"]
        self.cluster.delete_scheduledjob(metadata["namespace"], metadata["name"], metadata["uid"])
        _log.info("Deleted ScheduledJob after its run", scheduledjob=metadata["name"])
        return OneShotState(recorded, deleted=True)
