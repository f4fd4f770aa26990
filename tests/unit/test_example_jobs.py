"""The five example jobs, run on real inputs: files, SQLite databases, an HTTP server.

ReportGenerationJob talks to `fake_prometheus`, a stand-in for Prometheus in these unit tests
only: a real HTTP server on 127.0.0.1 that answers `/api/v1/query` with canned API JSON. The
job against a real Prometheus is an integration test.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import structlog
from prometheus_client import CollectorRegistry

from basejob import contract
from basejob.context import JobContext
from basejob.job import BaseJob
from basejob.metrics import BusinessMetrics
from basejob.testing import JobRunResult, run_job
from basejob_examples.data_cleanup import DataCleanupJob, DataCleanupParameters
from basejob_examples.long_running import LongRunningJob, LongRunningParameters
from basejob_examples.report_generation import ReportGenerationJob, report_period
from basejob_examples.subscription_grace_period import SubscriptionGracePeriodJob
from basejob_examples.test_metrics import (
    SimulatedDataError,
    SimulatedDependencyError,
    SimulatedTimeoutError,
    TestMetricsJob,
)

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _events(result: JobRunResult, event: str) -> list[dict[str, Any]]:
    return [line for line in result.logs if line["event"] == event]


def _context(data: Any, *, cancelled: bool = False) -> JobContext[Any]:
    """A JobContext built by hand, for driving `execute` directly."""
    event = asyncio.Event()
    if cancelled:
        event.set()
    return JobContext(
        job_name="Test",
        job_id="test-1",
        correlation_id="test-correlation",
        tenant_id=None,
        application_user_id=None,
        fire_time=datetime.datetime.now(datetime.UTC),
        next_fire_time=None,
        scheduledjob_namespace=None,
        scheduledjob_name=None,
        data=data,
        raw_data={},
        logger=structlog.get_logger("test"),
        cancelled=event,
        metrics=BusinessMetrics(CollectorRegistry()),
    )


# -- DataCleanupJob ----------------------------------------------------------------------------


def _file(path: Path, age_days: float) -> Path:
    """A real file last modified `age_days` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    stamp = time.time() - age_days * 86400
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def old_and_new_files(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """Two files older than 7 days (one nested) and two younger ones, under tmp_path/data."""
    data = tmp_path / "data"
    expired = [_file(data / "old.log", 10), _file(data / "nested" / "older.tmp", 40)]
    kept = [_file(data / "new.log", 1), _file(data / "nested" / "recent.tmp", 6.9)]
    return expired, kept


def _audit_database(path: Path) -> Path:
    """A real SQLite database with an audit_log of rows aged 1 to 40 days, in several ISO forms."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, created_at TEXT)")
        connection.executemany(
            "INSERT INTO audit_log VALUES (?, ?)",
            [
                (1, _iso(NOW - 40 * DAY)),
                (2, (NOW - 10 * DAY).strftime("%Y-%m-%d %H:%M:%S")),
                (3, (NOW - 8 * DAY).isoformat()),
                (4, _iso(NOW - 1 * DAY)),
                (5, (NOW - 6 * DAY).strftime("%Y-%m-%d %H:%M:%S")),
                (6, None),
            ],
        )
    connection.close()
    return path


def _ids(database: Path, table: str = "audit_log") -> list[int]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(f"SELECT id FROM {table} ORDER BY id").fetchall()  # noqa: S608
    connection.close()
    return [row[0] for row in rows]


def test_cleanup_deletes_only_expired_files(
    tmp_path: Path, old_and_new_files: tuple[list[Path], list[Path]]
) -> None:
    """Files older than RetentionDays are deleted, younger ones kept, and the count recorded."""
    expired, kept = old_and_new_files
    result = run_job(DataCleanupJob, data={"Directory": str(tmp_path / "data"), "RetentionDays": 7})
    assert "success" == result.status
    assert ([False, False], [True, True]) == (
        [path.exists() for path in expired],
        [path.exists() for path in kept],
    )
    assert 2 == result.metric("datacleanup_deleted_total", kind="file")
    assert 2 == _events(result, "Deleted expired files")[0]["count"]


def test_cleanup_dry_run_counts_and_deletes_nothing(
    tmp_path: Path, old_and_new_files: tuple[list[Path], list[Path]]
) -> None:
    """DryRun logs and counts the expired files but leaves every file in place."""
    expired, kept = old_and_new_files
    data = {"Directory": str(tmp_path / "data"), "RetentionDays": 7, "DryRun": True}
    result = run_job(DataCleanupJob, data=data)
    assert "success" == result.status
    assert all(path.exists() for path in expired + kept)
    assert 2 == result.metric("datacleanup_would_delete_total", kind="file")
    assert result.metric("datacleanup_deleted_total", kind="file") is None
    assert sorted(str(path) for path in expired) == sorted(
        line["path"] for line in _events(result, "Found expired file")
    )


@pytest.mark.parametrize(
    ("dry_run", "metric", "remaining"),
    [
        (False, "datacleanup_deleted_total", [4, 5, 6]),
        (True, "datacleanup_would_delete_total", [1, 2, 3, 4, 5, 6]),
    ],
    ids=["delete", "dry-run"],
)
def test_cleanup_handles_expired_rows(
    tmp_path: Path, dry_run: bool, metric: str, remaining: list[int]
) -> None:
    """Rows older than RetentionDays (whatever their ISO form) are deleted, or only counted."""
    database = _audit_database(tmp_path / "app.db")
    data = {"DatabaseUrl": f"sqlite:///{database}", "RetentionDays": 7, "DryRun": dry_run}
    result = run_job(DataCleanupJob, data=data)
    assert "success" == result.status
    assert remaining == _ids(database)
    assert 3 == result.metric(metric, kind="row")


def test_cleanup_second_run_deletes_nothing_more(
    tmp_path: Path, old_and_new_files: tuple[list[Path], list[Path]]
) -> None:
    """Cleanup is idempotent: a second run over files and rows finds nothing left to delete."""
    database = _audit_database(tmp_path / "app.db")
    data = {
        "Directory": str(tmp_path / "data"),
        "DatabaseUrl": f"sqlite:///{database}",
        "RetentionDays": 7,
    }
    first, second = run_job(DataCleanupJob, data=data), run_job(DataCleanupJob, data=data)
    assert (2, 3) == (
        first.metric("datacleanup_deleted_total", kind="file"),
        first.metric("datacleanup_deleted_total", kind="row"),
    )
    assert (0, 0) == (
        second.metric("datacleanup_deleted_total", kind="file"),
        second.metric("datacleanup_deleted_total", kind="row"),
    )
    assert [4, 5, 6] == _ids(database)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Table", "audit_log; DROP TABLE audit_log"),
        ("Table", 'audit_log" --'),
        ("TimestampColumn", "created_at) OR 1=1 --"),
        ("TimestampColumn", "created_at OR 1"),
    ],
)
def test_cleanup_refuses_sql_in_identifiers(tmp_path: Path, field: str, value: str) -> None:
    """A table or column name that is not a plain identifier fails as invalid; no row is touched."""
    database = _audit_database(tmp_path / "app.db")
    result = run_job(DataCleanupJob, data={"DatabaseUrl": f"sqlite:///{database}", field: value})
    assert (contract.EXIT_FATAL, "InvalidParameterError") == (
        result.exit_code,
        result.outcome.error_type,
    )
    assert f"{field}: Value error, must be a plain SQL identifier" in (result.outcome.message or "")
    assert [1, 2, 3, 4, 5, 6] == _ids(database)


@pytest.mark.parametrize(
    ("data", "explanation"),
    [
        ({"Directory": "{tmp}/missing"}, "missing' does not exist"),
        ({"DatabaseUrl": "sqlite:///{tmp}/missing.db"}, "missing.db' does not exist"),
        ({"DatabaseUrl": "sqlite:///{tmp}/app.db", "Table": "nope"}, "table 'nope' does not exist"),
        (
            {"DatabaseUrl": "sqlite:///{tmp}/app.db", "TimestampColumn": "ts"},
            "table 'audit_log' has no column 'ts'",
        ),
    ],
    ids=["directory", "database-file", "table", "column"],
)
def test_cleanup_missing_target_is_fatal(
    tmp_path: Path, data: dict[str, str], explanation: str
) -> None:
    """A directory, database file, table or column that does not exist fails at once, saying so."""
    _audit_database(tmp_path / "app.db")
    result = run_job(
        DataCleanupJob, data={key: value.format(tmp=tmp_path) for key, value in data.items()}
    )
    assert (contract.EXIT_FATAL, "FatalError") == (result.exit_code, result.outcome.error_type)
    assert explanation in (result.outcome.message or "")


def test_cleanup_stops_when_cancelled(
    tmp_path: Path, old_and_new_files: tuple[list[Path], list[Path]]
) -> None:
    """With ctx.cancelled set, cleanup raises CancelledError before deleting anything."""
    expired, _ = old_and_new_files
    parameters = DataCleanupParameters(Directory=tmp_path / "data", RetentionDays=7)
    context = _context(parameters, cancelled=True)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(DataCleanupJob().execute(context))
    assert all(path.exists() for path in expired)


# -- SubscriptionGracePeriodJob ----------------------------------------------------------------

SUBSCRIPTIONS = [
    # id, tenant, plan, status, grace period end
    (1, "7", "pro", "grace_period", _iso(NOW - DAY)),
    (2, "7", "pro", "grace_period", _iso(NOW + DAY)),
    (3, "8", "pro", "grace_period", _iso(NOW - DAY)),
    (4, "7", "pro", "active", _iso(NOW - DAY)),
    (5, "7", "team", "grace_period", (NOW - 2 * DAY).strftime("%Y-%m-%d %H:%M:%S")),
    (6, "7", "team", "grace_period", None),
]


def _subscriptions_database(path: Path) -> str:
    """A real SQLite database holding SUBSCRIPTIONS; returns its URL."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE subscriptions (id INTEGER PRIMARY KEY, tenant_id TEXT, plan TEXT, "
            "status TEXT, grace_period_ends_at TIMESTAMP)"
        )
        connection.executemany("INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?)", SUBSCRIPTIONS)
    connection.close()
    return f"sqlite:///{path}"


