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
import urllib3
from kubernetes.client.exceptions import ApiException

from basejob import schedules
from scheduledjob_api import naming
from scheduledjob_api.runs import Run
from scheduledjob_api.v1alpha1 import ScheduledJobStatus
from scheduledjob_operator.domain import (
    conditions,
    drift,
    forbid,
    oneshot,
    ownership,
    status,
    triggers,
)
from scheduledjob_operator.domain.builders.job import build_run
from scheduledjob_operator.domain.builders.owners import owner_reference
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.domain.errors import ConflictError, InvalidSpecError, TransientError
from scheduledjob_operator.domain.objects import KubeObject
from scheduledjob_operator.domain.planning import SPEC_HASH_ANNOTATION, Plan, PlanCache
from scheduledjob_operator.machinery import apierrors
from scheduledjob_operator.reconcile.cluster import Cluster
from scheduledjob_operator.reconcile.runstatus import RunReporter
from scheduledjob_operator.telemetry import scheduledjob_metrics
from scheduledjob_operator.telemetry.run_metrics import RunCounters

_log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How a reconcile ended, and when the object wants looking at again (a due run)."""

    result: str
    requeue_after: float | None = None


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

        The outcome says success, invalid, conflict, failed, deleting or deleted, and when to
        look again (a one-shot or a fire time coming due). What no retry can change (an invalid
        spec, a child the API server refuses, a name another object holds, an error in the
        operator's own logic) ends as `Ready=False` with a reason and a Warning Event; API and
        network errors propagate so the caller retries with backoff.
        """
        now = now or datetime.datetime.now(datetime.UTC)
        metadata = body["metadata"]
        if metadata.get("deletionTimestamp"):
            # A deleting object has no snapshot: its series go.
            self._export(body, ScheduledJobStatus(), now=now)
            return Outcome("deleting")  # ownerReferences let the garbage collector clean up
        log = _log.bind(scheduledjob=metadata["name"], namespace=metadata["namespace"])
        wanted: Plan | None = None
        try:
            wanted = self.plans.plan(body)
            return self._converge(body, wanted, log=log, now=now)
        except InvalidSpecError as error:
            self._export(body, self._report_invalid(body, error, now=now), now=now)
            return Outcome("invalid")
        except ConflictError as error:
            reported = self._report_failure(body, error.reason, error.message, now=now)
            self._export(body, reported, now=now, schedule=wanted.schedule if wanted else None)
            return Outcome("conflict")
        except Exception as error:
            if not (apierrors.is_refusal(error) or _is_permanent(error)):
                raise
            return self._report_permanent(body, error, log=log, now=now)

    def _report_permanent(
        self, body: Mapping[str, Any], error: Exception, *, log: Any, now: datetime.datetime
    ) -> Outcome:
        """A failure no retry cures, as a condition and an Event instead of endless retries."""
        if apierrors.is_refusal(error):
            refused = InvalidSpecError(
                reason="RefusedByAPIServer",
                message="The API server refused what the operator built from this spec: "
                + apierrors.describe(error),
            )
            self._export(body, self._report_invalid(body, refused, now=now), now=now)
            return Outcome("invalid")
        # One line, no traceback: `where` names the place.
        log.error(
            "Reconcile failed; not retried before the next resync",
            error=apierrors.describe(error),
            error_type=type(error).__name__,
            where=_where(error),
        )
        message = (
            f"The operator could not reconcile this spec ({type(error).__name__}: "
            f"{apierrors.describe(error)}); it tries again at the next resync"
        )
        self._export(body, self._report_failure(body, "ReconcileFailed", message, now=now), now=now)
        return Outcome("failed")

    def _converge(
        self, body: Mapping[str, Any], wanted: Plan, *, log: Any, now: datetime.datetime
    ) -> Outcome:
        metadata = body["metadata"]
        self._check_name_rivals(body, log=log)
        labelled = self.cluster.runs(metadata["namespace"], metadata["name"])
        cron_job: KubeObject | None = None
        held: str | None = None
        if wanted.cron_job is not None:
            cron_job, held = self._converge_cronjob(
                body, wanted, wanted.cron_job, labelled=labelled, log=log, now=now
            )
        else:
            self._remove_cronjob(body, log=log, why="the operator starts the runs itself")
            self._validate_run(body, wanted, now=now)
        owners = {metadata["uid"], (cron_job or {}).get("metadata", {}).get("uid")} - {None}
        runs = _owned_runs(labelled, frozenset(str(uid) for uid in owners))
        started = self.reporter.start_due_runs(body, wanted, cron_job, runs=runs, now=now)
        if started.deleted:
            return Outcome("deleted")
        reported = self.reporter.build_status(
            body, wanted, cron_job, started, runs=runs, held=held, now=now
        )
        written = self._write_status(body, reported.status)
        self.reporter.after_write(
            body, reported, written=written, wanted=wanted, runs=runs, now=now
        )
        self._export(body, reported.status, now=now, schedule=wanted.schedule)
        return Outcome("success", reported.requeue_after)

    def _export(
        self,
        body: Mapping[str, Any],
        reported: ScheduledJobStatus,
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
        labelled: list[Run],
        log: Any,
        now: datetime.datetime,
    ) -> tuple[KubeObject, str | None]:
        """The CronJob as it now is, and what holds it suspended (None: nothing does)."""
        name = manifest["metadata"]["name"]
        namespace = manifest["metadata"]["namespace"]
        uid = body["metadata"]["uid"]
        live = self.cluster.get_cronjob(namespace, name)
        if live is not None and not ownership.owned_by(live, uid):
            live = self.cluster.read_cronjob(namespace, name)  # the store holds ours only
        owners = frozenset({uid, *([live["metadata"]["uid"]] if live else [])})
        held = forbid.holding_run(
            wanted.spec,
            _owned_runs(labelled, owners),
            trigger_pending=triggers.pending_token(body) is not None,
        )
        if held is not None:  # the plan is shared: hold a copy
            manifest = {**manifest, "spec": {**manifest["spec"], "suspend": True}}
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
                return created, held
            # It exists after all: someone else's, or ours and not yet seen by the watch.
            live = self.cluster.read_cronjob(namespace, name)
            if live is None:
                message = f"CronJob {name} existed on create and was gone on read"
                raise TransientError(message)
        if not ownership.owned_by(live, uid):
            message = (
                f"CronJob {name} already exists and {ownership.describe_owner(live)}, not by "
                "this ScheduledJob; rename or delete that CronJob (the operator never modifies "
                "objects it does not own)"
            )
            raise ConflictError(message)
        if not _needs_update(manifest, live):
            return live, held
        replaced = self.cluster.replace_cronjob(_merged_for_replace(manifest, live))
        log.info("Updated CronJob", cronjob=name, held_for=held)
        reason, message = _update_event(name, live, manifest, held)
        self.cluster.emit_event(body, type_="Normal", reason=reason, message=message, now=now)
        return replaced, held

    def _remove_cronjob(self, body: Mapping[str, Any], *, log: Any, why: str) -> None:
        """Remove our CronJob, if there is one: the spec no longer has the CronJob start runs
        (a one-shot, an operator-started schedule), or this ScheduledJob lost its names."""
        metadata = body["metadata"]
        name = naming.cronjob_name(metadata["name"])
        live = self.cluster.get_cronjob(metadata["namespace"], name)
        if live is not None and ownership.owned_by(live, metadata["uid"]):
            self.cluster.delete_cronjob(metadata["namespace"], name, live["metadata"]["uid"])
            log.info("Deleted CronJob", cronjob=name, why=why)

    def _check_name_rivals(self, body: Mapping[str, Any], *, log: Any) -> None:
        """ConflictError when an older ScheduledJob derives the same CronJob and run names.

        The older one keeps them (creation times have whole seconds: within the same second,
        the one whose CronJob exists, then the lower uid); this one starts nothing (and gives
        up a CronJob it may have made while the older one was not yet in view) until it is
        renamed or the other goes.
        """
        metadata = body["metadata"]
        rivals = self.cluster.name_rivals(metadata["namespace"], metadata["name"])
        if not rivals:
            return
        derived = naming.cronjob_name(metadata["name"])
        live = self.cluster.get_cronjob(metadata["namespace"], derived) or {}

        def seniority(item: Mapping[str, Any]) -> tuple[str, bool, str]:
            uid = str(item["metadata"].get("uid") or "")
            created = str(item["metadata"].get("creationTimestamp") or "")
            return (created, not ownership.owned_by(live, uid), uid)

        older = sorted(
            (seniority(rival), rival["metadata"]["name"])
            for rival in rivals
            if seniority(rival) < seniority(body)
        )
        if not older:
            return
        self._remove_cronjob(body, log=log, why="an older ScheduledJob derives the same names")
        message = (
            f"ScheduledJob {older[0][1]}, created earlier, derives the same CronJob and run "
            f"names ({derived}; names above {naming.CRONJOB_NAME_MAX_LENGTH} characters are "
            "shortened with a hash); rename this ScheduledJob: it starts no runs until then"
        )
        raise ConflictError(message, reason="NameConflict")

    def _validate_run(
        self, body: Mapping[str, Any], wanted: Plan, *, now: datetime.datetime
    ) -> None:
        """Have the API server check a run built from this generation before Ready says True.

        The operator creates these runs itself, at fire or due time: without this, a spec the
        Job API refuses would show Ready=True and never run. A server-side dry run, once per
        generation (a Ready condition for it shows it passed); a refusal raises.
        """
        previous = conditions.find(status.read(body).conditions, conditions.READY)
        generation = int(body["metadata"].get("generation", 0))
        if previous and (previous.status, previous.observed_generation) == ("True", generation):
            return
        metadata = body["metadata"]
        if wanted.schedule is None:
            name = oneshot.run_name(metadata["name"])
        else:
            name = naming.scheduled_run_name(metadata["name"], now)
        job = build_run(
            wanted.template,
            name=name,
            namespace=metadata["namespace"],
            owner_reference=owner_reference(wanted.owner),
            kind="once" if wanted.schedule is None else "scheduled",
            fire_time=conditions.timestamp(now) if wanted.schedule is not None else None,
        )
        self.cluster.dry_run_job(job)

    # -- status -----------------------------------------------------------------------------

    def _write_status(self, body: Mapping[str, Any], new_status: ScheduledJobStatus) -> bool:
        """Write the status if it changed; whether it did.

        The one place a status is serialised (camelCase keys, what was never set left out).
        """
        return self.cluster.write_status(body, new_status.to_api())

    def _report_invalid(
        self, body: Mapping[str, Any], error: InvalidSpecError, *, now: datetime.datetime
    ) -> ScheduledJobStatus:
        previous = status.read(body)
        generation = int(body["metadata"].get("generation", 0))
        old = previous.conditions
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
            if previous.cron_job_name
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
        new_status = status.overlay(
            previous, ScheduledJobStatus(observed_generation=generation, conditions=updated)
        )
        written = self._write_status(body, new_status)
        if written and conditions.find(old, conditions.SPEC_VALID) != (
            conditions.find(updated, conditions.SPEC_VALID)
        ):
            self.cluster.emit_event(
                body, type_="Warning", reason=error.reason, message=error.message, now=now
            )
        return new_status

    def _report_failure(
        self, body: Mapping[str, Any], reason: str, message: str, *, now: datetime.datetime
    ) -> ScheduledJobStatus:
        """Ready=False with `reason` for this generation, and a Warning Event when it is news."""
        previous = status.read(body)
        generation = int(body["metadata"].get("generation", 0))
        updated = conditions.set_condition(
            previous.conditions,
            type_=conditions.READY,
            status=False,
            reason=reason,
            message=message,
            generation=generation,
            now=now,
        )
        new_status = status.overlay(
            previous, ScheduledJobStatus(observed_generation=generation, conditions=updated)
        )
        written = self._write_status(body, new_status)
        if written:
            self.cluster.emit_event(body, type_="Warning", reason=reason, message=message, now=now)
        return new_status


