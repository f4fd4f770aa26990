"""Hypothesis strategies for valid ScheduledJobs: every optional field, every kind of schedule.

Values stay within what the API accepts (the pydantic model and the CRD's rules), so any
refusal downstream, by the API server or Pod Security admission, is a bug in the builders or in
the model's limits. Numeric and time fields are drawn from their whole admitted range, bounds
included (`FIELD_RANGES`): the operator's arithmetic must hold at the edges too.
"""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st

from scheduledjob_api import base

# Run as a CronJob: five fields, macros, and Quartz that translates exactly.
CRONJOB_SCHEDULES = [
    "0 2 * * *",
    "*/15 * * * *",
    "30 8 * * MON-FRI",
    "0 0 1,15 * *",
    "5 4 * * SUN",
    "@hourly",
    "@daily",
    "@weekly",
    "0 0 2 * * ?",
    "0 0 8 ? * MON",
    "0 30 6 ? * 2-6",
    "0 0 12 1 * ?",
]
# Run by the operator: seconds, L, W, #, years.
OPERATOR_SCHEDULES = [
    "0/3 * * * * ?",
    "15 0 2 * * ?",
    "0 15 10 L * ?",
    "0 0 9 15W * ?",
    "0 15 10 ? * 6L",
    "0 15 10 ? * 6#3",
    "0 0 12 LW * ?",
    "0 15 10 ? * 6L 2027-2030",
    "0 0 12 L-3 * ?",
]
TIME_ZONES = ["UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
IMAGES = ["registry.local/scheduledjob:test", "ghcr.io/example/jobs@sha256:" + "a" * 64]

_NAME = st.from_regex(r"\A[a-z]([-a-z0-9]{0,61}[a-z0-9])?\Z", fullmatch=True)
_DATA_KEY = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,20}\Z", fullmatch=True)
_LABEL_NAME = st.from_regex(r"\A[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?\Z", fullmatch=True)
_PREFIX = st.from_regex(r"\A[a-z0-9]{1,10}([.][a-z0-9]{1,10}){0,2}\Z", fullmatch=True)
_LABEL_KEY = st.one_of(_LABEL_NAME, st.builds(lambda p, n: f"{p}/{n}", _PREFIX, _LABEL_NAME))
_LABEL_VALUE = st.one_of(st.just(""), _LABEL_NAME)
_TEXT = st.text(max_size=40)
_DATA_VALUE = st.one_of(
    _TEXT,
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)
# IDs as the runtime sees them: never empty, never padded (it trims environment variables).
_ID = st.one_of(
    st.integers(min_value=0, max_value=base.MAX_SAFE_INTEGER),
    st.text(min_size=1, max_size=128).filter(lambda text: text == text.strip()),
)
FIRST_DAY = datetime.date(base.FIRST_YEAR, 1, 1)
LAST_DAY = datetime.date(base.LAST_YEAR, 12, 31)
_DATE = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
FIELD_RANGES: dict[str, tuple[int, int]] = {
    "ttlSecondsAfterRun": (0, base.MAX_SECONDS),
    "jitterSeconds": (0, 3600),
    "misfire.thresholdSeconds": (1, 86400),
    "misfire.catchUpWindowSeconds": (1, base.MAX_SECONDS),
    "misfire.maxRuns": (1, 100),
    "startingDeadlineSeconds": (1, base.MAX_SECONDS),
    "retries": (0, 10),
    "timeoutSeconds": (1, base.MAX_SECONDS),
    "successfulRunsHistoryLimit": (0, 100),
    "failedRunsHistoryLimit": (0, 100),
    "ttlSecondsAfterFinished": (0, base.MAX_SECONDS),
    "tolerations[].tolerationSeconds": (0, base.MAX_SECONDS),
}
"""Every integer field of the spec and its admitted range (the CRD's minimum and maximum)."""


def in_range(field: str) -> st.SearchStrategy[int]:
    """Integers over the admitted range of `field`, its two bounds drawn more often."""
    low, high = FIELD_RANGES[field]
    return st.one_of(st.sampled_from([low, high]), st.integers(min_value=low, max_value=high))


# runAt as written: any second of the years 1970-2099, in any whole-minute offset under a day.
_OFFSET = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)


@st.composite
def run_at(draw: st.DrawFn) -> str:
    """An admitted runAt, the extremes (1970-01-01T00:00:00+23:59, 2099-12-31T23:59:59-23:59)
    included."""
    local = draw(
        st.one_of(
            st.sampled_from(
                [datetime.datetime(1970, 1, 1), datetime.datetime(2099, 12, 31, 23, 59, 59)]
            ),
            st.datetimes(
                min_value=datetime.datetime(1970, 1, 1),
                max_value=datetime.datetime(2099, 12, 31, 23, 59, 59),
            ),
        )
    )
    offset = draw(st.one_of(st.sampled_from([datetime.UTC]), _OFFSET))
    moment = local.replace(microsecond=draw(st.sampled_from([0, local.microsecond])))
    text = moment.replace(tzinfo=offset).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