def _plans(path: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id, plan, status FROM subscriptions ORDER BY id")
        found = [(row[0], row[1], row[2]) for row in rows]
    connection.close()
    return found


def test_grace_period_needs_a_tenant(tmp_path: Path) -> None:
    """Run as a system job (no tenant) it fails as fatal, saying it needs a tenant."""
    url = _subscriptions_database(tmp_path / "subscriptions.db")
    result = run_job(SubscriptionGracePeriodJob, data={"DatabaseUrl": url})
    assert (contract.EXIT_FATAL, "FatalError") == (result.exit_code, result.outcome.error_type)
    assert "needs a tenant" in (result.outcome.message or "")


def test_grace_period_downgrades_only_the_tenants_expired_subscriptions(tmp_path: Path) -> None:
    """Only tenant 7's subscriptions in grace_period whose end has passed are downgraded."""
    database = tmp_path / "subscriptions.db"
    data = {"DatabaseUrl": _subscriptions_database(database), "DowngradePlan": "basic"}
    result = run_job(SubscriptionGracePeriodJob, data=data, tenant_id="7")
    assert "success" == result.status
    assert [
        (1, "basic", "downgraded"),
        (2, "pro", "grace_period"),
        (3, "pro", "grace_period"),
        (4, "pro", "active"),
        (5, "basic", "downgraded"),
        (6, "team", "grace_period"),
    ] == _plans(database)
    assert 2 == result.metric("subscriptions_downgraded_total")
    assert [(1, "pro"), (5, "team")] == [
        (line["subscription_id"], line["from_plan"])
        for line in _events(result, "Downgraded subscription")
    ]


def test_grace_period_second_run_changes_nothing(tmp_path: Path) -> None:
    """The downgrade is idempotent: a second run downgrades nothing and leaves the table as is."""
    database = tmp_path / "subscriptions.db"
    data = {"DatabaseUrl": _subscriptions_database(database)}
    run_job(SubscriptionGracePeriodJob, data=data, tenant_id="7")
    after_first = _plans(database)
    second = run_job(SubscriptionGracePeriodJob, data=data, tenant_id="7")
    assert ("success", 0) == (second.status, second.metric("subscriptions_downgraded_total"))
    assert after_first == _plans(database)


@pytest.mark.parametrize(
    ("create", "exit_code"), [(False, contract.EXIT_FATAL), (True, contract.EXIT_SUCCESS)]
)
def test_grace_period_creates_the_table_only_when_asked(
    tmp_path: Path, create: bool, exit_code: int
) -> None:
    """A missing table is fatal unless CreateSchema is true, which creates it."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    sqlite3.connect(tmp_path / "empty.db").close()
    result = run_job(
        SubscriptionGracePeriodJob, data={"DatabaseUrl": url, "CreateSchema": create}, tenant_id="7"
    )
    assert exit_code == result.exit_code, result.outcome.message
    assert [] == (_plans(tmp_path / "empty.db") if create else [])


def test_grace_period_locked_database_is_transient(tmp_path: Path) -> None:
    """A database that cannot be written now (locked by another writer) fails as transient."""
    database = tmp_path / "subscriptions.db"
    url = _subscriptions_database(database) + "?timeout=0.1"
    blocker = sqlite3.connect(database, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = run_job(SubscriptionGracePeriodJob, data={"DatabaseUrl": url}, tenant_id="7")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert (contract.EXIT_TRANSIENT, "TransientError") == (
        result.exit_code,
        result.outcome.error_type,
    )
    assert "database is locked" in (result.outcome.message or "")


# -- ReportGenerationJob -----------------------------------------------------------------------

EXECUTIONS = [
    ({"job_name": "DataCleanupJob", "status": "success"}, "6"),
    ({"job_name": "DataCleanupJob", "status": "error"}, "1"),
    ({"job_name": "TestMetricsJob", "status": "success"}, "39.72"),  # increase() extrapolates
    ({"job_name": "TestMetricsJob", "status": "error"}, "8"),
    ({"job_name": "TestMetricsJob", "status": "cancelled"}, "2"),
]
ERRORS = [
    ({"job_name": "TestMetricsJob", "error_type": "SimulatedTimeoutError"}, "5"),
    ({"job_name": "TestMetricsJob", "error_type": "SimulatedDataError"}, "3.1"),
    ({"job_name": "DataCleanupJob", "error_type": "TransientError"}, "1"),
]


@dataclass
class FakePrometheus:
    """What the stand-in Prometheus answers, and the requests it received."""

    url: str
    status: int = 200
    error: dict[str, str] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, query: str) -> dict[str, Any]:
        if self.error is not None:
            return {"status": "error", **self.error}
        series = EXECUTIONS if "job_executions_total" in query else ERRORS
        result = [{"metric": labels, "value": [0, value]} for labels, value in series]
        return {"status": "success", "data": {"resultType": "vector", "result": result}}


@pytest.fixture
def fake_prometheus() -> Iterator[FakePrometheus]:
    """A stand-in for Prometheus (unit tests only): a real HTTP server on 127.0.0.1 answering
    /api/v1/query with canned Prometheus API JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            arguments = dict(urllib.parse.parse_qsl(url.query))
            correlation = self.headers.get("X-Correlation-ID")
            fake.requests.append({"path": url.path, **arguments, "correlation": correlation})
            body = json.dumps(fake.answer(arguments.get("query", ""))).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakePrometheus(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def test_report_writes_json_and_markdown_with_the_numbers(
    tmp_path: Path, fake_prometheus: FakePrometheus
) -> None:
    """A weekly report has the runs by job and status and the errors by type, in both files."""
    data = {
        "ReportType": "Weekly",
        "PrometheusUrl": fake_prometheus.url,
        "OutputDirectory": str(tmp_path / "reports"),
    }
    result = run_job(ReportGenerationJob, data=data, correlation_id="report-1")
    assert "success" == result.status, result.outcome.message
    period = report_period("Weekly", datetime.datetime.now(datetime.UTC))
    stem = f"weekly-report-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}"
    assert [f"{stem}.json", f"{stem}.md"] == sorted(
        path.name for path in (tmp_path / "reports").iterdir()
    )
    report = json.loads((tmp_path / "reports" / f"{stem}.json").read_text())
    assert {"runs": 57, "success": 46, "error": 9, "cancelled": 2} == report["totals"]
    assert {
        "jobName": "TestMetricsJob",
        "runs": 50,
        "success": 40,
        "error": 8,
        "cancelled": 2,
        "errorRate": 0.16,
    } == report["jobs"][1]
    assert ["SimulatedTimeoutError", "SimulatedDataError", "TransientError"] == [
        row["errorType"] for row in report["errors"]
    ]
    markdown = (tmp_path / "reports" / f"{stem}.md").read_text()
    assert "| TestMetricsJob | 50 | 40 | 8 | 2 | 16.0% |" in markdown
    assert "| TestMetricsJob | SimulatedTimeoutError | 5 |" in markdown


def test_report_queries_the_period_with_the_correlation_id(
    tmp_path: Path, fake_prometheus: FakePrometheus
) -> None:
    """Both queries cover the whole period, evaluated at its end, and carry the correlation ID."""
    data = {
        "ReportType": "Monthly",
        "PrometheusUrl": fake_prometheus.url,
        "OutputDirectory": str(tmp_path),
    }
    run_job(ReportGenerationJob, data=data, correlation_id="report-2")
    period = report_period("Monthly", datetime.datetime.now(datetime.UTC))
    days = (period.end - period.start).days
    assert [
        (
            "/api/v1/query",
            f"sum by (job_name, status) (increase(job_executions_total[{days}d]))",
            period.end.timestamp(),
            "report-2",
        ),
        (
            "/api/v1/query",
            f"sum by (job_name, error_type) (increase(job_errors_total[{days}d]))",
            period.end.timestamp(),
            "report-2",
        ),
    ] == [
        (
            request["path"],
            request["query"],
            float(request["time"]),
            request["correlation"],
        )
        for request in fake_prometheus.requests
    ]


@pytest.mark.parametrize(
    ("report_type", "fire_time", "start", "end"),
    [
        (
            "Weekly",
            datetime.datetime(2024, 6, 3, 8, 0, tzinfo=datetime.UTC),
            datetime.datetime(2024, 5, 27, 8, 0, tzinfo=datetime.UTC),
            datetime.datetime(2024, 6, 3, 8, 0, tzinfo=datetime.UTC),
        ),
        (
            "Monthly",
            datetime.datetime(2024, 3, 1, 6, 0, tzinfo=datetime.UTC),
            datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC),
            datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC),
        ),
        (
            "Monthly",
            datetime.datetime(2025, 1, 15, 23, 59, tzinfo=datetime.UTC),
            datetime.datetime(2024, 12, 1, tzinfo=datetime.UTC),
            datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        ),
    ],
    ids=["weekly", "monthly-leap-february", "monthly-across-new-year"],
)
def test_report_period_ends_at_or_before_the_fire_time(
    report_type: str,
    fire_time: datetime.datetime,
    start: datetime.datetime,
    end: datetime.datetime,
) -> None:
    """Weekly is the 7 days before the fire time; Monthly the calendar month before its month."""
    period = report_period(report_type, fire_time)
    assert (start, end) == (period.start, period.end)


