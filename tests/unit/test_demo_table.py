"""The demo's live table and its localised samples: what the README's run command shows."""

from __future__ import annotations

import datetime
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from scheduledjob_dev.demo import samples, table

NOW = datetime.datetime(2026, 11, 29, 12, 0, 0, tzinfo=datetime.UTC)
SAMPLES = Path(__file__).resolve().parents[2] / "crds" / "samples"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, "in 0s"),
        (42, "in 42s"),
        (-42, "42s ago"),
        (4 * 60 + 5, "in 4m05s"),
        (-(2 * 3600 + 7 * 60), "2h07m ago"),
        (2 * 86400 + 3 * 3600 + 59, "in 2d3h"),
    ],
)
def test_relative_times_read_at_a_glance(offset: int, expected: str) -> None:
    """Distances to now are in the largest two units, future with `in`, past with `ago`."""
    assert expected == table.relative(NOW + datetime.timedelta(seconds=offset), NOW)


def _scheduledjob(name: str, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"schedule": "* * * * *"}, "status": status}


def test_a_row_shows_the_last_run_its_result_duration_and_the_next_run() -> None:
    """Ready, active count, last run with its age, error type on failure, next run."""
    item = _scheduledjob(
        "nightly",
        conditions=[{"type": "Ready", "status": "True"}],
        active=[{"jobName": "nightly-2"}],
        lastRun={
            "jobName": "nightly-1",
            "result": "Failed",
            "errorType": "FatalError",
            "durationSeconds": 2.25,
            "completionTime": "2026-11-29T11:59:00Z",
        },
        nextScheduleTime="2026-11-29T12:01:00Z",
    )
    assert (
        "nightly",
        "* * * * *",
        "True",
        "1",
        "nightly-1 1m00s ago",
        "Failed (FatalError)",
        "2.2s",
        "in 1m00s",
    ) == table.row(item, NOW)


def test_a_new_invalid_scheduledjob_shows_why_and_dashes() -> None:
    """No runs yet: dashes; Ready=False shows its reason."""
    item = _scheduledjob(
        "broken", conditions=[{"type": "Ready", "status": "False", "reason": "InvalidSpec"}]
    )
    assert ("broken", "* * * * *", "False (InvalidSpec)", "0", "-", "-", "-", "-") == table.row(
        item, NOW
    )


def test_the_table_is_sorted_and_aligned_under_its_headers() -> None:
    """Rows sorted by name; every column starts where its header does."""
    rendered = table.render([_scheduledjob("zeta"), _scheduledjob("alpha")], NOW).splitlines()
    assert ["NAME", "alpha", "zeta"] == [line.split()[0] for line in rendered]
    assert rendered[0].index("SCHEDULE") == rendered[1].index("* * * * *")


def test_the_samples_are_the_seeds_jobs() -> None:
    """The demo applies every sample: the seed's five jobs, weekly and monthly reports included."""
    names = {manifest["metadata"]["name"] for manifest in samples.load(SAMPLES)}
    assert {
        "data-cleanup",
        "long-running",
        "report-generation-weekly",
        "report-generation-monthly",
        "subscription-grace-period",
    } <= names


def test_localised_samples_never_point_at_machine_paths(tmp_path: Path) -> None:
    """Directories and the Prometheus URL move into the demo's own space; the rest is as written."""
    by_job = {
        manifest["metadata"]["name"]: samples.localised(
            manifest, directory=tmp_path, prometheus_url="http://127.0.0.1:9"
        )
        for manifest in samples.load(SAMPLES)
    }
    cleanup = by_job["data-cleanup"]["spec"]["data"]
    assert str(tmp_path / "cleanup") == cleanup["Directory"]
    assert 30 == cleanup["RetentionDays"]
    weekly = by_job["report-generation-weekly"]["spec"]["data"]
    assert ("http://127.0.0.1:9", "Weekly") == (weekly["PrometheusUrl"], weekly["ReportType"])
    assert str(tmp_path / "reports" / "report-generation-weekly") == weekly["OutputDirectory"]
    expired = tmp_path / "cleanup" / "export-expired.csv"
    assert time.time() - expired.stat().st_mtime > 30 * 86400


def test_the_subscriptions_database_has_one_expired_grace_period_for_the_tenant(
    tmp_path: Path,
) -> None:
    """Three rows: tenant 123 expired, 123 still in grace, 456 expired."""
    url = samples.subscriptions_database(tmp_path)
    assert f"sqlite:///{tmp_path / 'subscriptions.db'}" == url
    with sqlite3.connect(tmp_path / "subscriptions.db") as database:
        rows = database.execute("SELECT tenant_id, status FROM subscriptions").fetchall()
    assert [("123", "grace_period"), ("123", "grace_period"), ("456", "grace_period")] == rows
