"""The operator's arithmetic holds over the whole admitted range of every numeric and time field.

Hypothesis draws specs whose integers, `runAt` and `delay` come from anywhere in the ranges the
API admits, bounds included (`scheduledjob_strategies.FIELD_RANGES`), and moments anywhere in
1970-2099; planning either succeeds or reports InvalidSpec, and the datetime arithmetic the
operator does with those values never raises. A walk of the generated CRD keeps it so: a field
added without a bound fails here.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduledjob_api import base, crd, v1alpha1
from scheduledjob_operator.domain import missed, oneshot, planning
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.domain.conditions import timestamp
from scheduledjob_operator.domain.errors import InvalidSpecError
from scheduledjob_operator.reconcile import schedulestarts
from support import scheduledjob_strategies as strategies

SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test", default_admin_user_id="0")
FIRST_MOMENT = datetime.datetime(base.FIRST_YEAR, 1, 1, tzinfo=datetime.UTC)
LAST_MOMENT = datetime.datetime(base.LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)
MOMENTS = st.one_of(
    st.sampled_from([FIRST_MOMENT, LAST_MOMENT]),
    st.datetimes(
        min_value=FIRST_MOMENT.replace(tzinfo=None),
        max_value=LAST_MOMENT.replace(tzinfo=None),
        timezones=st.just(datetime.UTC),
    ),
)
# Where the operator's moments can land: a moment of 1970-2099 moved by at most two bounded
# durations of ten years (a delay, then ttlSecondsAfterRun), far inside datetime's 1-9999.
PROVEN = (FIRST_MOMENT.replace(year=1950), LAST_MOMENT.replace(year=2120))


def _within_proof(moment: datetime.datetime) -> None:
    """`moment` is aware, inside the proven range, and writable to status."""
    assert moment.tzinfo is not None
    assert PROVEN[0] <= moment <= PROVEN[1], moment
    assert timestamp(moment)


def _arithmetic(
    spec: v1alpha1.ScheduledJobSpec,
    *,
    created: datetime.datetime,
    finished: datetime.datetime,
    now: datetime.datetime,
) -> None:
    """What the reconcile computes from the spec's numbers and times, as it computes it."""
    if oneshot.is_one_shot(spec):
        due = oneshot.due_time(spec, created)
        _within_proof(due)
        assert isinstance((due - now).total_seconds(), float)
        if spec.ttl_seconds_after_run is not None:
            for end in (finished, max(finished, due)):
                _within_proof(end + datetime.timedelta(seconds=spec.ttl_seconds_after_run))
    rules = schedulestarts.misfire_rules(spec)
    _within_proof(now - rules.threshold)
    if spec.misfire is not None and spec.misfire.catch_up_window_seconds is not None:
        _within_proof(now - datetime.timedelta(seconds=spec.misfire.catch_up_window_seconds))
    if rules.catch_up_window is not None:
        _within_proof(now - max(rules.catch_up_window, rules.threshold))
    grace = missed.grace_for(spec.starting_deadline_seconds)
    for moment in (now - grace, created + grace, finished + grace):
        _within_proof(moment)


@settings(max_examples=300, deadline=None, database=None)
@given(body=strategies.scheduledjobs("team-a"))
def test_planning_any_admitted_value_succeeds_or_reports_invalid_spec(
    body: dict[str, Any],
) -> None:
    """planning.plan over the admitted ranges returns a plan or raises InvalidSpecError only."""
    with contextlib.suppress(InvalidSpecError):  # reported in Ready; any other error fails
        planning.plan(body, SETTINGS)


@settings(max_examples=500, deadline=None, database=None)
@given(spec=strategies.scheduledjob_specs(), created=MOMENTS, finished=MOMENTS, now=MOMENTS)
def test_the_operator_arithmetic_holds_over_every_admitted_value(
    spec: dict[str, Any],
    created: datetime.datetime,
    finished: datetime.datetime,
    now: datetime.datetime,
) -> None:
    """due_time, ttlSecondsAfterRun, catch-up window and grace arithmetic never overflows."""
    _arithmetic(
        v1alpha1.ScheduledJobSpec.model_validate(spec), created=created, finished=finished, now=now
    )


