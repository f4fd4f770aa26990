"""Builds the ScheduledJob a scheduling call applies, and the name it gets when none is given.

Pure: arguments in, a camelCase manifest out, so every rule (exactly one of cron, delay and
run_at; aware datetimes; a user needs a tenant) is checked and tested without a cluster. The
same inputs always give the same spec and, without an explicit name, the same name: that is
what makes a repeated call a no-op under server-side apply.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Final, Literal, TypedDict, Unpack, cast

from basejob import contract, timestamps
from basejob.job import BaseJob
from basejob.registry import ENTRY_POINT_GROUP
from scheduledjob_api import durations
from scheduledjob_client.scheduling.errors import SchedulingArgumentError

JsonScalar = str | int | float | bool
Identifier = int | str
ConcurrencyPolicy = Literal["Allow", "Forbid", "Replace"]

# Every child the operator names after a ScheduledJob fits when the name does: the CronJob
# keeps it whole up to 52 characters (its Jobs append 11), and label values stop at 63.
DERIVED_NAME_MAX_LENGTH: Final = 52
NAME_MAX_LENGTH: Final = 63
_HASH_LENGTH: Final = 10
_NAME: Final = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_CAMEL_HUMP: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_DNS: Final = re.compile(r"[^a-z0-9]+")
MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
MANAGED_BY: Final = "basejob-scheduling"


class SpecOptions(TypedDict, total=False):
    """Optional ScheduledJob spec fields, as keyword arguments of the scheduling functions.

    Each maps to the camelCase field of the same name (docs/reference/scheduledjob-api.md).
    """

    suspend: bool
    """Create it suspended (no runs start until `resume`)."""
    concurrency_policy: ConcurrencyPolicy
    """Forbid (default), Replace or Allow a run while the previous one still runs."""
    retries: int
    """How often a run that failed transiently is retried (0 to 10)."""
    timeout_seconds: int
    """Stop a run after this long."""
    starting_deadline_seconds: int
    """How late a missed run may still start."""
    ttl_seconds_after_run: int
    """One-shot only (delay, run_at): delete the ScheduledJob this long after its run."""
    ttl_seconds_after_finished: int
    """Delete a finished run (Job) this long after it ended."""
    successful_runs_history_limit: int
    """How many successful runs (Jobs) to keep."""
    failed_runs_history_limit: int
    """How many failed runs (Jobs) to keep."""
    image: str
    """Runtime image for the runs; default from the operator's settings."""
    service_account_name: str
    """ServiceAccount of the runs' Pods."""
    env: Mapping[str, str]
    """Extra environment variables of the job's container, in this order."""


class ContextArguments(TypedDict, total=False):
    """Whom a run acts for: the keywords only `schedule_job_with_context` takes."""

    tenant_id: Identifier | None
    """The tenant the run acts for; without one it is a system job."""
    application_user_id: Identifier | None
    """The user the run acts as, within `tenant_id`."""


class RunArguments(TypedDict, total=False):
    """What a run carries and when it runs: keywords of every scheduling call."""

    correlation_id: str | None
    """The correlation ID (prefix) of the runs' logs and traces."""
    data: Mapping[str, JsonScalar] | None
    """The job's data (its parameters)."""
    cron: str | None
    """Run on this schedule (5-field Kubernetes or 6/7-field Quartz cron)."""
    delay: datetime.timedelta | str | None
    """Run once, this long after creation (a timedelta, or `"90s"`, `"1h30m"`)."""
    run_at: datetime.datetime | None
    """Run once, at this aware datetime."""
    time_zone: str | None
    """The time zone `cron` is read in (default UTC)."""


class SpecArguments(ContextArguments, RunArguments, total=False):
    """The keywords of `build_spec` besides `options`."""


class PlacementArguments(TypedDict, total=False):
    """Which ScheduledJob a scheduling call declares: keywords of every scheduling call."""

    name: str | None
    """The ScheduledJob's name; by default derived from the job and a hash of the spec."""
    namespace: str | None
    """Its namespace; by default the client's."""


class ScheduleArguments(RunArguments, PlacementArguments, SpecOptions, total=False):
    """The keywords of `schedule_tenant_job` and `schedule_system_job`."""