MAX_DELAY_SECONDS = base.MAX_DELAY_HOURS * 3600


@st.composite
def delay(draw: st.DrawFn) -> str:
    """An admitted delay: hours, minutes or seconds alone or combined, up to 87600h."""
    seconds = draw(
        st.one_of(
            st.sampled_from([0, MAX_DELAY_SECONDS]),
            st.integers(min_value=0, max_value=MAX_DELAY_SECONDS),
        )
    )
    hours, rest = divmod(seconds, 3600)
    form = draw(st.sampled_from(["s", "m", "h", "hms"]))
    if form == "s":
        return f"{seconds}s"
    if form == "m":
        return f"{seconds // 60}m"
    if form == "h":
        return f"{hours}h"
    return f"{hours}h{rest // 60}m{rest % 60}s"


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


# Extended resources in whole units, in the forms Kubernetes reads as whole (2000m is 2).
_UNITS = st.integers(min_value=0, max_value=8).flatmap(
    lambda units: st.sampled_from([units, str(units), f"{units * 1000}m", f"{units}.0"])
)


@st.composite
def _resources(draw: st.DrawFn) -> dict[str, Any]:
    cpu = draw(st.integers(min_value=1, max_value=4000))
    memory = draw(st.integers(min_value=16, max_value=4096))
    limits: dict[str, Any] = {"cpu": f"{cpu}m", "memory": f"{memory}Mi"}
    requests: dict[str, Any] = {
        "cpu": f"{draw(st.integers(min_value=1, max_value=cpu))}m",
        "memory": draw(st.sampled_from([f"{memory}Mi", f"{memory * 1024 * 1024}", "8Mi"])),
    }
    if draw(st.booleans()):  # not overcommitted: the request is the limit, or left to default
        units = draw(_UNITS)
        limits["example.com/gpu"] = units
        if draw(st.booleans()):
            requests["example.com/gpu"] = draw(st.sampled_from([units, str(units)]))
    if draw(st.booleans()):
        pages = draw(st.integers(min_value=1, max_value=8))
        limits["hugepages-2Mi"] = f"{pages * 2}Mi"
        if draw(st.booleans()):
            requests["hugepages-2Mi"] = f"{pages * 2 * 1024 * 1024}"
    both = {"limits": limits, "requests": requests}
    only_limits = {"limits": limits}
    # Requests alone only for what can be overcommitted.
    only_requests = {"requests": {k: v for k, v in requests.items() if k in ("cpu", "memory")}}
    return draw(st.sampled_from([only_limits, only_requests, both]))


@st.composite
def _toleration(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        toleration: dict[str, Any] = {"key": draw(_LABEL_KEY), "operator": "Equal"}
        toleration["value"] = draw(_LABEL_VALUE)
    else:
        toleration = {"operator": "Exists"}
        if draw(st.booleans()):
            toleration["key"] = draw(_LABEL_KEY)
    effect = draw(_optional(st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"])))
    if effect is not None:
        toleration["effect"] = effect
    if effect == "NoExecute" and draw(st.booleans()):
        toleration["tolerationSeconds"] = draw(in_range("tolerations[].tolerationSeconds"))
    return toleration


_ENV = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.from_regex(r"\A[A-Z][A-Z0-9_]{0,15}\Z", fullmatch=True).filter(
                lambda name: not name.startswith("BASEJOB_")
            ),
            "value": _TEXT,
        }
    ),
    max_size=4,
    unique_by=lambda variable: variable["name"],
)
_DATA_FROM = st.lists(
    st.builds(
        lambda key, kind, name, item: {"key": key, kind: {"name": name, "key": item}},
        _DATA_KEY,
        st.sampled_from(["secretKeyRef", "configMapKeyRef"]),
        st.sampled_from(["creds", "settings"]),
        # Never `.` nor `..`-prefixed: the kubelet would take the key for a directory.
        st.from_regex(r"\A[-._a-zA-Z0-9]{1,20}\Z", fullmatch=True).filter(
            lambda key: key != "." and not key.startswith("..")
        ),
    ),
    max_size=3,
    unique_by=lambda source: source["key"],
)


