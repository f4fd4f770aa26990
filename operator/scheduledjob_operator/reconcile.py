"""One idempotent reconcile of a ScheduledJob: read the world, converge it, report status.

It never branches on what event woke it: creation, update, operator restart, a CronJob edited or
deleted by hand, a Job finishing and the periodic resync all run the same code. It writes only
when something differs, so a reconcile of a converged object makes no API writes.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from basejob import schedules
from scheduledjob_operator import conditions, drift, naming, scheduledjob_metrics
from scheduledjob_operator.builders.runsettings import RunSettings
from scheduledjob_operator.errors import ConflictError, InvalidSpecError, TransientError
from scheduledjob_operator.kube import Cluster
from scheduledjob_operator.planning import SPEC_HASH_ANNOTATION, Plan, PlanCache
from scheduledjob_operator.run_metrics import RunCounters
from scheduledjob_operator.runstatus import RunReporter

_log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How a reconcile ended, and when the object wants looking at again (a due run)."""

    result: str
    requeue_after: float | None = None


def _owned_by(live: Mapping[str, Any], uid: str) -> bool:
    references = (live.get("metadata") or {}).get("ownerReferences") or []
    return any(reference.get("uid") == uid for reference in references)


def _needs_update(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    live_annotations = (live.get("metadata") or {}).get("annotations") or {}
    if (
        live_annotations.get(SPEC_HASH_ANNOTATION)
        != wanted["metadata"]["annotations"][SPEC_HASH_ANNOTATION]
    ):
        return True
    return not drift.matches(wanted["spec"], live.get("spec"))


def _merged_for_replace(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """Our spec, labels and annotations over the live object's metadata (keeps others' labels)."""
    live_metadata = live["metadata"]
    metadata = {
        **{k: v for k, v in live_metadata.items() if k != "managedFields"},
        "labels": {**(live_metadata.get("labels") or {}), **wanted["metadata"]["labels"]},
        "annotations": {
            **(live_metadata.get("annotations") or {}),
            **wanted["metadata"]["annotations"],
        },
        "ownerReferences": wanted["metadata"]["ownerReferences"],
    }
    return {**wanted, "metadata": metadata}


class Reconciler:
    """Converges ScheduledJobs; one instance per operator process."""

    def __init__(
        self,
        cluster: Cluster,
        settings: RunSettings,
        *,
        scheduledjobs: scheduledjob_metrics.ScheduledJobCollector | None = None,
        run_counters: RunCounters | None = None,
    ) -> None:
        self.cluster = cluster
        self.settings = settings
        self.plans = PlanCache(settings)
        self.scheduledjobs = scheduledjobs  # where reconciles leave the gauges; None: no gauges
        self.run_counters = run_counters  # runs and missed fire times; None: not counted
        self.reporter = RunReporter(cluster, run_counters)

    def reconcile(
        self, body: Mapping[str, Any], *, now: datetime.datetime | None = None
    ) -> Outcome:
        """Bring the ScheduledJob's CronJob, runs and status in line with its spec.

        The outcome says success, invalid, conflict, deleting or deleted, and when to look
        again (a one-shot or a fire time coming due); API errors propagate so the caller
        retries with backoff.
        """
        now = now or datetime.datetime.now(datetime.UTC)
        metadata = body["metadata"]
        if metadata.get("deletionTimestamp"):
            self._export(body, {}, now=now)  # a deleting object has no snapshot: series go
            return Outcome("deleting")  # ownerReferences let the garbage collector clean up
        log = _log.bind(scheduledjob=metadata["name"], namespace=metadata["namespace"])
        try:
            wanted = self.plans.plan(body)
        except InvalidSpecError as error:
            self._export(body, self._report_invalid(body, error, now=now), now=now)
            return Outcome("invalid")
        cron_job: dict[str, Any] | None = None
        try:
            if wanted.cron_job is not None:
                cron_job = self._converge_cronjob(body, wanted, wanted.cron_job, log=log, now=now)
            else:
                self._remove_cronjob(body, log=log)
        except ConflictError as error:
            reported = self._report_conflict(body, error, now=now)
            self._export(body, reported, now=now, schedule=wanted.schedule)
            return Outcome("conflict")
        written = self.reporter.report(body, wanted, cron_job, now=now)
        if written.deleted:
            return Outcome("deleted")
        self._export(body, written.status, now=now, schedule=wanted.schedule)
        return Outcome("success", written.requeue_after)

    def _export(
        self,
        body: Mapping[str, Any],
        reported: Mapping[str, Any],
        *,
        now: datetime.datetime,
        schedule: schedules.CronSchedule | None = None,
    ) -> None:
        """Leave the object's gauges as the status just reported; forget a deleting object."""
        if self.scheduledjobs is None:
            return
        key = (body["metadata"]["namespace"], body["metadata"]["name"])
        values = scheduledjob_metrics.snapshot(body, reported, now, schedule=schedule)
        if values is None:
            self.scheduledjobs.forget(key)
        else:
            self.scheduledjobs.update(key, values)

    # -- the CronJob ------------------------------------------------------------------------

    def _converge_cronjob(
        self,
        body: Mapping[str, Any],
        wanted: Plan,
        manifest: dict[str, Any],
        *,
        log: Any,
        now: datetime.datetime,
    ) -> dict[str, Any]:
        name = manifest["metadata"]["name"]
        namespace = manifest["metadata"]["namespace"]
        live = self.cluster.get_cronjob(namespace, name)
        if live is None:
            created = self.cluster.create_cronjob(manifest)
            if created is not None:
                log.info("Created CronJob", cronjob=name)
                self.cluster.emit_event(
                    body,
                    type_="Normal",
                    reason="CreatedCronJob",
                    message=(
                        f"Created CronJob {name} with schedule {manifest['spec']['schedule']!r}"
                    ),
                    now=now,
                )
                return created
            # It exists after all: someone else's, or ours and not yet seen by the watch.
            live = self.cluster.read_cronjob(namespace, name)
            if live is None:
                message = f"CronJob {name} existed on create and was gone on read"
                raise TransientError(message)
        if not _owned_by(live, body["metadata"]["uid"]):
            message = (
                f"CronJob {name} already exists and is not owned by this ScheduledJob; rename "
                "or delete that CronJob (the operator never modifies objects it does not own)"
            )
            raise ConflictError(message)
        if not _needs_update(manifest, live):
            return live
        replaced = self.cluster.replace_cronjob(_merged_for_replace(manifest, live))
        log.info("Updated CronJob", cronjob=name)
        self.cluster.emit_event(
            body,
            type_="Normal",
            reason="UpdatedCronJob",
            message=f"Updated CronJob {name} to match the ScheduledJob",
            now=now,
        )
        return replaced

    def _remove_cronjob(self, body: Mapping[str, Any], *, log: Any) -> None:
        """A one-shot has no CronJob: remove ours if the spec had a schedule before."""
        metadata = body["metadata"]
        name = naming.cronjob_name(metadata["name"])
        live = self.cluster.get_cronjob(metadata["namespace"], name)
        if live is not None and _owned_by(live, metadata["uid"]):
            self.cluster.delete_cronjob(metadata["namespace"], name)
            log.info("Deleted CronJob", cronjob=name, why="the ScheduledJob now runs once")

    # -- status -----------------------------------------------------------------------------

    def _write_status(self, body: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
        return self.cluster.write_status(body, new_status)

    def _report_invalid(
        self, body: Mapping[str, Any], error: InvalidSpecError, *, now: datetime.datetime
    ) -> dict[str, Any]:
        previous = body.get("status") or {}
        generation = int(body["metadata"].get("generation", 0))
        old = previous.get("conditions") or []
        updated = conditions.set_condition(
            old,
            type_=conditions.SPEC_VALID,
            status=False,
            reason=error.reason,
            message=error.message,
            generation=generation,
            now=now,
        )
        kept = (
            " (the existing CronJob keeps running the last valid spec)"
            if previous.get("cronJobName")
            else ""
        )
        updated = conditions.set_condition(
            updated,
            type_=conditions.READY,
            status=False,
            reason=error.reason,
            message=error.message + kept,
            generation=generation,
            now=now,
        )
        new_status = {**previous, "observedGeneration": generation, "conditions": updated}
        if self._write_status(body, new_status) and conditions.find(old, conditions.SPEC_VALID) != (
            conditions.find(updated, conditions.SPEC_VALID)
        ):
            self.cluster.emit_event(
                body, type_="Warning", reason=error.reason, message=error.message, now=now
            )
        return new_status

    def _report_conflict(
        self, body: Mapping[str, Any], error: ConflictError, *, now: datetime.datetime
    ) -> dict[str, Any]:
        previous = body.get("status") or {}
        generation = int(body["metadata"].get("generation", 0))
        updated = conditions.set_condition(
            previous.get("conditions") or [],
            type_=conditions.READY,
            status=False,
            reason="CronJobConflict",
            message=error.message,
            generation=generation,
            now=now,
        )
        new_status = {**previous, "observedGeneration": generation, "conditions": updated}
        if self._write_status(body, new_status):
            self.cluster.emit_event(
                body, type_="Warning", reason="CronJobConflict", message=error.message, now=now
            )
        return new_status
