"""ReportGenerationJob reads real run metrics from a real Prometheus and writes its report."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from basejob.testing import run_job
from basejob_examples.report_generation import ReportGenerationJob
from scheduledjob_dev.pytest_plugin import MonitoringStack

from .test_runtime_metrics import run_basejob


def test_weekly_report_counts_the_runs_prometheus_saw(
    prometheus_stack: MonitoringStack, tmp_path: Path
) -> None:
    """Runs pushed through the Pushgateway appear in the weekly report's JSON and Markdown."""
    scheduledjob = f"report-{uuid.uuid4().hex[:6]}"
    for fail in (False, False, True, False):
        run_basejob(prometheus_stack, scheduledjob, tmp_path, fail=fail)
        time.sleep(1.5)  # let Prometheus scrape each total, so increase() sees the steps
    prometheus_stack.prometheus.wait_for_query(
        f'sum(job_executions_total{{scheduledjob="{scheduledjob}"}})',
        lambda rows: bool(rows) and float(rows[0]["value"][1]) == 4,
    )
    result = run_job(
        ReportGenerationJob,
        data={
            "ReportType": "Weekly",
            "PrometheusUrl": prometheus_stack.prometheus.url,
            "OutputDirectory": str(tmp_path / "reports"),
        },
    )
    assert "success" == result.status, result.outcome.message
    [report_file] = (tmp_path / "reports").glob("weekly-report-*.json")
    report = json.loads(report_file.read_text())
    rows = {row["jobName"]: row for row in report["jobs"]}
    assert "OutcomeJob" in rows
    assert rows["OutcomeJob"]["runs"] >= 1
    assert (tmp_path / "reports" / report_file.name.replace(".json", ".md")).is_file()