@pytest.mark.parametrize(
    ("status", "error", "exit_code"),
    [
        (503, {"errorType": "unavailable", "error": "TSDB not ready"}, contract.EXIT_TRANSIENT),
        (500, {"errorType": "internal", "error": "boom"}, contract.EXIT_TRANSIENT),
        (400, {"errorType": "bad_data", "error": "parse error"}, contract.EXIT_FATAL),
        (200, {"errorType": "execution", "error": "bad query"}, contract.EXIT_FATAL),
    ],
    ids=["503", "500", "bad-query-400", "error-status-200"],
)
def test_report_prometheus_errors_map_to_the_contract(
    tmp_path: Path,
    fake_prometheus: FakePrometheus,
    status: int,
    error: dict[str, str],
    exit_code: int,
) -> None:
    """Prometheus' 5xx is transient (retry); a rejected query is fatal; the message says why."""
    fake_prometheus.status, fake_prometheus.error = status, error
    data = {"PrometheusUrl": fake_prometheus.url, "OutputDirectory": str(tmp_path)}
    result = run_job(ReportGenerationJob, data=data)
    assert exit_code == result.exit_code
    assert error["error"] in (result.outcome.message or "")
    assert [] == list(tmp_path.iterdir())


def test_report_unreachable_prometheus_is_transient(tmp_path: Path) -> None:
    """Nothing listening at PrometheusUrl: the run fails as transient and writes no file."""
    data = {
        "PrometheusUrl": "http://127.0.0.1:9",
        "OutputDirectory": str(tmp_path),
        "TimeoutSeconds": 2,
    }
    result = run_job(ReportGenerationJob, data=data)
    assert (contract.EXIT_TRANSIENT, "TransientError") == (
        result.exit_code,
        result.outcome.error_type,
    )
    assert "unreachable" in (result.outcome.message or "")
    assert [] == list(tmp_path.iterdir())


