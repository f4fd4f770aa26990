"""Every ScheduledJob admission lets through gets a Ready condition, whatever its numbers say.

Hypothesis draws each integer field anywhere in the range the generated CRD admits (an
unbounded field is drawn up to int64, as the API server would store it), `runAt` and `delay`
up to their admitted edges, and the moment of the reconcile anywhere from 1970 to 2099; the
reconcile against the in-memory API server must end with `Ready` for the generation and never
as `ReconcileFailed` (the operator's own arithmetic failing) or an exception.
"""

from __future__ import annotations

import datetime
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduledjob_api import crd
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.reconcile.reconciler import Reconciler
from support.memory_cluster import MemoryCluster

INT64_MAX = 2**63 - 1
SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test")
_SPEC_SCHEMA: dict[str, Any] = yaml.safe_load(crd.CRD_FILE.read_text())["spec"]["versions"][0][
    "schema"
]["openAPIV3Schema"]["properties"]["spec"]


def _bounded(*path: str) -> st.SearchStrategy[int]:
    """Any integer the CRD admits at `path` (spec-relative), edges drawn often."""
    schema = _SPEC_SCHEMA
    for part in path:
        schema = schema["items"] if part == "[]" else schema["properties"][part]
    low = int(schema.get("minimum", -INT64_MAX))
    high = int(schema.get("maximum", INT64_MAX))
    return st.one_of(st.sampled_from([low, high]), st.integers(low, high))


_MOMENTS = st.datetimes(
    min_value=datetime.datetime(1970, 1, 2),
    max_value=datetime.datetime(2099, 12, 30),
    timezones=st.just(datetime.UTC),
)
_OFFSETS = st.sampled_from(["Z", "+14:00", "-12:00", "+05:30"])


@st.composite
def _run_at(draw: st.DrawFn) -> str:
    year = draw(st.sampled_from([1970, 2099]) | st.integers(1970, 2099))
    month, day = draw(st.sampled_from([(1, 1), (12, 31), (2, 28), (6, 15)]))
    clock = draw(st.sampled_from(["00:00:00", "23:59:59"]))
    return f"{year:04d}-{month:02d}-{day:02d}T{clock}{draw(_OFFSETS)}"


_DELAYS = st.one_of(
    st.sampled_from(["1s", "87600h", "5256000m", "315360000s", "1h30m"]),
    st.integers(1, 87600).map(lambda hours: f"{hours}h"),
)


@st.composite
def _spec(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "job": "DataCleanupJob",
        "retries": draw(_bounded("retries")),
        "timeoutSeconds": draw(_bounded("timeoutSeconds")),
        "successfulRunsHistoryLimit": draw(_bounded("successfulRunsHistoryLimit")),
        "failedRunsHistoryLimit": draw(_bounded("failedRunsHistoryLimit")),
        "ttlSecondsAfterFinished": draw(_bounded("ttlSecondsAfterFinished").filter(bool)),
        "tolerations": [
            {
                "key": "k",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": draw(_bounded("tolerations", "[]", "tolerationSeconds")),
            }
        ],
    }
    shape = draw(st.sampled_from(["cronjob", "operator", "run-at", "delay"]))
    if shape in {"cronjob", "operator"}:
        spec["schedule"] = "0 2 * * *" if shape == "cronjob" else "*/7 * * * * ?"
        spec["startingDeadlineSeconds"] = draw(_bounded("startingDeadlineSeconds"))
        spec["timeZone"] = draw(st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]))
        if shape == "operator":
            spec["jitterSeconds"] = draw(_bounded("jitterSeconds"))
            spec["misfire"] = {
                "policy": draw(st.sampled_from(["FireOnceNow", "DoNothing", "FireAll"])),
                "thresholdSeconds": draw(_bounded("misfire", "thresholdSeconds")),
                "catchUpWindowSeconds": draw(_bounded("misfire", "catchUpWindowSeconds")),
                "maxRuns": draw(_bounded("misfire", "maxRuns")),
            }
    else:
        spec["runAt" if shape == "run-at" else "delay"] = draw(
            _run_at() if shape == "run-at" else _DELAYS
        )
        spec["ttlSecondsAfterRun"] = draw(_bounded("ttlSecondsAfterRun"))
    return spec


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=_spec(), created=_MOMENTS, now=_MOMENTS)
def test_every_admitted_value_ends_in_a_ready_condition(
    spec: dict[str, Any], created: datetime.datetime, now: datetime.datetime
) -> None:
    """No admitted numeric or time value makes a reconcile fail: it ends Ready (True, or False
    with an InvalidSpec-like reason), twice in a row, and a finished run's TTL is handled."""
    cluster = MemoryCluster()
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = cluster.put(
        "scheduledjobs",
        {
            "metadata": {"name": "edge", "namespace": "team-a", "creationTimestamp": stamp},
            "spec": spec,
        },
    )
    reconciler = Reconciler(cluster, SETTINGS)
    for moment in (now, now + datetime.timedelta(seconds=61)):
        current = cluster.get("scheduledjobs", "team-a", "edge")
        if current is None:  # deleted itself after its run (ttlSecondsAfterRun)
            break
        result = reconciler.reconcile(current, now=moment).result
        assert result in {"success", "invalid", "deleted"}, cluster.get(
            "scheduledjobs", "team-a", "edge"
        )
        for job in list(cluster.objects["jobs"].values()):
            cluster.finish_job("team-a", job["metadata"]["name"])
    final = cluster.get("scheduledjobs", "team-a", "edge")
    if final is not None:
        ready = [c for c in final["status"]["conditions"] if c["type"] == "Ready"]
        assert [body["metadata"]["generation"]] == [c["observedGeneration"] for c in ready]
