"""Planning: a CronJob for what a CronJob runs exactly, operator-started runs for the rest."""

from __future__ import annotations

from typing import Any

import pytest

from scheduledjob_api.v1alpha1 import API_VERSION, KIND
from scheduledjob_operator.domain import planning
from scheduledjob_operator.domain.builders.runsettings import RunSettings

SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test")


def _body(schedule: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": "nightly", "namespace": "team-a", "uid": "uid-nightly"},
        "spec": {"job": "DataCleanupJob", "schedule": schedule, **spec},
    }


@pytest.mark.parametrize(
    ("schedule", "spec", "fragment"),
    [
        ("0/3 * * * * ?", {}, 'seconds other than 0 (seconds field "0/3"'),
        ("0 15 10 ? * 6L", {}, "L in day-of-week"),
        ("0 0 12 * * ? 2027", {}, "a year field"),
        ("0 15 10 L * ?", {}, "L in day-of-month"),
        ("0 * * * *", {"jitterSeconds": 30}, "jitterSeconds is set"),
        ("0 * * * *", {"excludeDates": ["2026-12-25"]}, "excludeDates is set"),
        ("0 * * * *", {"misfire": {"policy": "DoNothing"}}, "a misfire policy is set"),
    ],
)
def test_what_a_cronjob_cannot_do_is_started_by_the_operator(
    schedule: str, spec: dict[str, Any], fragment: str
) -> None:
    """No CronJob is planned; the plan says why the operator starts the runs itself."""
    planned = planning.plan(_body(schedule, **spec), SETTINGS)
    assert (None, True) == (planned.cron_job, fragment in (planned.operator_reason or ""))
    assert planned.schedule is not None
    env = planned.template["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "BASEJOB_SCHEDULE", "value": schedule} in env


def test_translatable_quartz_schedule_gets_its_cronjob() -> None:
    """A Quartz schedule a CronJob can express is planned with the translated expression."""
    planned = planning.plan(_body("0 0 8 ? * MON"), SETTINGS)
    assert planned.cron_job is not None
    assert (None, "0 8 * * MON") == (planned.operator_reason, planned.cron_job["spec"]["schedule"])


def test_plan_cache_reuses_a_generation_and_replans_a_new_one() -> None:
    """The same generation is planned once; a new generation or an evicted one is planned again."""
    cache = planning.PlanCache(SETTINGS, capacity=1)
    first = _body("0 * * * *")
    first["metadata"]["generation"] = 1
    original = cache.plan(first)
    assert original is cache.plan(first)
    changed = _body("0/5 * * * * ?")
    changed["metadata"]["generation"] = 2
    replanned = cache.plan(changed)
    assert (None, "0/5 * * * * ?") == (
        replanned.cron_job,
        getattr(replanned.schedule, "source", None),
    )
    assert cache.plan(first) is not original  # evicted (capacity 1), so planned again
