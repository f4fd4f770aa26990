"""ScheduledJob `jobs.connectflow.io/v1alpha1`: the models the CRD is generated from.

Field docstrings become the schema descriptions `kubectl explain` prints; constraints become
schema validation, and rules across fields become CEL (`x-kubernetes-validations`), so most bad
input is refused at admission. What a schema cannot check (a cron expression's meaning, an IANA
zone) the operator validates and reports in the `Ready` condition.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from basejob import contract, timestamps
from scheduledjob_api import durations, podfields
from scheduledjob_api.base import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_DELAY_HOURS,
    MAX_SAFE_INTEGER,
    MAX_SECONDS,
    YEAR_PATTERN,
    ApiModel,
    cel,
    int_or_string,
    shown,
)
from scheduledjob_api.podfields import (
    AnnotationValue,
    LabelValue,
    QualifiedName,
    Resources,
    Toleration,
    qualified_keys,
)

GROUP = contract.API_GROUP
VERSION = contract.API_VERSION
API_VERSION = f"{GROUP}/{VERSION}"
KIND = contract.KIND
PLURAL = contract.PLURAL
SINGULAR = "scheduledjob"
SHORT_NAMES = ("sj",)

# A Kubernetes object name (DNS subdomain) and a label-like identifier.
ObjectName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"),
]
# Job data keys double as environment-variable suffixes and log field names.
DATA_KEY = r"^[A-Za-z_][A-Za-z0-9_]*$"
DATA_KEY_MAX_LENGTH = 63
DataKey = Annotated[
    str, StringConstraints(min_length=1, max_length=DATA_KEY_MAX_LENGTH, pattern=DATA_KEY)
]
# The data map travels to the run as one environment variable (BASEJOB_DATA, JSON) and Linux
# refuses to start a process with a single variable above 128 KiB; half of that leaves room.
DATA_MAX_JSON_LENGTH = 65536
JobReference = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=253,
        pattern=r"^([A-Za-z_][A-Za-z0-9_.-]*|[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*)$",
    ),
]
# Only a shape check here; the operator parses the expression and explains what is wrong.
ScheduleExpression = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=256,
        pattern=r"^\s*(@[a-z]+|\S+(\s+\S+){4,6})\s*$",
    ),
]
# A Go-style duration as kubectl and Kubernetes write them: 90s, 10m, 1h30m. At most three
# parts of at most 5 digits of hours, 7 of minutes or 9 of seconds: their sum (under 35 years)
# cannot overflow Go's int64 nanoseconds when CEL's duration() reads it.
DURATION = "^([0-9]{1,5}h|[0-9]{1,7}m|[0-9]{1,9}s){1,3}$"
_DELAY_RULE = cel(
    f"!self.matches('{DURATION}') || duration(self) <= duration('{MAX_DELAY_HOURS}h')",
    f"delay is at most {MAX_DELAY_HOURS}h (ten years)",
    message_expression=f"'delay ' + self + ' is above {MAX_DELAY_HOURS}h (ten years)'",
)


def _delay_in_range(text: str) -> str:
    if durations.duration_seconds(text) > MAX_DELAY_HOURS * 3600:
        message = f"delay {text} is above {MAX_DELAY_HOURS}h (ten years)"
        raise ValueError(message)
    return text


Duration = Annotated[
    str,
    StringConstraints(min_length=2, max_length=32, pattern=DURATION),
    AfterValidator(_delay_in_range),
    Field(json_schema_extra={"x-kubernetes-validations": [_DELAY_RULE]}),
]
# RFC 3339 with an offset (the API server's date-time also takes an offset of 24 hours, which
# Python refuses), in the years the schedule engine knows.
RUN_AT = (
    f"^{YEAR_PATTERN}-[0-9]{{2}}-[0-9]{{2}}[Tt][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}([.][0-9]{{1,9}})?"
    "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_RUN_AT_RULE = (
    f"an RFC 3339 time with an offset, in the years {FIRST_YEAR} to {LAST_YEAR} "
    "(for example 2026-12-24T18:00:00Z)"
)


def _run_at_shape(value: Any) -> Any:
    """What the API server admits: a string in RUN_AT's shape (or a datetime, from Python)."""
    if isinstance(value, datetime.datetime):
        written_year, aware = value.year, value.tzinfo is not None
    elif isinstance(value, str) and re.fullmatch(RUN_AT, value):
        return value
    else:
        written_year, aware = 0, False
    if not (aware and FIRST_YEAR <= written_year <= LAST_YEAR):
        message = f"runAt {shown(value)} is not {_RUN_AT_RULE}"
        raise ValueError(message)
    return value