@st.composite
def _when(draw: st.DrawFn) -> dict[str, Any]:
    """schedule (with its operator-only options) or runAt or delay."""
    kind = draw(st.sampled_from(["cronjob", "operator", "runAt", "delay"]))
    if kind == "runAt":
        return {"runAt": draw(run_at())}
    if kind == "delay":
        return {"delay": draw(delay())}
    if kind == "cronjob":
        return {"schedule": draw(st.sampled_from(CRONJOB_SCHEDULES))}
    # Operator-started: its own schedules, or any schedule with jitter, excludeDates or misfire.
    schedules = OPERATOR_SCHEDULES + CRONJOB_SCHEDULES
    when: dict[str, Any] = {"schedule": draw(st.sampled_from(schedules))}
    if draw(st.booleans()):
        when["jitterSeconds"] = draw(in_range("jitterSeconds"))
    if draw(st.booleans()):
        when["excludeDates"] = [
            d.isoformat() for d in draw(st.lists(_DATE, max_size=5, unique=True))
        ]
    if draw(st.booleans()):
        when["misfire"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "policy": st.sampled_from(["FireOnceNow", "DoNothing", "FireAll"]),
                    "thresholdSeconds": in_range("misfire.thresholdSeconds"),
                    "catchUpWindowSeconds": in_range("misfire.catchUpWindowSeconds"),
                    "maxRuns": in_range("misfire.maxRuns"),
                },
            )
        )
    return when


@st.composite
def _context(draw: st.DrawFn) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if draw(st.booleans()):
        context["tenantId"] = draw(_ID)
        if draw(st.booleans()):
            context["applicationUserId"] = draw(_ID)
    if draw(st.booleans()):
        context["correlationId"] = draw(
            st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,30}\Z", fullmatch=True)
        )
    return context


@st.composite
def scheduledjob_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid ScheduledJob spec, as a user would write it."""
    spec: dict[str, Any] = {"job": draw(st.sampled_from(["DataCleanupJob", "jobs.reports:Weekly"]))}
    spec.update(draw(_when()))
    data = draw(st.dictionaries(_DATA_KEY, _DATA_VALUE, max_size=5))
    data_from = [source for source in draw(_DATA_FROM) if source["key"] not in data]
    optional: dict[str, Any] = {
        "timeZone": _optional(st.sampled_from(TIME_ZONES)),
        "suspend": _optional(st.booleans()),
        "context": _optional(_context()),
        "data": st.just(data or None),
        "dataFrom": st.just(data_from or None),
        "concurrencyPolicy": _optional(st.sampled_from(["Allow", "Forbid", "Replace"])),
        "startingDeadlineSeconds": _optional(in_range("startingDeadlineSeconds")),
        "retries": _optional(in_range("retries")),
        "timeoutSeconds": _optional(in_range("timeoutSeconds")),
        "successfulRunsHistoryLimit": _optional(in_range("successfulRunsHistoryLimit")),
        "failedRunsHistoryLimit": _optional(in_range("failedRunsHistoryLimit")),
        "ttlSecondsAfterFinished": _optional(in_range("ttlSecondsAfterFinished")),
        "image": _optional(st.sampled_from(IMAGES)),
        "resources": _optional(_resources()),
        "env": _optional(_ENV),
        "nodeSelector": _optional(st.dictionaries(_LABEL_KEY, _LABEL_VALUE, max_size=3)),
        "tolerations": _optional(st.lists(_toleration(), max_size=3)),
        "podLabels": _optional(st.dictionaries(_LABEL_KEY, _LABEL_VALUE, max_size=4)),
        "podAnnotations": _optional(st.dictionaries(_LABEL_KEY, _TEXT, max_size=4)),
    }
    for field, strategy in optional.items():
        value = draw(strategy)
        if value is not None:
            spec[field] = value
    if spec.get("ttlSecondsAfterFinished") == 0:  # admitted only when no run is kept
        spec["successfulRunsHistoryLimit"] = spec["failedRunsHistoryLimit"] = 0
    if "schedule" not in spec and draw(st.booleans()):
        spec["ttlSecondsAfterRun"] = draw(in_range("ttlSecondsAfterRun"))
    return spec


def scheduledjobs(namespace: str) -> st.SearchStrategy[dict[str, Any]]:
    """A ScheduledJob body as the operator reads it from the API server (name, namespace, uid)."""
    return st.builds(
        lambda name, spec, uid: {
            "apiVersion": "jobs.connectflow.io/v1alpha1",
            "kind": "ScheduledJob",
            "metadata": {"name": name, "namespace": namespace, "uid": str(uid), "generation": 1},
            "spec": spec,
        },
        _NAME,
        scheduledjob_specs(),
        st.uuids(),
    )
