"""Hypothesis strategies for valid ScheduledJobs: every optional field, every kind of schedule.

Values stay within what the API accepts (the pydantic model and the CRD's rules), so any
refusal downstream, by the API server or Pod Security admission, is a bug in the builders or in
the model's limits.
"""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st

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
_ID = st.one_of(st.integers(min_value=0, max_value=10**9), _TEXT.filter(bool))
_DATE = st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2099, 12, 31))


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def _resources(draw: st.DrawFn) -> dict[str, Any]:
    cpu = draw(st.integers(min_value=1, max_value=4000))
    memory = draw(st.integers(min_value=16, max_value=4096))
    limits = {"cpu": f"{cpu}m", "memory": f"{memory}Mi"}
    requests = {
        "cpu": f"{draw(st.integers(min_value=1, max_value=cpu))}m",
        "memory": draw(st.sampled_from([f"{memory}Mi", f"{memory * 1024 * 1024}", "8Mi"])),
    }
    both = {"limits": limits, "requests": requests}
    return draw(st.sampled_from([{"limits": limits}, {"requests": requests}, both]))


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
        toleration["tolerationSeconds"] = draw(st.integers(min_value=0, max_value=3600))
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
        st.from_regex(r"\A[-._a-zA-Z0-9]{1,20}\Z", fullmatch=True),
    ),
    max_size=3,
    unique_by=lambda source: source["key"],
)


@st.composite
def _when(draw: st.DrawFn) -> dict[str, Any]:
    """schedule (with its operator-only options) or runAt or delay."""
    kind = draw(st.sampled_from(["cronjob", "operator", "runAt", "delay"]))
    if kind == "runAt":
        moment = draw(st.datetimes(min_value=datetime.datetime(2026, 1, 1)))
        return {"runAt": moment.replace(microsecond=0).isoformat() + "Z"}
    if kind == "delay":
        return {"delay": draw(st.sampled_from(["90s", "10m", "1h30m"]))}
    if kind == "cronjob":
        return {"schedule": draw(st.sampled_from(CRONJOB_SCHEDULES))}
    # Operator-started: its own schedules, or any schedule with jitter, excludeDates or misfire.
    schedules = OPERATOR_SCHEDULES + CRONJOB_SCHEDULES
    when: dict[str, Any] = {"schedule": draw(st.sampled_from(schedules))}
    if draw(st.booleans()):
        when["jitterSeconds"] = draw(st.integers(min_value=0, max_value=3600))
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
                    "thresholdSeconds": st.integers(min_value=1, max_value=86400),
                    "catchUpWindowSeconds": st.integers(min_value=1, max_value=10**6),
                    "maxRuns": st.integers(min_value=1, max_value=100),
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
        "startingDeadlineSeconds": _optional(st.integers(min_value=1, max_value=86400)),
        "retries": _optional(st.integers(min_value=0, max_value=10)),
        "timeoutSeconds": _optional(st.integers(min_value=1, max_value=86400)),
        "successfulRunsHistoryLimit": _optional(st.integers(min_value=0, max_value=100)),
        "failedRunsHistoryLimit": _optional(st.integers(min_value=0, max_value=100)),
        "ttlSecondsAfterFinished": _optional(st.integers(min_value=1, max_value=86400)),
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
    if "schedule" not in spec and draw(st.booleans()):
        spec["ttlSecondsAfterRun"] = draw(st.integers(min_value=0, max_value=86400))
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