class ScheduleWithContextArguments(ContextArguments, ScheduleArguments, total=False):
    """The keywords of `schedule_job_with_context`."""


@dataclass(frozen=True, kw_only=True)
class SortedArguments:
    """A scheduling call's keywords, sorted by where each one goes."""

    spec_arguments: SpecArguments
    options: SpecOptions
    """The spec options, and any keyword that is none (so `build_spec` names it)."""
    name: str | None
    namespace: str | None


_CONTEXT_KEYS: Final = ContextArguments.__optional_keys__
_RUN_KEYS: Final = RunArguments.__optional_keys__
_PLACEMENT_KEYS: Final = PlacementArguments.__optional_keys__
_SPEC_ARGUMENT_KEYS: Final = SpecArguments.__optional_keys__


def context_of(arguments: Mapping[str, Any]) -> ContextArguments:
    """The tenant and user among `schedule_job_with_context`'s keywords."""
    return cast("ContextArguments", {k: v for k, v in arguments.items() if k in _CONTEXT_KEYS})


def without_context(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """`schedule_job_with_context`'s keywords except the tenant and user."""
    return {k: v for k, v in arguments.items() if k not in _CONTEXT_KEYS}


def sort_arguments(context: ContextArguments, arguments: Mapping[str, Any]) -> SortedArguments:
    """Sort a call's keywords (`context` already taken out of them) by where they go."""
    run = {k: v for k, v in arguments.items() if k in _RUN_KEYS}
    options = {k: v for k, v in arguments.items() if k not in _RUN_KEYS | _PLACEMENT_KEYS}
    return SortedArguments(
        spec_arguments=cast("SpecArguments", {**context, **run}),
        options=cast("SpecOptions", options),
        name=arguments.get("name"),
        namespace=arguments.get("namespace"),
    )


_OPTION_FIELDS: Final = {
    "suspend": "suspend",
    "concurrency_policy": "concurrencyPolicy",
    "retries": "retries",
    "timeout_seconds": "timeoutSeconds",
    "starting_deadline_seconds": "startingDeadlineSeconds",
    "ttl_seconds_after_run": "ttlSecondsAfterRun",
    "ttl_seconds_after_finished": "ttlSecondsAfterFinished",
    "successful_runs_history_limit": "successfulRunsHistoryLimit",
    "failed_runs_history_limit": "failedRunsHistoryLimit",
    "image": "image",
    "service_account_name": "serviceAccountName",
}
# Fields that change how a ScheduledJob runs but not which one it is: left out of the name.
_NOT_IDENTITY: Final = frozenset({"suspend"})


def job_reference(job: object) -> str:
    """What `spec.job` says for a job name or BaseJob subclass (checked: callers may be untyped).

    A name is used as given; an unregistered class becomes `module:Class`.

    A class registered in the `basejob.jobs` entry-point group under its `name` is referenced by
    that name, as `ScheduleJobWithContextAsync<MyBusinessJob>` referenced the type.
    """
    if isinstance(job, str):
        if not job.strip():
            message = "job is empty: pass a registered job name (DataCleanupJob) or module:Class"
            raise SchedulingArgumentError(message)
        return job.strip()
    if not (isinstance(job, type) and issubclass(job, BaseJob)):
        message = f"job={job!r} is neither a job name nor a BaseJob subclass"
        raise SchedulingArgumentError(message)
    target = f"{job.__module__}:{job.__qualname__}"
    registered = {point.name: point.value for point in entry_points(group=ENTRY_POINT_GROUP)}
    if registered.get(job.name) == target:
        return job.name
    if job.__module__ == "__main__" or "." in job.__qualname__:
        message = (
            f"job class {job.__qualname__} is defined in {job.__module__}, where the runtime "
            "cannot import it: move it to an importable module or register it in the "
            f"{ENTRY_POINT_GROUP!r} entry-point group"
        )
        raise SchedulingArgumentError(message)
    return target


def duration_seconds(text: str) -> int:
    """Seconds in a duration as the API writes it (`90s`, `10m`, `1h30m`)."""
    try:
        return durations.duration_seconds(text.strip())
    except ValueError:
        message = (
            f"{text!r} is not a duration: write hours, minutes and seconds like 90s, 10m or 1h30m"
        )
        raise SchedulingArgumentError(message) from None


def format_delay(delay: object) -> str:
    """A delay as the API's duration (`1h30m`, `90s` → `1m30s`): canonical, so it hashes stably.

    A `timedelta` or a duration string (checked: callers may be untyped).
    """
    if not isinstance(delay, datetime.timedelta | str):
        message = (
            f"delay={delay!r}: pass a datetime.timedelta or a duration string like '90s'; "
            "a bare number does not say its unit"
        )
        raise SchedulingArgumentError(message)
    if isinstance(delay, datetime.timedelta):
        seconds = delay.total_seconds()
        if seconds < 0 or not math.isclose(seconds, round(seconds)):
            message = f"delay={delay!r}: use a whole, non-negative number of seconds"
            raise SchedulingArgumentError(message)
        total = round(seconds)
    else:
        try:
            total = duration_seconds(delay)
        except SchedulingArgumentError as error:
            message = f"delay={delay!r}: {error}, or pass a datetime.timedelta"
            raise SchedulingArgumentError(message) from error
    hours, rest = divmod(total, 3600)
    minutes, seconds_left = divmod(rest, 60)
    parts = ((hours, "h"), (minutes, "m"), (seconds_left, "s"))
    return "".join(f"{value}{unit}" for value, unit in parts if value) or "0s"


def format_run_at(run_at: object) -> str:
    """An aware datetime (checked: callers may be untyped) as RFC 3339 in UTC, `...T18:00:00Z`."""
    if not isinstance(run_at, datetime.datetime):
        message = f"run_at={run_at!r} is not a datetime.datetime"
        raise SchedulingArgumentError(message)
    if run_at.tzinfo is None or run_at.utcoffset() is None:
        message = (
            f"run_at={run_at.isoformat()} has no time zone, so the moment it names is "
            "ambiguous: pass an aware datetime, e.g. datetime.datetime(2026, 12, 24, 18, "
            "tzinfo=datetime.UTC) or .astimezone()"
        )
        raise SchedulingArgumentError(message)
    return timestamps.rfc3339_as_given(run_at.astimezone(datetime.UTC))


def _when(
    cron: str | None,
    delay: datetime.timedelta | str | None,
    run_at: datetime.datetime | None,
) -> dict[str, str]:
    given = [
        name
        for name, value in (("cron", cron), ("delay", delay), ("run_at", run_at))
        if value is not None
    ]
    if len(given) != 1:
        said = f"got {', '.join(given)}" if given else "got none"
        message = (
            f"pass exactly one of cron (runs on a schedule), delay or run_at (runs once); {said}"
        )
        raise SchedulingArgumentError(message)
    if cron is not None:
        if not cron.strip():
            message = "cron is empty: pass a cron expression like '0 2 * * *' or '0 0 2 * * ?'"
            raise SchedulingArgumentError(message)
        return {"schedule": " ".join(cron.split())}
    if delay is not None:
        return {"delay": format_delay(delay)}
    assert run_at is not None  # exactly one was given
    return {"runAt": format_run_at(run_at)}


def _context(
    tenant_id: Identifier | None,
    application_user_id: Identifier | None,
    correlation_id: str | None,
) -> dict[str, JsonScalar]:
    if application_user_id is not None and tenant_id is None:
        message = (
            f"application_user_id={application_user_id!r} needs tenant_id: a system job acts "
            "for no tenant and no user; pass tenant_id, or use schedule_system_job without a user"
        )
        raise SchedulingArgumentError(message)
    for argument, value in (("tenant_id", tenant_id), ("application_user_id", application_user_id)):
        if isinstance(value, bool) or not isinstance(value, int | str | None):
            message = f"{argument}={value!r}: pass an int or a str"
            raise SchedulingArgumentError(message)
    context: dict[str, JsonScalar] = {}
    if tenant_id is not None:
        context["tenantId"] = tenant_id
    if application_user_id is not None:
        context["applicationUserId"] = application_user_id
    if correlation_id is not None:
        context["correlationId"] = correlation_id
    return context


def _data(data: Mapping[str, JsonScalar] | None) -> dict[str, JsonScalar]:
    for key, value in (data or {}).items():
        if not isinstance(value, str | int | float | bool) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            message = (
                f"data[{key!r}]={value!r}: job data values are strings, integers, finite "
                "numbers or booleans; encode anything else (for example as a JSON string)"
            )
            raise SchedulingArgumentError(message)
    return dict(data or {})


def _check_keywords(arguments: Mapping[str, object]) -> None:
    unexpected = sorted(set(arguments) - _SPEC_ARGUMENT_KEYS)
    if unexpected:
        message = f"build_spec() got an unexpected keyword argument {unexpected[0]!r}"
        raise TypeError(message)


def build_spec(
    job: str | type[BaseJob],
    *,
    options: SpecOptions | None = None,
    **arguments: Unpack[SpecArguments],
) -> dict[str, Any]:
    """The ScheduledJob spec (camelCase) the arguments describe; unset fields left out."""
    _check_keywords(arguments)
    spec: dict[str, Any] = {
        "job": job_reference(job),
        **_when(arguments.get("cron"), arguments.get("delay"), arguments.get("run_at")),
    }
    context = _context(
        arguments.get("tenant_id"),
        arguments.get("application_user_id"),
        arguments.get("correlation_id"),
    )
    if context:
        spec["context"] = context
    data = arguments.get("data")
    if data:
        spec["data"] = _data(data)
    time_zone = arguments.get("time_zone")
    if time_zone is not None:
        spec["timeZone"] = time_zone
    given: Mapping[str, Any] = options or {}
    unknown = sorted(set(given) - set(_OPTION_FIELDS) - {"env"})
    if unknown:
        message = f"unknown options {unknown}; known: {sorted([*_OPTION_FIELDS, 'env'])}"
        raise SchedulingArgumentError(message)
    for argument, field in _OPTION_FIELDS.items():
        if argument in given:
            spec[field] = given[argument]
    if given.get("env"):
        spec["env"] = [{"name": name, "value": value} for name, value in given["env"].items()]
    return spec


def is_one_shot(spec: Mapping[str, Any]) -> bool:
    """Whether the spec runs once (runAt or delay) rather than on a schedule."""
    return "schedule" not in spec


def with_env(spec: Mapping[str, Any], extra: Mapping[str, str]) -> dict[str, Any]:
    """The spec with `extra` variables appended to `env`; names already there win."""
    env = list(spec.get("env") or [])
    present = {variable["name"] for variable in env}
    env += [{"name": k, "value": v} for k, v in extra.items() if k not in present]
    return {**spec, "env": env} if env else dict(spec)


def derive_name(spec: Mapping[str, Any]) -> str:
    """A stable DNS-1123 name: the job in kebab-case and a hash of the spec.

    `DataCleanupJob` with some spec → `data-cleanup-job-3f9a1c0b2d`. At most 52 characters, so
    the operator's CronJob carries the same name. `suspend` is not part of the hash: suspending
    does not make it another ScheduledJob.
    """
    identity = {key: value for key, value in spec.items() if key not in _NOT_IDENTITY}
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:_HASH_LENGTH]
    leaf = str(spec["job"]).rsplit(":", 1)[-1]
    stem = _NOT_DNS.sub("-", _CAMEL_HUMP.sub("-", leaf).lower()).strip("-") or "job"
    stem = stem[: DERIVED_NAME_MAX_LENGTH - _HASH_LENGTH - 1].rstrip("-")
    return f"{stem}-{digest}"


def check_name(name: str) -> str:
    """`name` if it can name a ScheduledJob and label its runs, else a precise error."""
    if len(name) > NAME_MAX_LENGTH or not _NAME.match(name):
        message = (
            f"name={name!r} cannot name a ScheduledJob: its runs carry it as a label value, so "
            f"use at most {NAME_MAX_LENGTH} lower-case letters, digits, '-' or '.', starting "
            "and ending with a letter or digit (or leave name out to derive one)"
        )
        raise SchedulingArgumentError(message)
    return name


def manifest(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The whole object to apply: exactly the fields this client owns."""
    return {
        "apiVersion": f"{contract.API_GROUP}/{contract.API_VERSION}",
        "kind": contract.KIND,
        "metadata": {"name": name, "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
        "spec": dict(spec),
    }
