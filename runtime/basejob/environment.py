"""Reads a run's environment contract into one typed value: the runtime's only `os.environ` read.

Every malformed or missing variable is an `EnvironmentContractError` naming the variable and
what it should hold, so a bad Pod spec fails fast as fatal with an explanation instead of a
traceback. The same value is built from CLI flags for local runs.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from basejob import contract
from basejob.errors import EnvironmentContractError

# A CronJob names its Jobs <cronjob>-<scheduled time in minutes since the epoch>.
_FIRE_MINUTE = re.compile(r"-(\d{8,10})$")
JsonScalar = str | int | float | bool


@dataclass(frozen=True, kw_only=True)
class RunEnvironment:
    """Everything a run needs to know about itself."""

    job: str
    correlation_id: str
    job_id: str
    tenant_id: str | None = None
    application_user_id: str | None = None
    scheduledjob_namespace: str | None = None
    scheduledjob_name: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()
    schedule: str | None = None
    time_zone: str = "UTC"
    run_name: str | None = None
    scheduled_fire_time: datetime.datetime | None = None
    """The fire time the operator started this run for (BASEJOB_FIRE_TIME), if it did."""
    pushgateway_url: str | None = None
    local: bool = False
    """True when run from a terminal rather than by Kubernetes."""

    def fire_time(self, started: datetime.datetime) -> datetime.datetime:
        """The fire time the operator passed, else the scheduled minute a CronJob encoded in
        the Job name, else the start time."""
        if self.scheduled_fire_time is not None:
            return self.scheduled_fire_time
        match = _FIRE_MINUTE.search(self.run_name or "")
        if match is not None:
            fired = datetime.datetime.fromtimestamp(int(match.group(1)) * 60, datetime.UTC)
            if abs((started - fired).total_seconds()) < 366 * 86400:
                return fired
        return started

    def next_fire_time(self, after: datetime.datetime) -> datetime.datetime | None:
        """When the schedule fires next after `after`, if there is a usable schedule."""
        if not self.schedule:
            return None
        # Imported here: only runs with a schedule pay its start-up (time zones, calendars).
        from basejob import schedules  # noqa: PLC0415

        try:
            parsed = schedules.parse_schedule(self.schedule)
            upcoming = schedules.next_fire_times(parsed, after=after, time_zone=self.time_zone)
        except schedules.ScheduleError:
            return None
        return upcoming[0] if upcoming else None  # a Quartz year field can end a schedule

    def grouping_key(self) -> dict[str, str]:
        """The Pushgateway group of this run: one per ScheduledJob (or per job, locally)."""
        return {
            "namespace": self.scheduledjob_namespace or "local",
            "scheduledjob": self.scheduledjob_name or self.job,
        }


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _data(environ: Mapping[str, str]) -> dict[str, Any]:
    raw = environ.get(contract.DATA, "").strip() or "{}"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        message = f"{contract.DATA} is not valid JSON ({error.msg} at position {error.pos})"
        raise EnvironmentContractError(message) from error
    if not isinstance(data, dict):
        message = (
            f"{contract.DATA} must be a JSON object of job parameters, got {type(data).__name__}"
        )
        raise EnvironmentContractError(message)
    for name, value in environ.items():
        if name.startswith(contract.DATA_FROM_PREFIX):
            data[name[len(contract.DATA_FROM_PREFIX) :]] = value
    return data


def _fire_time(environ: Mapping[str, str]) -> datetime.datetime | None:
    raw = _get(environ, contract.FIRE_TIME)
    if raw is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as error:
        message = f"{contract.FIRE_TIME}={raw!r} is not an RFC 3339 time (2026-11-29T10:15:03Z)"
        raise EnvironmentContractError(message) from error
    if parsed.utcoffset() is None:
        message = f"{contract.FIRE_TIME}={raw!r} has no UTC offset; end it with Z or +hh:mm"
        raise EnvironmentContractError(message)
    return parsed


def generated_correlation_id() -> str:
    """A correlation ID for a run outside Kubernetes."""
    return f"local-{uuid.uuid4().hex[:16]}"


def from_environ(environ: Mapping[str, str], *, job: str | None = None) -> RunEnvironment:
    """Build the run environment from the contract's variables; `job` overrides BASEJOB_JOB."""
    job_reference = job or _get(environ, contract.JOB)
    if job_reference is None:
        message = f"no job given: pass a job name or set {contract.JOB}"
        raise EnvironmentContractError(message)
    run_uid = _get(environ, contract.RUN_UID)
    prefix = _get(environ, contract.CORRELATION_PREFIX) or _get(environ, contract.SCHEDULEDJOB_NAME)
    if run_uid is not None and not re.fullmatch(r"[0-9a-fA-F-]{16,}", run_uid):
        message = f"{contract.RUN_UID}={run_uid!r} is not a Kubernetes UID"
        raise EnvironmentContractError(message)
    if run_uid is not None:
        correlation = contract.correlation_id(prefix or job_reference, run_uid)
    else:
        correlation = generated_correlation_id()
    secret_keys = frozenset(
        key.strip() for key in (_get(environ, contract.SECRET_KEYS) or "").split(",") if key.strip()
    )
    time_zone = _get(environ, contract.TIME_ZONE) or "UTC"
    return RunEnvironment(
        job=job_reference,
        correlation_id=correlation,
        job_id=_get(environ, contract.POD_NAME) or f"local-{uuid.uuid4().hex[:8]}",
        tenant_id=_get(environ, contract.TENANT_ID),
        application_user_id=_get(environ, contract.APPLICATION_USER_ID),
        scheduledjob_namespace=_get(environ, contract.SCHEDULEDJOB_NAMESPACE),
        scheduledjob_name=_get(environ, contract.SCHEDULEDJOB_NAME),
        data=_data(environ),
        secret_keys=secret_keys,
        schedule=_get(environ, contract.SCHEDULE),
        time_zone=time_zone,
        run_name=_get(environ, contract.RUN_NAME),
        scheduled_fire_time=_fire_time(environ),
        pushgateway_url=_get(environ, contract.PUSHGATEWAY_URL),
        local=run_uid is None,
    )


def parse_data_flag(item: str) -> tuple[str, JsonScalar]:
    """`key=value` from the CLI; the value is read as JSON when it is a JSON scalar."""
    key, separator, value = item.partition("=")
    if not separator or not key:
        message = f"--data {item!r}: write key=value"
        raise EnvironmentContractError(message)
    try:
        decoded = json.loads(value)
    except ValueError:
        return key, value
    if isinstance(decoded, str | int | float | bool):
        return key, decoded
    return key, value