def _owned_runs(labelled: list[Run], owners: frozenset[str]) -> list[Run]:
    """The labelled Jobs that really are this ScheduledJob's runs (by owner uid)."""
    return [run for run in labelled if run.owned_by(owners)]


def _update_event(
    name: str, live: Mapping[str, Any], manifest: Mapping[str, Any], held: str | None
) -> tuple[str, str]:
    """The Event (reason, message) for a CronJob update: a hold taken, or a spec change."""
    was_held = bool((live.get("spec") or {}).get("suspend"))
    if held is not None and not was_held:
        return "HeldCronJob", f"Suspended CronJob {name} while {held} (concurrencyPolicy Forbid)"
    released = was_held and not manifest["spec"].get("suspend")
    return "UpdatedCronJob", f"Updated CronJob {name} to match the ScheduledJob" + (
        " (no hold any more)" if released else ""
    )


# Failures a retry may cure: the API server or the network. Anything else raised while
# reconciling (arithmetic on extreme values, a bug) would fail the same way every time.
_TRANSIENT = (ApiException, TransientError, OSError, urllib3.exceptions.HTTPError)


def _is_permanent(error: BaseException) -> bool:
    return not isinstance(error, _TRANSIENT)


def _where(error: BaseException) -> str:
    """file:line of the innermost frame, to find a permanent failure without a traceback."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return "?"
    return f"{trace.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{trace.tb_lineno}"