RunAt = Annotated[
    datetime.datetime,
    BeforeValidator(_run_at_shape),
    Field(json_schema_extra={"pattern": RUN_AT, "maxLength": 64}),
]
TimeZoneName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")
]
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
]
# Nullable, so that a null value reaches the operator, which reports it, instead of being
# dropped without a word by the API server (CEL cannot see untyped values to refuse it).
JobDataValue = Annotated[
    str | int | float | bool,
    Field(json_schema_extra={"x-kubernetes-preserve-unknown-fields": True, "nullable": True}),
]
# Tenant and user IDs reach the run as environment variables, which the runtime trims: an
# empty or padded ID would silently make a system job or another ID.
ID_MAX_LENGTH = 128
ContextId = Annotated[int | str, Field(json_schema_extra=int_or_string(max_length=ID_MAX_LENGTH))]


_KEY_IS_A_DIRECTORY = "is not a Secret or ConfigMap key: keys are never '.' nor start with '..'"
_NOT_A_DIRECTORY = cel("self != '.' && !self.startsWith('..')", f"the key {_KEY_IS_A_DIRECTORY}")


def _not_a_directory(key: str) -> str:
    if key == "." or key.startswith(".."):
        message = f"key {shown(key)} {_KEY_IS_A_DIRECTORY}"
        raise ValueError(message)
    return key


# Zone files that are the host's, not the database's: `localtime` is whatever the host runs on,
# `posixrules` the host's default rules, `Factory` a placeholder ("-00"). available_timezones()
# leaves out posix/ and right/ and posixrules itself on most systems; they are named anyway.
_HOST_ZONE_FILES = frozenset({"localtime", "posixrules", "Factory", "Local"})


@functools.cache
def _canonical_time_zones() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _HOST_ZONE_FILES and not name.startswith(("posix/", "right/"))
    )


