"""Planning refuses schedules only the operator could run, until it triggers runs itself."""

from __future__ import annotations

from typing import Any

import pytest

from scheduledjob_operator import planning
from scheduledjob_operator.api.v1alpha1 import API_VERSION, KIND
from scheduledjob_operator.builders.runsettings import RunSettings
from scheduledjob_operator.errors import InvalidSpecError

SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test")


def _body(schedule: str) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": "nightly", "namespace": "team-a", "uid": "uid-nightly"},
        "spec": {"job": "DataCleanupJob", "schedule": schedule},
    }


@pytest.mark.parametrize(
    ("schedule", "fragment"),
    [
        ("0/3 * * * * ?", 'seconds other than 0 (seconds field "0/3"'),
        ("0 15 10 ? * 6L", "L in day-of-week"),
        ("0 0 12 * * ? 2027", "a year field"),
        ("0 15 10 L * ?", "operator triggers itself are not enabled yet"),
    ],
)
def test_schedule_a_cronjob_cannot_run_is_an_invalid_schedule(schedule: str, fragment: str) -> None:
    """A valid Quartz schedule no CronJob can express is InvalidSchedule, saying why."""
    with pytest.raises(InvalidSpecError) as refused:
        planning.plan(_body(schedule), SETTINGS)
    assert ("InvalidSchedule", True) == (refused.value.reason, fragment in refused.value.message)


def test_translatable_quartz_schedule_gets_its_cronjob() -> None:
    """A Quartz schedule a CronJob can express is planned with the translated expression."""
    planned = planning.plan(_body("0 0 8 ? * MON"), SETTINGS)
    assert planned.cron_job is not None
    assert "0 8 * * MON" == planned.cron_job["spec"]["schedule"]
