"""A corpus of invalid ScheduledJobs, each with where it is refused and how.

`Refused`: the API server answers 422 at admission (schema, CEL or object-meta validation) with
a message containing `fragment`. `Reported`: admission cannot tell (a cron expression's meaning,
an IANA zone, the untyped `data` map), so the object is stored and the operator reports
`Ready=False` with `reason` and a message containing `fragment`.

`LITERAL_DATA` are valid: data values that look like shell, SQL or template injections are
data, and must reach the job exactly as written.

Used by tests/integration/test_invalid_corpus.py (against the API server and the operator) and
tests/unit/test_invalid_corpus.py (the operator-side cases, through `planning.plan`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

API_VERSION = "jobs.connectflow.io/v1alpha1"
BASE_SPEC: dict[str, Any] = {"job": "DataCleanupJob", "schedule": "0 2 * * *"}


@dataclass(frozen=True)
class Refused:
    """Refused at admission: HTTP 422, the message contains `fragment`."""

    fragment: str


@dataclass(frozen=True)
class Reported:
    """Admitted, then reported by the operator: Ready=False, `reason`, message has `fragment`."""

    reason: str
    fragment: str


@dataclass(frozen=True)
class Case:
    """One invalid ScheduledJob: `spec` is merged over BASE_SPEC (None drops a field)."""

    id: str
    spec: dict[str, Any]
    expected: Refused | Reported
    name: str | None = None
    """metadata.name when it is what is wrong; otherwise the id."""

    def manifest(self) -> dict[str, Any]:
        """The ScheduledJob as a client would send it."""
        merged = {**BASE_SPEC, **self.spec}
        return {
            "apiVersion": API_VERSION,
            "kind": "ScheduledJob",
            "metadata": {"name": self.name if self.name is not None else self.id},
            "spec": {key: value for key, value in merged.items() if value is not None},
        }


def _refused(id_: str, spec: dict[str, Any], fragment: str, *, name: str | None = None) -> Case:
    return Case(id_, spec, Refused(fragment), name=name)


def _schedule(id_: str, schedule: str, fragment: str) -> Case:
    return Case(id_, {"schedule": schedule}, Reported("InvalidSchedule", fragment))


def _zone(id_: str, zone: str) -> Case:
    return Case(id_, {"timeZone": zone}, Reported("InvalidTimeZone", f"{zone!r} is not a known"))


def _data(id_: str, data: dict[str, Any], fragment: str) -> Case:
    return Case(id_, {"data": data}, Reported("InvalidSpec", fragment))


_RUN_AT = "2030-01-01T00:00:00Z"
_DATA_KEY_RULE = "is not a data key"
_THOUSAND_AND_ONE_DAYS = [
    (datetime.date(2030, 1, 1) + datetime.timedelta(days=offset)).isoformat()
    for offset in range(1001)
]

NAMES = [
    _refused("name-254", {}, "must be no more than 253 characters", name="a" * 254),
    _refused("name-64", {}, "at most 63 characters", name="a" * 64),
    _refused("name-dots", {}, "DNS labels", name="has.dots"),
    _refused("name-upper-case", {}, "metadata.name", name="DataCleanup"),
    _refused("name-shell", {}, "metadata.name", name="$(rm -rf /)"),
    _refused("name-sql", {}, "metadata.name", name="x; drop table jobs"),
    _refused("name-newline", {}, "metadata.name", name="job\nrm"),
    _refused("name-template", {}, "metadata.name", name="{{ .values.name }}"),
    _refused("name-long-unicode", {}, "metadata.name", name="\u00fc" * 300),
]

TYPES_AND_RANGES = [
    _refused("schedule-number", {"schedule": 5}, "spec.schedule"),
    _refused("schedule-empty", {"schedule": ""}, "spec.schedule"),
    _refused("schedule-two-fields", {"schedule": "0 2"}, "spec.schedule"),
    _refused("schedule-eight-fields", {"schedule": "0 0 2 * * ? 2030 1"}, "spec.schedule"),
    _refused("schedule-every", {"schedule": "@every 5m"}, "spec.schedule"),
    _refused(
        "schedule-oversized", {"schedule": "0 2 * * " + ",".join(["1"] * 200)}, "spec.schedule"
    ),
    _refused("retries-string", {"retries": "3"}, "spec.retries"),
    _refused("retries-eleven", {"retries": 11}, "spec.retries"),
    _refused("retries-negative", {"retries": -1}, "spec.retries"),
    _refused("suspend-string", {"suspend": "yes"}, "spec.suspend"),
    _refused("jitter-3601", {"jitterSeconds": 3601}, "spec.jitterSeconds"),
    _refused("misfire-max-runs-0", {"misfire": {"maxRuns": 0}}, "spec.misfire.maxRuns"),
    _refused("misfire-threshold-0", {"misfire": {"thresholdSeconds": 0}}, "thresholdSeconds"),
    _refused("misfire-policy", {"misfire": {"policy": "Smart"}}, "spec.misfire.policy"),
    _refused("concurrency-policy", {"concurrencyPolicy": "Sometimes"}, "spec.concurrencyPolicy"),
    _refused("history-limit-101", {"successfulRunsHistoryLimit": 101}, "successfulRunsHistory"),
    _refused("starting-deadline-0", {"startingDeadlineSeconds": 0}, "startingDeadlineSeconds"),
    _refused("timeout-0", {"timeoutSeconds": 0}, "spec.timeoutSeconds"),
    _refused("run-at-words", {"schedule": None, "runAt": "tomorrow"}, "spec.runAt"),
    _refused("delay-words", {"schedule": None, "delay": "5 minutes"}, "spec.delay"),
    _refused("data-65-keys", {"data": {f"K{i}": i for i in range(65)}}, "spec.data"),
    _refused(
        "data-from-33",
        {
            "dataFrom": [
                {"key": f"K{i}", "configMapKeyRef": {"name": "c", "key": "k"}} for i in range(33)
            ]
        },
        "spec.dataFrom",
    ),
    _refused("service-account", {"serviceAccountName": "Admin!"}, "spec.serviceAccountName"),
]

CONFLICTS = [
    _refused("schedule-and-run-at", {"runAt": _RUN_AT}, "set exactly one of schedule"),
    _refused(
        "run-at-and-delay", {"schedule": None, "runAt": _RUN_AT, "delay": "1h"}, "exactly one"
    ),
    _refused("no-schedule-at-all", {"schedule": None}, "set exactly one of schedule"),
    _refused("ttl-after-run-scheduled", {"ttlSecondsAfterRun": 60}, "ttlSecondsAfterRun applies"),
    _refused(
        "misfire-run-at",
        {"schedule": None, "runAt": _RUN_AT, "misfire": {}},
        "misfire, jitterSeconds and excludeDates apply",
    ),
    _refused(
        "jitter-delay",
        {"schedule": None, "delay": "1h", "jitterSeconds": 30},
        "misfire, jitterSeconds and excludeDates apply",
    ),
    _refused(
        "exclude-run-at",
        {"schedule": None, "runAt": _RUN_AT, "excludeDates": ["2030-12-25"]},
        "misfire, jitterSeconds and excludeDates apply",
    ),
    _refused("ttl-0-default-limits", {"ttlSecondsAfterFinished": 0}, "contradicts keeping"),
    _refused(
        "ttl-0-failed-limit",
        {
            "ttlSecondsAfterFinished": 0,
            "successfulRunsHistoryLimit": 0,
            "failedRunsHistoryLimit": 2,
        },
        "contradicts keeping",
    ),
    _refused("user-without-tenant", {"context": {"applicationUserId": 7}}, "needs tenantId"),
    _refused(
        "data-from-both",
        {
            "dataFrom": [
                {
                    "key": "K",
                    "secretKeyRef": {"name": "s", "key": "k"},
                    "configMapKeyRef": {"name": "c", "key": "k"},
                }
            ]
        },
        "exactly one of secretKeyRef",
    ),
    _refused("data-from-neither", {"dataFrom": [{"key": "K"}]}, "exactly one of secretKeyRef"),
]

EXCLUDE_DATES = [
    _refused("exclude-month-13", {"excludeDates": ["2026-13-01"]}, "spec.excludeDates[0]"),
    _refused("exclude-february-30", {"excludeDates": ["2026-02-30"]}, "2026-02-30 does not exist"),
    _refused(
        "exclude-february-29-2027",
        {"excludeDates": ["2026-01-01", "2027-02-29"]},
        "2027-02-29 does not exist",
    ),
    _refused("exclude-april-31", {"excludeDates": ["2026-04-31"]}, "2026-04-31 does not exist"),
    _refused("exclude-short-form", {"excludeDates": ["26-1-1"]}, "spec.excludeDates[0]"),
    _refused("exclude-1001-dates", {"excludeDates": _THOUSAND_AND_ONE_DAYS}, "spec.excludeDates"),
]

JOBS_AND_ENV = [
    _refused("job-shell", {"job": "rm -rf /"}, "spec.job"),
    _refused("job-sql", {"job": "Job; DROP TABLE jobs"}, "spec.job"),
    _refused("job-template", {"job": "{{ .Values.job }}"}, "spec.job"),
    _refused("job-newline", {"job": "DataCleanupJob\nrm"}, "spec.job"),
    _refused("job-empty", {"job": ""}, "spec.job"),
    _refused("job-oversized", {"job": "J" * 254}, "spec.job"),
    _refused("job-missing", {"job": None}, "spec.job"),
    _refused(
        "env-reserved",
        {"env": [{"name": "BASEJOB_DATA", "value": "{}"}]},
        "reserved for the runtime",
    ),
    _refused(
        "env-name-shell", {"env": [{"name": "$(rm -rf /)", "value": "x"}]}, "spec.env[0].name"
    ),
    _refused("env-name-equals", {"env": [{"name": "A=B", "value": "x"}]}, "spec.env[0].name"),
    _refused("zone-shell", {"timeZone": "Europe/Berlin; rm -rf /"}, "spec.timeZone"),
    _refused("zone-traversal", {"timeZone": "../../etc/passwd"}, "spec.timeZone"),
    _refused("zone-oversized", {"timeZone": "A" * 65}, "spec.timeZone"),
    _refused("image-shell", {"image": "busybox; rm -rf /"}, "spec.image"),
    _refused(
        "data-from-key-ref",
        {"dataFrom": [{"key": "K", "secretKeyRef": {"name": "s", "key": "a b"}}]},
        "spec.dataFrom[0].secretKeyRef.key",
    ),
]

POD_FIELDS = [
    _refused(
        "label-key-shell",
        {"podLabels": {"$(rm -rf /)": "x"}},
        "podLabels keys are Kubernetes label keys",
    ),
    _refused("label-key-template", {"podLabels": {"{{ .Values }}": "x"}}, "podLabels keys"),
    _refused("label-value-sql", {"podLabels": {"team": "a'; DROP TABLE x"}}, "spec.podLabels.team"),
    _refused("label-value-64", {"podLabels": {"team": "a" * 64}}, "spec.podLabels.team"),
    _refused("annotation-key-newline", {"podAnnotations": {"a\nb": "x"}}, "podAnnotations keys"),
    _refused(
        "annotation-value-oversized",
        {"podAnnotations": {"note": "x" * 3073}},
        "spec.podAnnotations.note",
    ),
    _refused(
        "node-selector-prefix-only", {"nodeSelector": {"kubernetes.io/": "x"}}, "nodeSelector keys"
    ),
    _refused(
        "toleration-exists-value",
        {"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]},
        "leave value empty",
    ),
    _refused(
        "toleration-seconds",
        {"tolerations": [{"key": "k", "tolerationSeconds": 5}]},
        "tolerationSeconds applies",
    ),
    _refused(
        "toleration-no-key",
        {"tolerations": [{"operator": "Equal", "value": "v"}]},
        "without a key must have operator Exists",
    ),
    _refused(
        "toleration-key-shell",
        {"tolerations": [{"key": "$(id)", "operator": "Exists"}]},
        "toleration key",
    ),
]

SCHEDULES = [
    _schedule("cron-minute-60", "60 2 * * *", 'minutes field "60": 60 is out of range'),
    _schedule("cron-hour-24", "0 24 * * *", 'hours field "24"'),
    _schedule("cron-day-32", "0 2 32 * *", 'day-of-month field "32"'),
    _schedule("cron-month-13", "0 2 1 13 *", 'month field "13"'),
    _schedule("cron-weekday-8", "0 2 * * 8", 'day-of-week field "8"'),
    _schedule("cron-step-0", "*/0 2 * * *", 'the step "0" is not a positive whole number'),
    _schedule("cron-backwards", "0 5-2 * * *", 'the range "5-2" runs backwards'),
    _schedule("cron-letters", "a b c d e", 'minutes field "a"'),
    _schedule("cron-empty-item", "0 2,,3 * * *", "an empty list item"),
    _schedule("cron-macro", "@fortnightly", "unknown macro @fortnightly"),
    _schedule("cron-tz-prefix", "CRON_TZ=UTC 0 2 * * *", "set the timeZone field instead"),
    _schedule("cron-l-in-standard", "0 2 L * *", 'day-of-month field "L"'),
    _schedule("cron-february-30", "0 12 30 2 *", "would never fire"),
    _schedule("quartz-second-60", "60 0 2 * * ?", 'seconds field "60"'),
    _schedule("quartz-weekday-0", "0 0 2 ? * 0", "1 is Sunday"),
    _schedule("quartz-both-days", "0 0 2 15 * MON", "are both set"),
    _schedule("quartz-both-unset", "0 0 2 ? * ?", "are both ?"),
    _schedule("quartz-hash-6", "0 0 12 ? * 6#6", '"#6" must be followed by 1 to 5'),
    _schedule("quartz-w-range", "0 0 12 1-15W * ?", "W takes one day"),
    _schedule("quartz-l-40", "0 0 12 L-40 * ?", "the offset in L-40 is too large"),
    _schedule("quartz-february-30", "0 0 12 30 2 ?", "would never fire"),
    _schedule("quartz-april-31", "0 0 12 31 4 ?", 'day-of-month field "31"'),
    _schedule("quartz-year-1969", "0 0 12 * * ? 1969", "1969 is out of range; use 1970-2099"),
    _schedule("quartz-year-2100", "0 0 12 * * ? 2100", "2100 is out of range"),
    _schedule("quartz-leap-day-2027", "0 0 12 29 2 ? 2027", "match no day in these years"),
]

ZONES = [
    _zone("zone-mars", "Mars/Olympus"),
    _zone("zone-lower-case", "europe/berlin"),
    _zone("zone-abbreviation", "CEST"),
]

DATA = [
    _data("data-object", {"Options": {"deep": True}}, "Options is an object"),
    _data("data-list", {"Ids": [1, 2]}, "Ids is a list"),
    _data("data-key-shell", {"$(rm -rf /)": "x"}, f"key '$(rm -rf /)' {_DATA_KEY_RULE}"),
    _data("data-key-sql", {"a; DROP TABLE users": "x"}, _DATA_KEY_RULE),
    _data("data-key-newline", {"A\nB": "x"}, r"key 'A\nB' is not a data key"),
    _data("data-key-template", {"{{ .Values }}": "x"}, _DATA_KEY_RULE),
    _data("data-key-long-unicode", {"\u00c4" * 5000: "x"}, _DATA_KEY_RULE),
    _data("data-key-64", {"A" * 64: "x"}, "(at most 63)"),
    _data("data-oversized", {"Blob": "x" * 70000}, "above the limit of 65536"),
    Case(
        "data-and-data-from",
        {
            "data": {"Token": "x"},
            "dataFrom": [{"key": "Token", "secretKeyRef": {"name": "s", "key": "t"}}],
        },
        Reported("InvalidSpec", "both data and dataFrom"),
    ),
]

RESOURCES = [
    Case(
        "resources-not-a-quantity",
        {"resources": {"limits": {"cpu": "lots"}}},
        Reported(
            "InvalidSpec",
            "spec.resources.limits.cpu: Value error, 'lots' is not a Kubernetes quantity",
        ),
    ),
    Case(
        "resources-request-over-limit",
        {"resources": {"limits": {"memory": "128Mi"}, "requests": {"memory": "1Gi"}}},
        Reported("InvalidSpec", "requests.memory (1Gi) is above limits.memory (128Mi)"),
    ),
]

CORPUS: list[Case] = [
    *NAMES,
    *TYPES_AND_RANGES,
    *CONFLICTS,
    *EXCLUDE_DATES,
    *JOBS_AND_ENV,
    *POD_FIELDS,
    *SCHEDULES,
    *ZONES,
    *DATA,
    *RESOURCES,
]

LITERAL_DATA: dict[str, str | int | float | bool] = {
    "Shell": "$(rm -rf /); `id`; echo $HOME",
    "Expansion": "$(BASEJOB_JOB) and $$(BASEJOB_JOB)",
    "Sql": "'; DROP TABLE users; --",
    "Template": "{{ .Values.secret }} ${HOME}",
    "Lines": "first\nsecond\r\nthird",
    "Unicode": "Gr\u00fc\u00dfe \U0001f680 \u202e",
    "Count": 3,
}
"""Valid data values that look like injections: they must reach the job exactly as written."""

# A valid name above the CronJob's 52 characters: the CronJob's name is hashed down.
LONG_VALID_NAME = "nightly-report-for-the-tenant-with-a-long-name-0123456789abc"


def by_kind() -> dict[str, int]:
    """How many cases end at admission and how many in the operator."""
    refused = sum(isinstance(case.expected, Refused) for case in CORPUS)
    return {"refused": refused, "reported": len(CORPUS) - refused}