class KeySelector(ApiModel):
    """One key of a Secret or ConfigMap in the ScheduledJob's namespace."""

    name: ObjectName
    """Name of the Secret or ConfigMap."""
    key: Annotated[
        str,
        StringConstraints(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$"),
        AfterValidator(_not_a_directory),
        Field(json_schema_extra={"x-kubernetes-validations": [_NOT_A_DIRECTORY]}),
    ]
    """Key within it whose value becomes the job data value (not `.`, nor starting `..`)."""


class DataFromSource(ApiModel):
    """A job data value read from a Secret or ConfigMap when the run starts.

    The value is passed to the Pod by reference: it is never written into the CronJob, the
    ScheduledJob's status, Events or logs. Values from Secrets are also left out of the run's
    log context.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    "has(self.secretKeyRef) != has(self.configMapKeyRef)",
                    "set exactly one of secretKeyRef or configMapKeyRef",
                )
            ]
        }
    )

    key: DataKey
    """Job data parameter name the value is delivered as."""
    secret_key_ref: KeySelector | None = None
    """Take the value from this Secret key (kept out of logs)."""
    config_map_key_ref: KeySelector | None = None
    """Take the value from this ConfigMap key."""


_ID_PROBLEMS = {
    "tenantId": ("omit tenantId for a system job", "tenant_id"),
    "applicationUserId": (
        "omit applicationUserId to act as the operator's default admin user",
        "application_user_id",
    ),
}
_PADDED = "has leading or trailing whitespace, which the run would not see: write the ID alone"


class JobContext(ApiModel):
    """Who a run acts for: tenant and user, or the system when no tenant is set.

    Three modes, as in the BaseJob framework: tenant and user; tenant only (the user is the
    operator's configured default admin user); system (neither).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    "!has(self.applicationUserId) || has(self.tenantId)",
                    "applicationUserId needs tenantId: a system job (no tenant) acts for no user",
                    field_path=".applicationUserId",
                ),
                *(
                    rule
                    for field, (empty, _) in _ID_PROBLEMS.items()
                    for rule in (
                        cel(
                            f"!has(self.{field}) || type(self.{field}) != string || "
                            f"self.{field} != ''",
                            f"{field} is empty: {empty}",
                            field_path=f".{field}",
                        ),
                        cel(
                            f"!has(self.{field}) || type(self.{field}) != string || "
                            f"self.{field} == self.{field}.trim()",
                            f"{field} {_PADDED}",
                            field_path=f".{field}",
                        ),
                    )
                ),
            ]
        }
    )

    tenant_id: ContextId | None = None
    """Tenant the run acts for: an integer (0 to 2^53-1) or a string of at most 128
    characters, neither empty nor padded with whitespace; leave unset for a system job."""
    application_user_id: ContextId | None = None
    """Application user the run acts as (an ID like tenantId); defaults to the operator's
    default admin user when a tenant is set."""
    correlation_id: Identifier | None = None
    """Correlation prefix chosen by the scheduler (for example `daily-reports`); every run
    still gets its own unique correlation ID that starts with it."""

    @model_validator(mode="after")
    def _ids_as_admission_checks(self) -> JobContext:
        for field, (empty, attribute) in _ID_PROBLEMS.items():
            value = getattr(self, attribute)
            problem = None
            if isinstance(value, int) and not 0 <= value <= MAX_SAFE_INTEGER:
                problem = f"is out of range: an integer ID is between 0 and {MAX_SAFE_INTEGER}"
            elif value == "":
                problem = f"is empty: {empty}"
            elif isinstance(value, str) and len(value) > ID_MAX_LENGTH:
                problem = f"is longer than {ID_MAX_LENGTH} characters"
            elif isinstance(value, str) and value != value.strip():
                problem = _PADDED
            if problem is not None:
                message = f"{field} {problem}"
                raise ValueError(message)
        return self


class EnvVar(ApiModel):
    """An extra environment variable for the job's container."""

    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=256, pattern=r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"),
    ]
    """Variable name. Names starting with BASEJOB_ are reserved for the runtime contract."""
    value: Annotated[str, StringConstraints(max_length=32768)] = ""
    """Variable value. As in any container, `$(NAME)` is replaced by the value of a variable
    defined before it (the runtime contract's `BASEJOB_*` included) and `$$` writes a single
    `$`. Tenant, user and data values are escaped by the operator; these are not."""


_LOCAL_DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_YEAR = "int(self.substring(0, 4))"
_LEAP_YEAR = f"({_YEAR} % 4 == 0 && ({_YEAR} % 100 != 0 || {_YEAR} % 400 == 0))"
# The pattern allows 31 days in every month; this rule knows the calendar.
_DAY_EXISTS = cel(
    f"!self.matches('{_LOCAL_DATE}') || int(self.substring(8, 10)) <= "
    f"(self.substring(5, 7) == '02' ? ({_LEAP_YEAR} ? 29 : 28) "
    ": (self.substring(5, 7) in ['04', '06', '09', '11'] ? 30 : 31))",
    "excludeDates: no such date (the month has fewer days)",
    message_expression="'excludeDates: ' + self + ' does not exist (the month has fewer days)'",
)
_YEARS = f"the years {FIRST_YEAR} to {LAST_YEAR}, the range of the schedule engine"
_YEAR_IN_RANGE = cel(
    f"!self.matches('{_LOCAL_DATE}') || ({_YEAR} >= {FIRST_YEAR} && {_YEAR} <= {LAST_YEAR})",
    f"excludeDates are in {_YEARS}",
    message_expression=f"'excludeDates: ' + self + ' is outside {_YEARS}'",
)


