"""ReportGenerationJob: the seed's weekly and monthly report, built from the jobs' own metrics.

It exists as the example of a job that reads an external service (Prometheus' HTTP API, with
the run's correlation ID and trace context on every request) and maps its failures onto the
error contract: unreachable or 5xx is transient, a rejected query is fatal. The period ends at
the fire time (Weekly: the 7 days before it) or is the calendar month before it (Monthly, in
UTC); a retried run has the same fire time, so it queries the same period and overwrites the
same two files: JSON for machines, Markdown for people.
"""

from __future__ import annotations

import asyncio
import datetime
import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from basejob import timestamps
from basejob.context import JobContext
from basejob.errors import FatalError, TransientError
from basejob.job import BaseJob

EXECUTIONS_QUERY = "sum by (job_name, status) (increase(job_executions_total[{range}]))"
ERRORS_QUERY = "sum by (job_name, error_type) (increase(job_errors_total[{range}]))"
STATUSES = ("success", "error", "cancelled")


class ReportGenerationParameters(BaseModel):
    """Which report, where the metrics come from and where the files go."""

    model_config = ConfigDict(extra="forbid")

    ReportType: Literal["Weekly", "Monthly"] = Field(
        default="Weekly",
        description="Weekly: the 7 days before the fire time. Monthly: the calendar month "
        "(UTC) before the fire time's month.",
    )
    PrometheusUrl: str = Field(
        default="http://prometheus:9090",
        description="Base URL of the Prometheus server (http or https) scraping the Pushgateway.",
    )
    OutputDirectory: Path = Field(
        default=Path("/tmp/reports"),  # noqa: S108 - writable in a read-only container
        description="Directory the JSON and Markdown reports are written to (created if needed).",
    )
    TimeoutSeconds: float = Field(
        default=30.0, gt=0, le=300, description="Timeout of each Prometheus request."
    )

    @field_validator("PrometheusUrl")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            message = "must be an http:// or https:// URL such as http://prometheus:9090"
            raise ValueError(message)
        return value.rstrip("/")


@dataclass(frozen=True)
class Period:
    """The reported period: [start, end) in UTC."""

    start: datetime.datetime
    end: datetime.datetime

    @property
    def promql_range(self) -> str:
        """The period's length as a PromQL range."""
        return f"{(self.end - self.start).days}d"

    def file_stem(self, report_type: str) -> str:
        """`weekly-report-2024-05-27-to-2024-06-03` or `monthly-report-2024-05`."""
        if report_type == "Monthly":
            return f"monthly-report-{self.start:%Y-%m}"
        return f"{report_type.lower()}-report-{self.start:%Y-%m-%d}-to-{self.end:%Y-%m-%d}"


def report_period(report_type: str, fire_time: datetime.datetime) -> Period:
    """The 7 days before the fire time, or the calendar month before its month (UTC)."""
    fired = fire_time.astimezone(datetime.UTC)
    if report_type == "Monthly":
        end = fired.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return Period((end - datetime.timedelta(days=1)).replace(day=1), end)
    return Period(fired - datetime.timedelta(days=7), fired)


class ReportGenerationJob(BaseJob):
    """Writes a weekly or monthly report of job runs and errors from Prometheus."""

    Parameters = ReportGenerationParameters

    async def execute(self, ctx: JobContext[ReportGenerationParameters]) -> None:
        """Query the period's runs and errors, then write the JSON and Markdown reports."""
        period = report_period(ctx.data.ReportType, ctx.fire_time)
        ctx.logger.info(
            "Started report",
            report_type=ctx.data.ReportType,
            period_start=_iso(period.start),
            period_end=_iso(period.end),
        )
        prometheus = Prometheus(ctx.data.PrometheusUrl, ctx.data.TimeoutSeconds, ctx.headers())
        executions = await prometheus.query(
            ctx, EXECUTIONS_QUERY.format(range=period.promql_range), period.end
        )
        errors = await prometheus.query(
            ctx, ERRORS_QUERY.format(range=period.promql_range), period.end
        )
        report = build_report(ctx, period, executions, errors)
        stem = period.file_stem(ctx.data.ReportType)
        directory = ctx.data.OutputDirectory
        json_path = _write(directory / f"{stem}.json", json.dumps(report, indent=2) + "\n")
        markdown_path = _write(directory / f"{stem}.md", render_markdown(report))
        ctx.metrics.counter(
            "reports_generated_total", "Reports written, by type.", ["report_type"]
        ).labels(report_type=ctx.data.ReportType).inc()
        ctx.logger.info(
            "Wrote report",
            json_path=str(json_path),
            markdown_path=str(markdown_path),
            runs=report["totals"]["runs"],
            failed=report["totals"]["error"],
        )


# -- Prometheus --------------------------------------------------------------------------------

Sample = tuple[dict[str, str], float]