# -- TestMetricsJob ----------------------------------------------------------------------------

QUICK = {"MinSeconds": 0, "MaxSeconds": 0.01}


def _outcome(result: JobRunResult) -> tuple[str, str | None, float | None]:
    return (
        result.status,
        result.outcome.error_type,
        result.metric("testmetrics_work_seconds_sum"),
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_test_metrics_seed_repeats_the_run(seed: int) -> None:
    """With the same Seed two runs draw the same duration and the same outcome."""
    data = {**QUICK, "ErrorRate": 0.5, "Seed": seed}
    assert _outcome(run_job(TestMetricsJob, data=data)) == _outcome(
        run_job(TestMetricsJob, data=data)
    )


EXIT_CODES = {
    SimulatedTimeoutError.__name__: contract.EXIT_TRANSIENT,
    SimulatedDependencyError.__name__: contract.EXIT_TRANSIENT,
    SimulatedDataError.__name__: contract.EXIT_FATAL,
}


@pytest.mark.parametrize("seed", range(8))
def test_test_metrics_failure_is_a_simulated_error_with_its_exit_code(seed: int) -> None:
    """ErrorRate 1 always fails, with a simulated error and the exit code of its class."""
    result = run_job(TestMetricsJob, data={**QUICK, "ErrorRate": 1, "Seed": seed})
    error_type = result.outcome.error_type or ""
    assert EXIT_CODES.get(error_type) == result.exit_code
    assert 1 == result.metric("testmetrics_outcomes_total", outcome=error_type)


def test_test_metrics_draws_every_simulated_error_type() -> None:
    """Across seeds, failing runs raise each of the simulated error types."""
    runs = [
        run_job(TestMetricsJob, data={**QUICK, "ErrorRate": 1, "Seed": seed}) for seed in range(30)
    ]
    assert set(EXIT_CODES) == {run.outcome.error_type for run in runs}


def test_test_metrics_success_records_duration_and_outcome() -> None:
    """ErrorRate 0 succeeds and records the simulated duration and the outcome."""
    result = run_job(TestMetricsJob, data={"MinSeconds": 0.05, "MaxSeconds": 0.05, "ErrorRate": 0})
    assert "success" == result.status
    assert (1, 1) == (
        result.metric("testmetrics_work_seconds_count"),
        result.metric("testmetrics_outcomes_total", outcome="success"),
    )
    assert 0.05 == pytest.approx(result.metric("testmetrics_work_seconds_sum"))


# -- LongRunningJob ----------------------------------------------------------------------------


def test_long_running_logs_every_step_to_the_end() -> None:
    """Each step logs its progress; the run ends after DurationSeconds at 100%."""
    result = run_job(LongRunningJob, data={"DurationSeconds": 0.3, "StepSeconds": 0.1})
    assert "success" == result.status
    assert [(1, 33.3), (2, 66.7), (3, 100.0)] == [
        (line["step"], line["progress_percent"]) for line in _events(result, "Completed step")
    ]
    assert 3 == result.metric("longrunning_steps_total")


def test_long_running_stops_within_a_step_when_cancelled() -> None:
    """Setting ctx.cancelled mid-step stops the job at once with CancelledError (steps are 5 s)."""
    context = _context(LongRunningParameters(DurationSeconds=60, StepSeconds=5))

    async def cancel_after_a_moment() -> float:
        task = asyncio.create_task(LongRunningJob().execute(context))
        await asyncio.sleep(0.1)
        context.cancelled.set()
        started = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
        return time.monotonic() - started

    with structlog.testing.capture_logs() as logs:
        stopped_after = asyncio.run(cancel_after_a_moment())
    assert stopped_after < 0.5
    assert [0] == [
        line["step"]
        for line in logs
        if line["event"] == "Stopped long-running work on cancellation"
    ]


def test_long_running_sigterm_exits_143_within_a_step() -> None:
    """`basejob run LongRunningJob` stopped by SIGTERM exits 143 well before its 10 s step ends."""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "basejob"),
            "run",
            "LongRunningJob",
            "--data",
            "DurationSeconds=60",
            "--data",
            "StepSeconds=10",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Started long-running work" in line:
            break
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=15)
    assert contract.EXIT_CANCELLED_SIGTERM == process.returncode
    assert time.monotonic() - signalled < 5
    assert "Stopped long-running work on cancellation" in errors