def _day_exists(text: str) -> str:
    if not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        message = f"excludeDates: {text} is outside the years {FIRST_YEAR} to {LAST_YEAR}"
        raise ValueError(message)
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        message = f"excludeDates: {text} does not exist (the month has fewer days)"
        raise ValueError(message) from None
    return text


# A local date (in the ScheduledJob's time zone), as ISO 8601 writes it.
LocalDate = Annotated[
    str,
    StringConstraints(min_length=10, max_length=10, pattern=_LOCAL_DATE),
    AfterValidator(_day_exists),
    Field(json_schema_extra={"x-kubernetes-validations": [_YEAR_IN_RANGE, _DAY_EXISTS]}),
]


class Misfire(ApiModel):
    """What to do with fire times at which no run could start (operator down, Forbid).

    Setting it makes the operator start the runs itself (a CronJob offers no such policy).
    """

    policy: Literal["FireOnceNow", "DoNothing", "FireAll"] = "FireOnceNow"
    """FireOnceNow (Quartz's smart policy for cron triggers): one run now for the latest
    missed fire time, the others skipped. DoNothing: skip missed fire times, wait for the next
    one. FireAll: a run for every missed fire time, oldest first, up to maxRuns (one at a time
    under concurrencyPolicy Forbid)."""
    threshold_seconds: Annotated[int, Field(ge=1, le=86400)] = 60
    """How late a run may start and still count as on time (Quartz's misfireThreshold), 1 to
    86400 (a day)."""
    catch_up_window_seconds: Annotated[int, Field(ge=1, le=MAX_SECONDS)] | None = None
    """Fire times older than this are skipped whatever the policy, 1 to 315360000 (ten years);
    unset: no limit."""
    max_runs: Annotated[int, Field(ge=1, le=100)] = 10
    """FireAll: at most this many catch-up runs (1 to 100); older missed fire times are
    skipped."""


_SPEC_RULES: list[JsonValue] = [
    cel(
        "[has(self.schedule), has(self.runAt), has(self.delay)].filter(x, x).size() == 1",
        "set exactly one of schedule (runs on a schedule), runAt or delay (runs once)",
    ),
    cel(
        "!has(self.ttlSecondsAfterRun) || !has(self.schedule)",
        "ttlSecondsAfterRun applies to a ScheduledJob that runs once (runAt or delay), "
        "not to one with a schedule",
        field_path=".ttlSecondsAfterRun",
    ),
    cel(
        "!has(self.ttlSecondsAfterFinished) || self.ttlSecondsAfterFinished > 0 || "
        "((!has(self.successfulRunsHistoryLimit) || self.successfulRunsHistoryLimit == 0) "
        "&& (!has(self.failedRunsHistoryLimit) || self.failedRunsHistoryLimit == 0))",
        "ttlSecondsAfterFinished: 0 deletes finished runs at once, which contradicts keeping "
        "successfulRunsHistoryLimit or failedRunsHistoryLimit runs; set it above 0 or both "
        "limits to 0",
        field_path=".ttlSecondsAfterFinished",
    ),
    cel(
        "has(self.schedule) || (!has(self.misfire) && (!has(self.jitterSeconds) || "
        "self.jitterSeconds == 0) && (!has(self.excludeDates) || size(self.excludeDates) == 0))",
        "misfire, jitterSeconds and excludeDates apply to a ScheduledJob with a schedule, not "
        "to one that runs once (runAt or delay)",
    ),
    cel(
        "!has(self.env) || self.env.all(e, !e.name.startsWith('BASEJOB_'))",
        "env names starting with BASEJOB_ are reserved for the runtime contract",
        field_path=".env",
    ),
]