@dataclass(frozen=True)
class Prometheus:
    """Instant queries against Prometheus' HTTP API."""

    url: str
    timeout: float
    headers: dict[str, str]

    async def query(self, ctx: JobContext[Any], promql: str, at: datetime.datetime) -> list[Sample]:
        """The vector `promql` evaluates to at `at` (the blocking call runs in a thread)."""
        samples = await asyncio.to_thread(self._query, promql, at)
        ctx.logger.info("Queried Prometheus", query=promql, at=_iso(at), series=len(samples))
        return samples

    def _query(self, promql: str, at: datetime.datetime) -> list[Sample]:
        arguments = urllib.parse.urlencode({"query": promql, "time": f"{at.timestamp():.3f}"})
        request = urllib.request.Request(  # noqa: S310 - the model admits only http(s)
            f"{self.url}/api/v1/query?{arguments}",
            headers={"Accept": "application/json", **self.headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body: bytes = response.read()
        except urllib.error.HTTPError as error:
            raise _http_error(self.url, error) from error
        except (OSError, http.client.HTTPException) as error:
            message = f"Prometheus at {self.url} is unreachable: {error}"
            raise TransientError(message) from error
        return _vector(self.url, _decode(self.url, body))


def _decode(url: str, body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError as error:
        message = f"{url} did not answer with Prometheus API JSON; check PrometheusUrl"
        raise FatalError(message) from error
    if not isinstance(answer, dict):
        message = f"{url} did not answer with a Prometheus API object; check PrometheusUrl"
        raise FatalError(message)
    return answer


def _api_error(answer: dict[str, Any]) -> str:
    return f"{answer.get('errorType', 'error')}: {answer.get('error', 'no message')}"


def _http_error(url: str, error: urllib.error.HTTPError) -> Exception:
    """5xx is Prometheus' own trouble (retry); any other status is our request (fatal)."""
    body = error.read()
    try:
        detail = _api_error(json.loads(body))
    except (ValueError, AttributeError):
        detail = body[:200].decode("utf-8", "replace")
    message = f"Prometheus at {url} answered HTTP {error.code}: {detail}"
    if error.code >= http.HTTPStatus.INTERNAL_SERVER_ERROR:
        return TransientError(message)
    return FatalError(message)


def _vector(url: str, answer: dict[str, Any]) -> list[Sample]:
    if answer.get("status") != "success":
        message = f"Prometheus at {url} rejected the query: {_api_error(answer)}"
        raise FatalError(message)
    data = answer.get("data") or {}
    if data.get("resultType") != "vector":
        message = f"Prometheus at {url} returned {data.get('resultType')!r}, not a vector"
        raise FatalError(message)
    samples = []
    for series in data.get("result", []):
        value = float(series["value"][1])
        if not math.isnan(value):
            samples.append((dict(series.get("metric", {})), value))
    return samples


# -- the report --------------------------------------------------------------------------------


def build_report(
    ctx: JobContext[ReportGenerationParameters],
    period: Period,
    executions: list[Sample],
    errors: list[Sample],
) -> dict[str, Any]:
    """The report as JSON-ready data: runs by job and status, errors by type.

    increase() extrapolates to the ends of the range, so it returns 6.86 for 7 runs; runs are
    whole events, so every count is rounded to the nearest integer.
    """
    by_job: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for labels, value in executions:
        by_job[labels.get("job_name", "")][labels.get("status", "unknown")] = round(value)
    jobs = [_job_row(name, counts) for name, counts in sorted(by_job.items())]
    found = sorted(
        (-round(value), labels.get("job_name", ""), labels.get("error_type", ""))
        for labels, value in errors
    )
    error_rows = [
        {"jobName": job, "errorType": kind, "count": -negated} for negated, job, kind in found
    ]
    totals = {key: sum(row[key] for row in jobs) for key in ("runs", *STATUSES)}
    return {
        "reportType": ctx.data.ReportType,
        "periodStart": _iso(period.start),
        "periodEnd": _iso(period.end),
        "generatedAt": _iso(datetime.datetime.now(datetime.UTC)),
        "correlationId": ctx.correlation_id,
        "prometheusUrl": ctx.data.PrometheusUrl,
        "totals": totals,
        "jobs": jobs,
        "errors": [row for row in error_rows if row["count"]],
    }


def _job_row(name: str, counts: dict[str, int]) -> dict[str, Any]:
    runs = sum(counts.values())
    return {
        "jobName": name,
        "runs": runs,
        **counts,
        "errorRate": round(counts["error"] / runs, 4) if runs else 0.0,
    }


def render_markdown(report: dict[str, Any]) -> str:
    """The report for people: totals, a table of jobs and one of errors."""
    totals = report["totals"]
    lines = [
        f"# {report['reportType']} job report",
        "",
        f"Period: {report['periodStart']} to {report['periodEnd']} (end excluded). "
        f"Generated {report['generatedAt']} from {report['prometheusUrl']} "
        f"(correlation ID {report['correlationId']}).",
        "",
        f"Runs: {totals['runs']} (succeeded {totals['success']}, failed {totals['error']}, "
        f"cancelled {totals['cancelled']}).",
        "",
        "## Runs by job",
        "",
        "| Job | Runs | Succeeded | Failed | Cancelled | Error rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {row['jobName']} | {row['runs']} | {row['success']} | {row['error']} | "
        f"{row['cancelled']} | {row['errorRate']:.1%} |"
        for row in report["jobs"]
    ] or ["| (no runs) | | | | | |"]
    lines += ["", "## Errors by type", "", "| Job | Error type | Count |", "| --- | --- | ---: |"]
    lines += [
        f"| {row['jobName']} | {row['errorType']} | {row['count']} |" for row in report["errors"]
    ] or ["| (no errors) | | |"]
    return "\n".join(lines) + "\n"


def _iso(moment: datetime.datetime) -> str:
    return timestamps.rfc3339_as_given(moment.astimezone(datetime.UTC))


def _write(path: Path, text: str) -> Path:
    """Write atomically (a reader never sees half a report; a rerun replaces it)."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        message = f"could not write the report {str(path)!r}: {error}; check OutputDirectory"
        raise FatalError(message) from error
    return path
