"""Run a job in-process in a test and look at what it did: outcome, logs, metrics, spans.

    from basejob.testing import run_job

    def test_cleanup_reports_deleted_files(tmp_path):
        result = run_job(DataCleanupJob, data={"Directory": str(tmp_path)}, tenant_id="7")
        assert "success" == result.status
        assert 1 == result.metric("job_executions_total", status="success", job_name="Cleanup")

Nothing is pushed and nothing is exported: metrics stay in the run's registry and spans in
memory.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from basejob import logs
from basejob.environment import RunEnvironment, generated_correlation_id
from basejob.job import BaseJob
from basejob.metrics import RunMetrics
from basejob.runner import RunOutcome, execute_run
from basejob.tracing import Tracing, TracingSettings


@dataclass(frozen=True)
class JobRunResult:
    """What a test can inspect after a run."""

    outcome: RunOutcome
    logs: list[dict[str, Any]]
    metrics: RunMetrics
    spans: list[ReadableSpan]

    @property
    def status(self) -> str:
        """success, error or cancelled."""
        return self.outcome.status

    @property
    def exit_code(self) -> int:
        """The exit code `basejob run` would have returned."""
        return self.outcome.exit_code

    def metric(self, name: str, **labels: str) -> float | None:
        """A sample's value from the run's registry (None when absent)."""
        value = self.metrics.registry.get_sample_value(name, labels)
        return None if value is None else float(value)


class _CaptureStandardLogging(logging.Handler):
    """Standard-library log records, with the run's context, into the same capture list."""

    def __init__(self, capture: structlog.testing.LogCapture) -> None:
        super().__init__(level=logging.DEBUG)
        self.capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        event: Any = {
            "event": record.getMessage(),
            "log_level": record.levelname.lower(),
            "logger": record.name,
        }
        event = structlog.contextvars.merge_contextvars(None, "", event)
        self.capture.entries.append(logs.add_trace_ids(None, "", event))


def run_job(
    job: type[BaseJob],
    *,
    data: Mapping[str, Any] | None = None,
    tenant_id: str | None = None,
    application_user_id: str | None = None,
    correlation_id: str | None = None,
    secret_keys: frozenset[str] = frozenset(),
    schedule: str | None = None,
    run_name: str | None = None,
) -> JobRunResult:
    """Run `job` once, in-process, and capture everything it produced."""
    environment = RunEnvironment(
        job=job.name,
        correlation_id=correlation_id or generated_correlation_id(),
        job_id=f"test-{uuid.uuid4().hex[:8]}",
        tenant_id=tenant_id,
        application_user_id=application_user_id,
        data=dict(data or {}),
        secret_keys=secret_keys,
        schedule=schedule,
        run_name=run_name,
        local=True,
    )
    exporter = InMemorySpanExporter()
    tracing = Tracing(TracingSettings(endpoint=None), exporter=exporter)
    metrics = RunMetrics()
    captured = structlog.testing.LogCapture()
    previous = structlog.get_config()
    structlog.configure(
        processors=[*logs.SHARED_PROCESSORS, captured],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _CaptureStandardLogging(captured)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        outcome = asyncio.run(
            execute_run(job, environment, tracing=tracing, metrics=metrics, handle_signals=False)
        )
    finally:
        root.removeHandler(handler)
        structlog.configure(**previous)
        tracing.shutdown()
    entries = [dict(entry) for entry in captured.entries]
    return JobRunResult(outcome, entries, metrics, list(exporter.get_finished_spans()))