class ScheduledJobSpec(ApiModel):
    """What to run, when, for whom, and how."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": _SPEC_RULES})

    job: JobReference
    """Which BaseJob the runtime runs: a registered name (`DataCleanupJob`) or `module:Class`."""
    schedule: ScheduleExpression | None = None
    """When to run, repeatedly (set exactly one of schedule, runAt and delay). Kubernetes
    cron (5 fields: minute hour day-of-month month day-of-week, or
    @hourly, @daily, @weekly, @monthly, @yearly) or Quartz cron (6 or 7 fields: seconds
    minutes hours day-of-month month day-of-week [year], `?`, `L`, `W`, `#`, day-of-week
    1=Sunday). A schedule a Kubernetes CronJob can express exactly runs as a CronJob; any other
    (seconds other than 0, L, W, #, years) the operator triggers itself, to the second."""
    run_at: RunAt | None = None
    """Run once, at this time (RFC 3339 with an offset, for example 2026-12-24T18:00:00Z, in
    the years 1970 to 2099 as written), instead of on a schedule. A time in the past runs at
    once. The run happens exactly once, across operator restarts."""
    delay: Duration | None = None
    """Run once, this long after the ScheduledJob was created (90s, 10m, 1h30m: up to three
    parts of hours, minutes and seconds; at most 87600h, ten years), instead of on a
    schedule."""
    ttl_seconds_after_run: Annotated[int, Field(ge=0, le=MAX_SECONDS)] | None = None
    """For runAt or delay: delete this ScheduledJob (and its run) this many seconds after the
    run finished, 0 to 315360000 (ten years). Unset keeps it."""
    jitter_seconds: Annotated[int, Field(ge=0, le=3600)] = 0
    """Start each scheduled run up to this many seconds (0 to 3600) after its fire time, by an
    offset fixed for this ScheduledJob (the same across operator restarts and replicas), so
    that many ScheduledJobs sharing a schedule do not all start in the same second. Above 0,
    the operator starts the runs itself."""
    exclude_dates: Annotated[list[LocalDate], Field(max_length=1000)] = Field(default_factory=list)
    """Local dates (YYYY-MM-DD in timeZone, years 1970 to 2099; at most 1000) on which
    scheduled runs do not start, for example public holidays. The operator starts the runs
    itself when any are set."""
    misfire: Misfire | None = None
    """What happens to fire times at which no run could start; the operator starts the runs
    itself when set. Unset: as the CronJob controller does (startingDeadlineSeconds)."""
    time_zone: TimeZoneName | None = None
    """IANA time zone the schedule is evaluated in (for example Europe/Berlin); default UTC.
    Only the database's own names: not localtime, posixrules, Factory, or posix/ and right/
    copies, whose meaning depends on the host."""
    suspend: bool = False
    """Stop starting new runs; runs in progress continue."""
    context: JobContext = Field(default_factory=JobContext)
    """Tenant, user and correlation prefix the runs carry."""
    data: Annotated[dict[DataKey, JobDataValue], Field(max_length=64)] = Field(default_factory=dict)
    """Job data map: parameter name to a string, integer, number or boolean (not null; at
    most 64 entries, 65536 characters as JSON)."""
    data_from: Annotated[list[DataFromSource], Field(max_length=32)] = Field(default_factory=list)
    """Job data values taken from Secrets or ConfigMaps, by reference."""
    concurrency_policy: Literal["Allow", "Forbid", "Replace"] = "Forbid"
    """What to do when a run is due while the previous one still runs: Forbid skips the new
    run (the BaseJob default, like DisallowConcurrentExecution), Replace stops the old one,
    Allow runs both."""
    starting_deadline_seconds: Annotated[int, Field(ge=1, le=MAX_SECONDS)] | None = None
    """How late a missed run may still start (misfire handling), 1 to 315360000 (ten years);
    unset means no deadline."""
    retries: Annotated[int, Field(ge=0, le=10)] = 0
    """How often (0 to 10) a run that failed with a transient error is retried; fatal errors
    are not."""
    timeout_seconds: Annotated[int, Field(ge=1, le=MAX_SECONDS)] | None = None
    """Stop a run after this long (the Job's activeDeadlineSeconds), 1 to 315360000 (ten
    years)."""
    successful_runs_history_limit: Annotated[int, Field(ge=0, le=100)] = 3
    """How many finished successful runs (Jobs) to keep, 0 to 100."""
    failed_runs_history_limit: Annotated[int, Field(ge=0, le=100)] = 1
    """How many failed runs (Jobs) to keep, 0 to 100."""
    ttl_seconds_after_finished: Annotated[int, Field(ge=0, le=MAX_SECONDS)] | None = None
    """Delete a finished run this long after it ended, whatever the history limits say, 0 to
    315360000 (ten years; within the Job's int32)."""
    image: (
        Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^\S+$")] | None
    ) = None
    """Container image of the runtime; default from the operator's settings."""
    resources: Resources | None = None
    """Compute resources of the job's container, checked as Kubernetes checks a Pod's:
    cpu, memory, ephemeral-storage, hugepages-<size> or qualified extended resources
    (example.com/gpu, whole numbers, request equal to limit); quantities of at most 64
    characters."""
    service_account_name: ObjectName | None = None
    """ServiceAccount the run's Pod uses; default the namespace's `default`."""
    env: Annotated[list[EnvVar], Field(max_length=64)] = Field(default_factory=list)
    """Extra environment variables for the job's container."""
    node_selector: Annotated[dict[QualifiedName, LabelValue], Field(max_length=64)] = Field(
        default_factory=dict,
        json_schema_extra={"x-kubernetes-validations": [qualified_keys("nodeSelector")]},
    )
    """Node labels the run's Pod must be scheduled on."""
    tolerations: Annotated[list[Toleration], Field(max_length=32)] = Field(default_factory=list)
    """Taints the run's Pod tolerates."""
    pod_labels: Annotated[dict[QualifiedName, LabelValue], Field(max_length=64)] = Field(
        default_factory=dict,
        json_schema_extra={
            "x-kubernetes-validations": [
                qualified_keys("podLabels"),
                podfields.reserved_keys(
                    "podLabels",
                    podfields.JOB_CONTROLLER_LABELS,
                    (),
                    podfields.JOB_CONTROLLER_LABELS_WHY,
                ),
            ]
        },
    )
    """Extra labels for the run's Pods (the operator's own labels win on conflict; the Job
    controller's own, job-name and controller-uid, are refused)."""
    pod_annotations: Annotated[dict[QualifiedName, AnnotationValue], Field(max_length=64)] = Field(
        default_factory=dict,
        json_schema_extra={
            "x-kubernetes-validations": [
                qualified_keys("podAnnotations"),
                podfields.reserved_keys(
                    "podAnnotations",
                    podfields.RESERVED_POD_ANNOTATIONS,
                    podfields.RESERVED_POD_ANNOTATION_PREFIXES,
                    podfields.RESERVED_POD_ANNOTATIONS_WHY,
                ),
            ]
        },
    )
    """Extra annotations for the run's Pods (not those Kubernetes reads as Pod settings:
    mirror-pod, tolerations, pod-deletion-cost, seccomp and AppArmor)."""

    # CEL cannot type `data` (its values are a union), so these checks run in the operator
    # and surface as Ready=False with reason InvalidSpec. Keys are shown cut short: a message
    # must not grow with what a user wrote.
    @field_validator("data", mode="before")
    @classmethod
    def _data_is_flat(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for key, value in data.items():
            if not re.fullmatch(DATA_KEY, str(key)) or len(str(key)) > DATA_KEY_MAX_LENGTH:
                message = (
                    f"key {shown(key)} is not a data key: start with a letter or _, then "
                    f"letters, digits or _ (at most {DATA_KEY_MAX_LENGTH})"
                )
                raise ValueError(message)
            if value is None or isinstance(value, dict | list):
                kind = (
                    "null"
                    if value is None
                    else "an object"
                    if isinstance(value, dict)
                    else "a list"
                )
                message = (
                    f"{key} is {kind}: data values are strings, integers, numbers or booleans; "
                    "pass structured data as a JSON string"
                )
                raise ValueError(message)
        return data

    @field_validator("data", mode="after")
    @classmethod
    def _data_fits_the_environment(
        cls, data: dict[str, str | int | float | bool]
    ) -> dict[str, str | int | float | bool]:
        size = len(json.dumps(data, sort_keys=True, separators=(",", ":")))
        if size > DATA_MAX_JSON_LENGTH:
            message = (
                f"the data map is {size} characters as JSON, above the limit of "
                f"{DATA_MAX_JSON_LENGTH} (it reaches the run as one environment variable); "
                "pass large inputs by reference (dataFrom, or a ConfigMap the job reads)"
            )
            raise ValueError(message)
        return data

    @staticmethod
    def canonical_time_zone(name: str) -> zoneinfo.ZoneInfo:
        """The zone `name` if it is the IANA database's (Europe/Berlin, UTC, US/Eastern, as
        Python's zoneinfo lists them); ZoneInfoNotFoundError for any other, the host's own zone
        files (localtime, posixrules, posix/...) included."""
        if name not in _canonical_time_zones():
            message = f"{name!r} is not a time zone of the IANA database"
            raise zoneinfo.ZoneInfoNotFoundError(message)
        return zoneinfo.ZoneInfo(name)

    @field_validator("node_selector", "pod_labels", "pod_annotations", mode="before")
    @classmethod
    def _keys_are_label_keys(cls, mapping: Any, info: ValidationInfo) -> Any:
        return podfields.qualified_map(to_camel(str(info.field_name)), mapping)

    @field_validator("pod_labels")
    @classmethod
    def _no_job_controller_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return podfields.refuse_reserved(
            "podLabels",
            labels,
            podfields.JOB_CONTROLLER_LABELS,
            (),
            podfields.JOB_CONTROLLER_LABELS_WHY,
        )

    @field_validator("pod_annotations")
    @classmethod
    def _no_pod_setting_annotations(cls, annotations: dict[str, str]) -> dict[str, str]:
        return podfields.refuse_reserved(
            "podAnnotations",
            annotations,
            podfields.RESERVED_POD_ANNOTATIONS,
            podfields.RESERVED_POD_ANNOTATION_PREFIXES,
            podfields.RESERVED_POD_ANNOTATIONS_WHY,
        )

    @model_validator(mode="after")
    def _data_keys_are_unique(self) -> ScheduledJobSpec:
        both = sorted(set(self.data) & {source.key for source in self.data_from})
        if both:
            message = f"keys {both} are set in both data and dataFrom; keep each in one place"
            raise ValueError(message)
        return self


# A moment of the status, written as Kubernetes writes times: UTC, whole seconds, a Z.
Time = Annotated[
    datetime.datetime, PlainSerializer(timestamps.rfc3339, return_type=str, when_used="json")
]


class Condition(ApiModel):
    """A condition in the Kubernetes convention."""

    type: str
    """Condition type, for example Ready."""
    status: Literal["True", "False", "Unknown"]
    """True, False or Unknown."""
    reason: str
    """Machine-readable CamelCase reason of the last transition."""
    message: str = ""
    """Human-readable details."""
    last_transition_time: Time
    """When the status last changed."""
    observed_generation: int
    """The spec generation the condition describes."""


class RunReference(ApiModel):
    """A run (Job) in progress."""

    job_name: str
    """Name of the Job."""
    correlation_id: str
    """The run's correlation ID, as its logs and metrics carry it."""
    start_time: Time | None = None
    """When the Job started."""


class LastRun(ApiModel):
    """The most recently finished run."""

    job_name: str
    """Name of the Job."""
    correlation_id: str
    """The run's correlation ID, as its logs and metrics carry it."""
    result: Literal["Succeeded", "Failed"]
    """Succeeded or Failed."""
    start_time: Time | None = None
    """When the Job started."""
    completion_time: Time | None = None
    """When it finished."""
    duration_seconds: float | None = None
    """How long it took."""
    error_type: str | None = None
    """For a failed run: the job's exception class, from the runtime's termination message."""
    reason: str | None = None
    """For a failed run: the Kubernetes reason (BackoffLimitExceeded, DeadlineExceeded, ...)."""
    message: str | None = None
    """For a failed run: a short explanation."""


class TriggerRecord(ApiModel):
    """The last trigger token the operator acted on."""

    token: str
    """The value of the trigger annotation."""
    job_name: str | None = None
    """The run it started (unset when concurrencyPolicy Forbid skipped it)."""
    time: Time
    """When the operator acted on it."""


class OneShot(ApiModel):
    """The single run of a ScheduledJob with runAt or delay."""

    due_time: Time
    """When the run is due."""
    job_name: str | None = None
    """The run's Job, once started (it stays recorded after the Job is gone)."""
    finished_time: Time | None = None
    """When the run finished."""


class ScheduledJobStatus(ApiModel):
    """What the operator observed and did; written by the operator only.

    Its wire form leaves out what was never set (`to_api`), so that a status read back and
    written again keeps exactly the fields it had; fields it does not know are kept too.
    """

    model_config = ConfigDict(extra="allow")

    def to_api(self) -> dict[str, Any]:
        """The wire form: camelCase keys; fields never set, and unset optional ones, left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)

    observed_generation: int | None = None
    """The spec generation this status describes."""
    conditions: list[Condition] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    """Ready (the CronJob is in place and matches the spec) and ScheduleValid."""
    cron_job_name: str | None = None
    """Name of the CronJob that starts the runs."""
    schedule: str | None = None
    """The schedule as the CronJob runs it (Quartz expressions translated)."""
    last_schedule_time: Time | None = None
    """When a run was last started."""
    last_successful_time: Time | None = None
    """When a run last succeeded."""
    next_schedule_time: Time | None = None
    """When the next run is due (unset while suspended)."""
    active: list[RunReference] = Field(default_factory=list)
    """Runs in progress."""
    last_run: LastRun | None = None
    """The most recently finished run."""
    last_trigger: TriggerRecord | None = None
    """The last trigger token acted on (annotation jobs.connectflow.io/trigger)."""
    one_shot: OneShot | None = None
    """For runAt or delay: when the single run is due, and its Job once started."""
    missed_runs: Annotated[int, Field(ge=0)] = 0
    """Fire times of the schedule at which no run started (counted since creation)."""
    last_missed_time: Time | None = None
    """The latest fire time at which no run started."""
    last_checked_fire_time: Time | None = None
    """The latest fire time already checked for a missed run (each is counted once)."""
    scheduled_by: Literal["CronJob", "Operator"] | None = None
    """Who starts the scheduled runs: a Kubernetes CronJob, or the operator itself (for
    schedules and features a CronJob cannot express; the reason is in the Ready condition)."""
    next_fire_times: Annotated[list[Time], Field(max_length=5)] = Field(default_factory=list)
    """The next five fire times of the schedule (excluded dates left out, before jitter)."""
    last_fire_time: Time | None = None
    """Operator-started schedules: the latest fire time handled (started or skipped); each
    fire time is handled once, across operator restarts and replicas."""
    jitter_offset_seconds: int | None = None
    """Operator-started schedules: this ScheduledJob's fixed delay after each fire time."""


class ScheduledJob(ApiModel):
    """A job that runs on a schedule in the BaseJob runtime, with tenant and correlation context."""

    model_config = ConfigDict(extra="ignore")

    spec: ScheduledJobSpec
    """What to run, when, for whom, and how."""
    status: ScheduledJobStatus | None = None
    """What the operator observed and did."""
