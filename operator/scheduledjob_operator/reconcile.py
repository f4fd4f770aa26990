"""One idempotent reconcile of a ScheduledJob: read the world, converge it, report status.

It never branches on what event woke it: creation, update, operator restart, a CronJob edited or
deleted by hand, a Job finishing and the periodic resync all run the same code. It writes only
when something differs, so a reconcile of a converged object makes no API writes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic
import structlog

from basejob import schedules
from scheduledjob_operator import conditions, drift, naming, scheduledjob_metrics, status
from scheduledjob_operator.api.v1alpha1 import ScheduledJob, ScheduledJobSpec
from scheduledjob_operator.builders.cronjob import Owner, build_cronjob
from scheduledjob_operator.builders.runsettings import RunSettings
from scheduledjob_operator.errors import ConflictError, InvalidSpecError
from scheduledjob_operator.kube import Cluster
from scheduledjob_operator.runs import Run, TerminationSummary, run_from_job, termination_summary

SPEC_HASH_ANNOTATION = f"{naming.SCHEDULEDJOB_LABEL}-spec-hash"
_log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Plan:
    """What a valid ScheduledJob asks for."""

    spec: ScheduledJobSpec
    schedule: schedules.CronSchedule
    cron_job: dict[str, Any]


def _validation_message(error: pydantic.ValidationError) -> str:
    parts = []
    for problem in error.errors():
        location = ".".join(str(part) for part in problem["loc"])
        parts.append(f"{location}: {problem['msg']}")
    return "; ".join(parts)


def plan(body: Mapping[str, Any], settings: RunSettings) -> Plan:
    """Validate the ScheduledJob and build its CronJob; InvalidSpecError explains a bad spec."""
    try:
        resource = ScheduledJob.model_validate(body)
    except pydantic.ValidationError as error:
        raise InvalidSpecError(reason="InvalidSpec", message=_validation_message(error)) from error
    spec = resource.spec
    try:
        schedule = schedules.parse_schedule(spec.schedule)
    except schedules.ScheduleError as error:
        raise InvalidSpecError(
            reason="InvalidSchedule", message=f"spec.schedule: {error}"
        ) from error
    if spec.time_zone is not None:
        try:
            zoneinfo.ZoneInfo(spec.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            message = (
                f"spec.timeZone: {spec.time_zone!r} is not a known IANA time zone "
                "(for example Europe/Berlin or America/New_York)"
            )
            raise InvalidSpecError(reason="InvalidTimeZone", message=message) from error
    metadata = body["metadata"]
    owner = Owner(name=metadata["name"], namespace=metadata["namespace"], uid=metadata["uid"])
    manifest = build_cronjob(spec, owner=owner, schedule=schedule.cron, settings=settings)
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]
    manifest["metadata"]["annotations"] = {SPEC_HASH_ANNOTATION: digest}
    return Plan(spec=spec, schedule=schedule, cron_job=manifest)


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
    ) -> None:
        self.cluster = cluster
        self.settings = settings
        self.scheduledjobs = scheduledjobs  # where reconciles leave the gauges; None: no gauges

    def reconcile(self, body: Mapping[str, Any], *, now: datetime.datetime | None = None) -> str:
        """Bring the ScheduledJob's CronJob and status in line with its spec and its runs.

        Returns the outcome (success, invalid, conflict or deleting); API errors propagate so
        the caller retries with backoff.
        """
        now = now or datetime.datetime.now(datetime.UTC)
        metadata = body["metadata"]
        if metadata.get("deletionTimestamp"):
            self._export(body, {}, now=now)  # a deleting object has no snapshot: series go
            return "deleting"  # ownerReferences let the garbage collector remove our objects
        log = _log.bind(scheduledjob=metadata["name"], namespace=metadata["namespace"])
        try:
            wanted = plan(body, self.settings)
        except InvalidSpecError as error:
            self._export(body, self._report_invalid(body, error, now=now), now=now)
            return "invalid"
        try:
            cron_job = self._converge_cronjob(body, wanted, log=log, now=now)
        except ConflictError as error:
            reported = self._report_conflict(body, error, now=now)
            self._export(body, reported, now=now, schedule=wanted.schedule)
            return "conflict"
        reported = self._report(body, wanted, cron_job, now=now)
        self._export(body, reported, now=now, schedule=wanted.schedule)
        return "success"

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
        self, body: Mapping[str, Any], wanted: Plan, *, log: Any, now: datetime.datetime
    ) -> dict[str, Any]:
        manifest = wanted.cron_job
        name = manifest["metadata"]["name"]
        namespace = manifest["metadata"]["namespace"]
        live = self.cluster.get_cronjob(namespace, name)
        if live is None:
            created = self.cluster.create_cronjob(manifest)
            log.info("Created CronJob", cronjob=name)
            self.cluster.emit_event(
                body,
                type_="Normal",
                reason="CreatedCronJob",
                message=f"Created CronJob {name} with schedule {wanted.schedule.cron!r}",
                now=now,
            )
            return created
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

    # -- status -----------------------------------------------------------------------------

    def _write_status(self, body: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
        previous = body.get("status") or {}
        # Keys we no longer set are removed with null (merge patch semantics).
        patch = {**{key: None for key in previous if key not in new_status}, **new_status}
        if dict(previous) == dict(new_status):
            return False
        metadata = body["metadata"]
        self.cluster.patch_status(metadata["namespace"], metadata["name"], patch)
        return True

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

    def _termination(
        self, body: Mapping[str, Any], latest: Run | None
    ) -> TerminationSummary | None:
        """The failed latest run's termination message; read once per run, then kept."""
        if latest is None or latest.result != "Failed":
            return None
        previous = (body.get("status") or {}).get("lastRun") or {}
        if previous.get("jobName") == latest.job_name:
            return TerminationSummary(
                error_type=previous.get("errorType"), message=previous.get("message")
            )
        for pod in self.cluster.list_job_pods(body["metadata"]["namespace"], latest.job_name):
            summary = termination_summary(pod)
            if summary is not None:
                return summary
        return None

    def _report(
        self,
        body: Mapping[str, Any],
        wanted: Plan,
        cron_job: Mapping[str, Any],
        *,
        now: datetime.datetime,
    ) -> dict[str, Any]:
        metadata = body["metadata"]
        previous = body.get("status") or {}
        generation = int(metadata.get("generation", 0))
        prefix = wanted.spec.context.correlation_id or metadata["name"]
        runs = [
            run_from_job(job)
            for job in self.cluster.list_jobs(metadata["namespace"], metadata["name"])
        ]
        latest = status.latest_finished(runs)
        fields = status.run_fields(
            previous=previous,
            cron_job=cron_job,
            runs=runs,
            correlation_prefix=prefix,
            last_run_summary=self._termination(body, latest),
        )
        updated = conditions.set_condition(
            previous.get("conditions") or [],
            type_=conditions.SPEC_VALID,
            status=True,
            reason="Valid",
            message="The spec is valid",
            generation=generation,
            now=now,
        )
        updated = conditions.set_condition(
            updated,
            type_=conditions.READY,
            status=True,
            reason="CronJobReady",
            message=f"CronJob {cron_job['metadata']['name']} matches the spec",
            generation=generation,
            now=now,
        )
        new_status: dict[str, Any] = {
            "observedGeneration": generation,
            "conditions": updated,
            "cronJobName": cron_job["metadata"]["name"],
            "schedule": wanted.schedule.cron,
            **fields,
        }
        if not wanted.spec.suspend:
            upcoming = schedules.next_fire_times(
                wanted.schedule, after=now, time_zone=wanted.spec.time_zone or "UTC"
            )
            new_status["nextScheduleTime"] = conditions.timestamp(upcoming[0])
        if self._write_status(body, new_status):
            self._announce_run(body, previous, new_status, now=now)
        return new_status

    def _announce_run(
        self,
        body: Mapping[str, Any],
        previous: Mapping[str, Any],
        new_status: Mapping[str, Any],
        *,
        now: datetime.datetime,
    ) -> None:
        last = new_status.get("lastRun")
        if not last or (previous.get("lastRun") or {}).get("jobName") == last["jobName"]:
            return
        if last["result"] == "Succeeded":
            message = (
                f"Run {last['jobName']} (correlation ID {last['correlationId']}) succeeded"
                f" in {last.get('durationSeconds', '?')}s"
            )
            self.cluster.emit_event(
                body, type_="Normal", reason="RunSucceeded", message=message, now=now
            )
        else:
            cause = last.get("errorType") or last.get("reason") or "an unknown error"
            message = (
                f"Run {last['jobName']} (correlation ID {last['correlationId']}) failed: {cause}"
                + (f": {last['message']}" if last.get("message") else "")
            )
            self.cluster.emit_event(
                body, type_="Warning", reason="RunFailed", message=message, now=now
            )