# -- every job ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job", "data", "named"),
    [
        (DataCleanupJob, {"Directory": ".", "RetentionDays": -1}, "RetentionDays"),
        (DataCleanupJob, {"RetentionDays": 7}, "Directory"),
        (DataCleanupJob, {"DatabaseUrl": "not a url"}, "DatabaseUrl"),
        (DataCleanupJob, {"Directory": ".", "Retention": 7}, "Retention"),
        (DataCleanupJob, {"Directory": ".", "DryRun": "maybe"}, "DryRun"),
        (SubscriptionGracePeriodJob, {"DowngradePlan": ""}, "DowngradePlan"),
        (ReportGenerationJob, {"ReportType": "Daily"}, "ReportType"),
        (ReportGenerationJob, {"PrometheusUrl": "file:///etc/passwd"}, "PrometheusUrl"),
        (TestMetricsJob, {"ErrorRate": 1.5}, "ErrorRate"),
        (TestMetricsJob, {"MinSeconds": 3, "MaxSeconds": 1}, "MinSeconds"),
        (LongRunningJob, {"StepSeconds": 0}, "StepSeconds"),
        (LongRunningJob, {"DurationSeconds": 1, "StepSeconds": 2}, "StepSeconds"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_invalid_parameters_fail_as_fatal_naming_the_parameter(
    job: type[BaseJob], data: dict[str, Any], named: str
) -> None:
    """Job data that makes no sense exits 78 (InvalidParameterError) naming the parameter."""
    result = run_job(job, data=data, tenant_id="7")
    assert (contract.EXIT_FATAL, "InvalidParameterError") == (
        result.exit_code,
        result.outcome.error_type,
    )
    assert named in (result.outcome.message or "")
