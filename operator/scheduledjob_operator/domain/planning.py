"""Turns a ScheduledJob into what it asks for: a CronJob for a schedule, or a run template.

Pure: validation beyond the CRD schema (pydantic models, the schedule's meaning, the time zone)
raises InvalidSpecError with a reason and message for the Ready condition.
"""

from __future__ import annotations

import collections
import hashlib
import json
import threading
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from basejob import schedules
from scheduledjob_api import naming
from scheduledjob_api.v1alpha1 import ScheduledJob, ScheduledJobSpec
from scheduledjob_operator.domain.builders.cronjob import build_cronjob
from scheduledjob_operator.domain.builders.job import job_template
from scheduledjob_operator.domain.builders.owners import Owner
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.domain.errors import InvalidSpecError

SPEC_HASH_ANNOTATION = f"{naming.SCHEDULEDJOB_LABEL}-spec-hash"


@dataclass(frozen=True)
class Plan:
    """What a valid ScheduledJob asks for: a CronJob, runs the operator starts on a schedule
    (`operator_reason` set), or a single run (one-shot)."""

    spec: ScheduledJobSpec
    owner: Owner
    template: dict[str, Any]
    schedule: schedules.CronSchedule | None = None
    cron_job: dict[str, Any] | None = None
    operator_reason: str | None = None
    """Why the operator starts this schedule's runs itself instead of a CronJob (None: a
    CronJob does, or the ScheduledJob runs once)."""


def operator_reasons(spec: ScheduledJobSpec, schedule: schedules.CronSchedule) -> list[str]:
    """What in the spec a Kubernetes CronJob cannot do; empty when a CronJob runs it exactly."""
    reasons = []
    if schedule.cron is None:
        reasons.append(f"the schedule uses {schedule.operator_reason}")
    if spec.jitter_seconds:
        reasons.append("jitterSeconds is set")
    if spec.exclude_dates:
        reasons.append("excludeDates is set")
    if spec.misfire is not None:
        reasons.append("a misfire policy is set")
    return reasons


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
    if spec.time_zone is not None:
        # Only the database's names: ZoneInfo also opens any zone file of the host (localtime,
        # posixrules, posix/Europe/Berlin), whose meaning is the host's, not IANA's.
        try:
            ScheduledJobSpec.canonical_time_zone(spec.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            message = (
                f"spec.timeZone: {spec.time_zone!r} is not a known IANA time zone "
                "(for example Europe/Berlin or America/New_York; not localtime, posixrules, "
                "Factory, nor posix/ or right/ copies)"
            )
            raise InvalidSpecError(reason="InvalidTimeZone", message=message) from error
    metadata = body["metadata"]
    owner = Owner(name=metadata["name"], namespace=metadata["namespace"], uid=metadata["uid"])
    if spec.schedule is None:  # runAt or delay (admission guarantees exactly one of the three)
        template = job_template(spec, owner=owner, schedule="", settings=settings)
        return Plan(spec=spec, owner=owner, template=template)
    try:
        schedule = schedules.parse_schedule(spec.schedule)
    except schedules.ScheduleError as error:
        raise InvalidSpecError(
            reason="InvalidSchedule", message=f"spec.schedule: {error}"
        ) from error
    reasons = operator_reasons(spec, schedule)
    if reasons or schedule.cron is None:
        template = job_template(spec, owner=owner, schedule=schedule.source, settings=settings)
        return Plan(
            spec=spec,
            owner=owner,
            template=template,
            schedule=schedule,
            operator_reason="; ".join(reasons),
        )
    manifest = build_cronjob(spec, owner=owner, schedule=schedule.cron, settings=settings)
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]
    manifest["metadata"]["annotations"] = {SPEC_HASH_ANNOTATION: digest}
    return Plan(
        spec=spec,
        owner=owner,
        template=manifest["spec"]["jobTemplate"],
        schedule=schedule,
        cron_job=manifest,
    )


class PlanCache:
    """The plan of each recently reconciled ScheduledJob, for its current uid and generation.

    A plan depends only on the spec and the object's identity, so it is the same for a
    generation; an operator-started schedule is reconciled at every fire time and at every
    change of its runs, and validating and building it each time would be most of that
    reconcile's CPU. Only the latest generation of each ScheduledJob is kept (a reconcile never
    wants an older one), and `forget` drops it when the ScheduledJob is deleted: a plan holds
    the whole Job template, and deleted ScheduledJobs' plans would otherwise be most of what
    the operator keeps after a mass deletion. Bounded (least recently used first out), so
    memory does not grow with the number of ScheduledJobs; plans are shared, callers must not
    modify them.
    """

    def __init__(self, settings: RunSettings, capacity: int = 512) -> None:
        self.settings = settings
        self.capacity = capacity
        # (namespace, name) -> ((uid, generation), plan): one entry per ScheduledJob.
        self._plans: collections.OrderedDict[tuple[str, str], tuple[tuple[str, int], Plan]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    def plan(self, body: Mapping[str, Any]) -> Plan:
        """`plan(body, settings)`, from the cache when this generation was planned before."""
        metadata = body["metadata"]
        key = (str(metadata.get("namespace", "")), str(metadata.get("name", "")))
        version = (str(metadata.get("uid", "")), int(metadata.get("generation", 0)))
        with self._lock:
            cached = self._plans.get(key)
            if cached is not None and cached[0] == version:
                self._plans.move_to_end(key)
                return cached[1]
        planned = plan(body, self.settings)
        with self._lock:
            self._plans[key] = (version, planned)
            self._plans.move_to_end(key)
            while len(self._plans) > self.capacity:
                self._plans.popitem(last=False)
        return planned

    def forget(self, namespace: str, name: str) -> None:
        """Drop the plan of the ScheduledJob `namespace`/`name` (it was deleted), whatever
        its uid; unknown names are ignored.

        By name, not uid: the controller learns that a ScheduledJob is gone from its key,
        when the store no longer holds the object (and its uid).
        """
        with self._lock:
            self._plans.pop((namespace, name), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._plans)
