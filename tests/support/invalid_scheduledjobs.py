"""A corpus of invalid ScheduledJobs, each with where it is refused and how.

`Refused`: the API server answers 422 at admission (schema, CEL or object-meta validation) with
a message containing `fragment`. `Reported`: admission cannot tell (a cron expression's meaning,
an IANA zone, the untyped `data` map), so the object is stored and the operator reports
`Ready=False` with `reason` and a message containing `fragment`.

`LITERAL_DATA` are valid: data values that look like shell, SQL or template injections are
data, and must reach the job exactly as written.

`BOUNDS` are the values just past the API's stated bounds (ten years for every duration, the
years 1970-2099 for every date, int32 where Kubernetes has it): within them the operator's
datetime arithmetic cannot overflow from any moment of those years.

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
_TEN_YEARS = 315_360_000
_INT32_OVER = 2**31
_INT64_OVER = 2**63
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
    _refused("tenant-boolean", {"context": {"tenantId": True}}, "spec.context.tenantId"),
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
    # Zone files of the host, not names of the database: what they mean depends on the machine.
    _zone("zone-posixrules", "posixrules"),
    _zone("zone-localtime", "localtime"),
    _zone("zone-factory", "Factory"),
    _zone("zone-local", "Local"),
    _zone("zone-posix-copy", "posix/Europe/Berlin"),
    _zone("zone-right-copy", "right/UTC"),
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
    # The API server would drop a null without a word; kept (nullable), the operator says so.
    _data("data-null", {"Kept": 1, "Gone": None}, "Gone is null"),
    Case(
        "data-and-data-from",
        {
            "data": {"Token": "x"},
            "dataFrom": [{"key": "Token", "secretKeyRef": {"name": "s", "key": "t"}}],
        },
        Reported("InvalidSpec", "both data and dataFrom"),
    ),
]


def _once(id_: str, spec: dict[str, Any], fragment: str) -> Case:
    return _refused(id_, {"schedule": None, **spec}, fragment)


def _noexecute(seconds: int) -> dict[str, Any]:
    return {
        "tolerations": [
            {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
        ]
    }


_RUN_AT_SHAPE = "spec.runAt in body should match"
_DELAY_MAX = "is above 87600h (ten years)"
BOUNDS = [
    _once("run-at-year-0000", {"runAt": "0000-01-01T00:00:00Z"}, _RUN_AT_SHAPE),
    _once("run-at-year-1-offset", {"runAt": "0001-01-01T00:00:00+01:00"}, _RUN_AT_SHAPE),
    _once("run-at-year-9999-offset", {"runAt": "9999-12-31T23:59:59-01:00"}, _RUN_AT_SHAPE),
    _once("run-at-1969", {"runAt": "1969-12-31T23:59:59Z"}, _RUN_AT_SHAPE),
    _once("run-at-2100", {"runAt": "2100-01-01T00:00:00Z"}, _RUN_AT_SHAPE),
    _once("run-at-offset-24h", {"runAt": "2030-01-01T00:00:00+24:00"}, _RUN_AT_SHAPE),
    _once("run-at-no-offset", {"runAt": "2030-01-01T00:00:00"}, "spec.runAt"),
    _once("run-at-epoch-number", {"runAt": 1893456000}, "spec.runAt"),
    _once("run-at-no-such-day", {"runAt": "2030-02-30T00:00:00Z"}, "spec.runAt"),
    _once("delay-millions-of-hours", {"delay": "9999999h"}, "spec.delay"),
    _once("delay-87601h", {"delay": "87601h"}, f"delay 87601h {_DELAY_MAX}"),
    _once("delay-seconds-over", {"delay": "315360001s"}, _DELAY_MAX),
    _once("delay-minutes-over", {"delay": "5256001m"}, _DELAY_MAX),
    _once("delay-one-second-over", {"delay": "87600h1s"}, _DELAY_MAX),
    _once("delay-go-overflow", {"delay": "99999h99999h99999h"}, _DELAY_MAX),
    _once("delay-four-parts", {"delay": "1h1m1s1s"}, "spec.delay"),
    _once(
        "ttl-after-run-over",
        {"delay": "1h", "ttlSecondsAfterRun": _TEN_YEARS + 1},
        "spec.ttlSecondsAfterRun",
    ),
    _refused(
        "starting-deadline-over", {"startingDeadlineSeconds": _TEN_YEARS + 1}, "startingDeadline"
    ),
    _refused(
        "starting-deadline-int64", {"startingDeadlineSeconds": _INT64_OVER - 1}, "startingDeadline"
    ),
    _refused(
        "catch-up-window-over",
        {"misfire": {"catchUpWindowSeconds": _TEN_YEARS + 1}},
        "spec.misfire.catchUpWindowSeconds",
    ),
    _refused("misfire-threshold-over", {"misfire": {"thresholdSeconds": 86401}}, "threshold"),
    _refused("misfire-max-runs-101", {"misfire": {"maxRuns": 101}}, "spec.misfire.maxRuns"),
    _refused("timeout-over", {"timeoutSeconds": _TEN_YEARS + 1}, "spec.timeoutSeconds"),
    _refused("timeout-past-int64", {"timeoutSeconds": _INT64_OVER}, "spec.timeoutSeconds"),
    _refused(
        "ttl-after-finished-int32", {"ttlSecondsAfterFinished": _INT32_OVER}, "ttlSecondsAfter"
    ),
    _refused(
        "ttl-after-finished-over", {"ttlSecondsAfterFinished": _TEN_YEARS + 1}, "ttlSecondsAfter"
    ),
    _refused("retries-int32", {"retries": _INT32_OVER}, "spec.retries"),
    _refused("failed-history-int32", {"failedRunsHistoryLimit": _INT32_OVER}, "failedRunsHist"),
    _refused("jitter-int64", {"jitterSeconds": _INT64_OVER - 1}, "spec.jitterSeconds"),
    _refused("toleration-seconds-over", _noexecute(_TEN_YEARS + 1), "tolerationSeconds"),
    _refused("toleration-seconds-int64", _noexecute(_INT64_OVER - 1), "tolerationSeconds"),
    _refused("toleration-seconds-negative", _noexecute(-1), "tolerationSeconds"),
    _refused("exclude-year-0000", {"excludeDates": ["0000-01-01"]}, "0000-01-01 is outside"),
    _refused("exclude-year-1969", {"excludeDates": ["1969-12-31"]}, "years 1970 to 2099"),
    _refused("exclude-year-2100", {"excludeDates": ["2100-01-01"]}, "2100-01-01 is outside"),
]

_QUANTITY_RULE = "a resource quantity is a non-negative number"
_NAME_RULE = "resource names are cpu, memory, ephemeral-storage, hugepages-<size>"
_WHOLE = "take whole numbers"
_PAGES = "takes a whole number of pages"
_EQUAL = "equal to it for extended resources and hugepages"


def _resources(
    id_: str, limits: dict[str, Any] | None, requests: dict[str, Any] | None, fragment: str
) -> Case:
    resources = {"limits": limits, "requests": requests}
    spec = {"resources": {key: value for key, value in resources.items() if value is not None}}
    return _refused(id_, spec, fragment)


RESOURCES = [
    _resources("resources-not-a-quantity", {"cpu": "lots"}, None, _QUANTITY_RULE),
    _resources("resources-negative", {"cpu": "-1"}, None, _QUANTITY_RULE),
    _resources("resources-negative-integer", None, {"memory": -1}, "spec.resources.requests"),
    _resources("resources-exponent-overflow", {"memory": "1e999"}, None, _QUANTITY_RULE),
    _resources("resources-oversized", {"memory": "1" * 65}, None, "spec.resources.limits"),
    _resources("resources-integer-over", {"memory": 2**53}, None, "spec.resources.limits"),
    _resources("resources-unqualified-gpu", {"gpu": 1}, None, _NAME_RULE),
    _resources("resources-requests-prefix", {"requests.example.com/gpu": 1}, None, _NAME_RULE),
    _resources("resources-pods", None, {"pods": 1}, _NAME_RULE),
    _resources("resources-name-shell", {"$(id)": 1}, None, _NAME_RULE),
    _resources("resources-fractional-gpu", {"example.com/gpu": "500m"}, None, _WHOLE),
    _resources("resources-fractional-gpu-request", {"nvidia.com/gpu": "0.5"}, None, _WHOLE),
    _resources("resources-gpu-request-alone", None, {"nvidia.com/gpu": 1}, "overcommitted"),
    _resources("resources-gpu-request-below", {"nvidia.com/gpu": 2}, {"nvidia.com/gpu": 1}, _EQUAL),
    _resources(
        "resources-request-over-limit", {"memory": "128Mi"}, {"memory": "1Gi"}, "at most its limit"
    ),
    _resources(
        "resources-hugepages-partial-page", {"hugepages-2Mi": "3Mi", "memory": "1Gi"}, None, _PAGES
    ),
    _resources("resources-hugepages-no-size", {"hugepages-x": "4Mi", "cpu": 1}, None, _PAGES),
    _resources("resources-hugepages-alone", {"hugepages-2Mi": "4Mi"}, None, "need a cpu or memory"),
    _resources(
        "resources-hugepages-overcommitted",
        {"hugepages-1Gi": "2Gi", "memory": "1Gi"},
        {"hugepages-1Gi": "1Gi"},
        _EQUAL,
    ),
    _resources(
        "resources-17-names",
        {f"example.com/r{i}": 1 for i in range(17)},
        None,
        "spec.resources.limits",
    ),
]

_JOB_CONTROLLER = "are set by the Job controller"
_POD_SETTINGS = "read by Kubernetes as Pod settings"
_KEY_RULE = "keys are never '.' nor start with '..'"


def _key_ref(key: str) -> dict[str, Any]:
    return {"dataFrom": [{"key": "K", "configMapKeyRef": {"name": "c", "key": key}}]}


OWNED_KEYS = [
    _refused("label-job-name", {"podLabels": {"job-name": "x"}}, _JOB_CONTROLLER),
    _refused("label-controller-uid", {"podLabels": {"controller-uid": "x"}}, _JOB_CONTROLLER),
    _refused(
        "label-batch-job-name",
        {"podLabels": {"team": "a", "batch.kubernetes.io/job-name": "x"}},
        _JOB_CONTROLLER,
    ),
    _refused(
        "label-batch-controller-uid",
        {"podLabels": {"batch.kubernetes.io/controller-uid": "x"}},
        _JOB_CONTROLLER,
    ),
    _refused(
        "annotation-mirror", {"podAnnotations": {"kubernetes.io/config.mirror": "x"}}, _POD_SETTINGS
    ),
    _refused(
        "annotation-tolerations",
        {"podAnnotations": {"scheduler.alpha.kubernetes.io/tolerations": "[{"}},
        _POD_SETTINGS,
    ),
    _refused(
        "annotation-deletion-cost",
        {"podAnnotations": {"controller.kubernetes.io/pod-deletion-cost": "lots"}},
        _POD_SETTINGS,
    ),
    _refused(
        "annotation-seccomp",
        {"podAnnotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}},
        _POD_SETTINGS,
    ),
    _refused(
        "annotation-apparmor",
        {"podAnnotations": {"container.apparmor.security.beta.kubernetes.io/job": "unconfined"}},
        _POD_SETTINGS,
    ),
    _refused("data-from-key-dot", _key_ref("."), _KEY_RULE),
    _refused("data-from-key-dot-dot", _key_ref(".."), _KEY_RULE),
    _refused("data-from-key-dot-dot-prefix", _key_ref("..data"), _KEY_RULE),
]

CONTEXT = [
    _refused("tenant-empty", {"context": {"tenantId": ""}}, "omit tenantId for a system job"),
    _refused("tenant-blank", {"context": {"tenantId": "  "}}, "tenantId has leading or trailing"),
    _refused("tenant-padded", {"context": {"tenantId": " 7"}}, "tenantId has leading"),
    _refused("tenant-negative", {"context": {"tenantId": -1}}, "spec.context.tenantId"),
    _refused("tenant-integer-over", {"context": {"tenantId": 2**53}}, "spec.context.tenantId"),
    _refused("tenant-oversized", {"context": {"tenantId": "t" * 129}}, "spec.context.tenantId"),
    _refused(
        "user-empty",
        {"context": {"tenantId": 7, "applicationUserId": ""}},
        "omit applicationUserId to act as the operator's default admin user",
    ),
    _refused(
        "user-padded",
        {"context": {"tenantId": 7, "applicationUserId": "42\n"}},
        "applicationUserId has leading or trailing",
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
    *BOUNDS,
    *RESOURCES,
    *OWNED_KEYS,
    *CONTEXT,
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