_TEN_YEARS = base.MAX_SECONDS
EDGES = {
    "run-at-latest": {"runAt": "2099-12-31T23:59:59-12:00", "ttlSecondsAfterRun": _TEN_YEARS},
    "run-at-earliest": {"runAt": "1970-01-01T00:00:00+14:00", "ttlSecondsAfterRun": _TEN_YEARS},
    "run-at-widest-offsets": {"runAt": "2099-12-31T23:59:59.999999999-23:59"},
    "delay-longest": {"delay": "87600h", "ttlSecondsAfterRun": _TEN_YEARS},
    "delay-longest-in-seconds": {"delay": "315360000s"},
    "delay-longest-mixed": {"delay": "87599h59m60s"},
    "every-seconds-field-at-its-maximum": {
        "schedule": "0 2 * * *",
        "startingDeadlineSeconds": _TEN_YEARS,
        "timeoutSeconds": _TEN_YEARS,
        "ttlSecondsAfterFinished": _TEN_YEARS,
        "jitterSeconds": 3600,
        "misfire": {"thresholdSeconds": 86400, "catchUpWindowSeconds": _TEN_YEARS, "maxRuns": 100},
        "tolerations": [
            {
                "key": "k",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": _TEN_YEARS,
            }
        ],
    },
}


@pytest.mark.parametrize("moment", [FIRST_MOMENT, LAST_MOMENT], ids=["1970", "2099"])
@pytest.mark.parametrize("spec", list(EDGES.values()), ids=list(EDGES))
def test_the_edges_plan_and_stay_within_the_proof(
    spec: dict[str, Any], moment: datetime.datetime
) -> None:
    """Each range's extreme plans, and its arithmetic from the first and last moment holds."""
    body = {
        "apiVersion": v1alpha1.API_VERSION,
        "kind": v1alpha1.KIND,
        "metadata": {"name": "edge", "namespace": "team-a", "uid": "uid-1", "generation": 1},
        "spec": {"job": "DataCleanupJob", **spec},
    }
    plan = planning.plan(body, SETTINGS)
    _arithmetic(plan.spec, created=moment, finished=moment, now=moment)


def _nodes(schema: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from _nodes(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _nodes(schema["additionalProperties"], f"{path}{{}}")


def _missing_bound(node: dict[str, Any]) -> str | None:
    """What bound a spec field lacks (None: bounded as its kind must be)."""
    if node.get("x-kubernetes-preserve-unknown-fields") and "type" not in node:
        return None  # data values: untyped, bounded by the data map's size (64 KiB as JSON)
    if node.get("x-kubernetes-int-or-string"):
        wanted = ["maxLength", "minimum", "maximum"]
    else:
        wanted = {
            "integer": ["minimum", "maximum"],
            "number": ["minimum", "maximum"],
            "string": [] if "enum" in node else ["maxLength"],
            "array": ["maxItems"],
            "object": ["maxProperties"] if "additionalProperties" in node else [],
        }.get(node.get("type", ""), [])
    missing = [key for key in wanted if key not in node]
    return ", ".join(missing) or None


# The spec only: the status is the operator's to write, never a user's.
SPEC_NODES = list(_nodes(crd.openapi_schema()["properties"]["spec"], ".spec"))


def test_every_spec_field_has_a_bound() -> None:
    """Integers have a minimum and maximum, strings a maxLength or enum, lists and maps a size."""
    unbounded = {path: missing for path, node in SPEC_NODES if (missing := _missing_bound(node))}
    assert {} == unbounded


@pytest.mark.parametrize(
    ("field", "expected"),
    [(field, bounds) for field, bounds in strategies.FIELD_RANGES.items()],
    ids=list(strategies.FIELD_RANGES),
)
def test_the_strategies_draw_the_ranges_the_crd_states(
    field: str, expected: tuple[int, int]
) -> None:
    """FIELD_RANGES, which the properties draw from, is the CRD's minimum and maximum."""
    path = f".spec.{field}"
    (node,) = [node for node_path, node in SPEC_NODES if node_path == path]
    assert expected == (node["minimum"], node["maximum"])


def test_every_integer_field_is_drawn_over_its_range() -> None:
    """Every integer field of the spec has its range in FIELD_RANGES (so the properties see it)."""
    integers = {path for path, node in SPEC_NODES if node.get("type") == "integer"}
    assert integers == {".spec." + field for field in strategies.FIELD_RANGES}
