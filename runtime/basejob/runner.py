"""Runs one job: context, logs, span, metrics, cancellation, outcome. The heart of `basejob run`.

`execute_run` is the in-process part (used by the CLI and by `basejob.testing`); `finish_run`
does what must happen after, whatever the outcome, each bounded in time: push metrics, write
the termination message, flush spans. Neither a slow Pushgateway nor a dead collector changes
a run's exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from basejob import contract, logs
from basejob.context import JobContext
from basejob.environment import RunEnvironment
from basejob.errors import InvalidParameterError, exit_code_for
from basejob.job import BaseJob
from basejob.metrics import RunMetrics
from basejob.tracing import Tracing

PUSH_TIMEOUT_SECONDS = 3.0
_log = structlog.get_logger("basejob.runner")


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """How a run ended."""

    status: str  # success, error or cancelled
    exit_code: int
    duration_seconds: float
    correlation_id: str
    error_type: str | None = None
    message: str | None = None

    def termination_message(self) -> str:
        """The short JSON summary the operator reads from the Pod."""
        summary = {
            "result": {"success": "succeeded", "error": "failed"}.get(self.status, self.status),
            "errorType": self.error_type,
            "message": (self.message or "")[:512] or None,
            "correlationId": self.correlation_id or None,
            "durationSeconds": round(self.duration_seconds, 3),
        }
        return json.dumps({k: v for k, v in summary.items() if v is not None})


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _parameters(job: type[BaseJob], data: dict[str, Any]) -> Any:
    if job.Parameters is None:
        return data
    import pydantic  # noqa: PLC0415 - only jobs with Parameters pay for importing it

    try:
        return job.Parameters.model_validate(data)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'data'}: {item['msg']}"
            for item in error.errors()
        )
        message = f"invalid job data for {job.name}: {problems}"
        raise InvalidParameterError(message) from error


class _Cancellation:
    """Turns SIGTERM/SIGINT into ctx.cancelled plus task cancellation."""

    def __init__(self, cancelled: asyncio.Event) -> None:
        self.cancelled = cancelled
        self.signal: int | None = None
        self.task: asyncio.Task[None] | None = None

    def __call__(self, signum: int) -> None:
        if self.signal is None:
            self.signal = signum
            _log.warning("Received signal, cancelling the job", signal=signal.Signals(signum).name)
        self.cancelled.set()
        if self.task is not None:
            self.task.cancel()

    @contextlib.contextmanager
    def installed(self, *, enabled: bool) -> Any:
        loop = asyncio.get_running_loop()
        signals = (signal.SIGTERM, signal.SIGINT) if enabled else ()
        for signum in signals:
            loop.add_signal_handler(signum, self, signum)
        try:
            yield self
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)


async def execute_run(
    job: type[BaseJob],
    environment: RunEnvironment,
    *,
    tracing: Tracing,
    metrics: RunMetrics,
    handle_signals: bool = True,
) -> RunOutcome:
    """Run `job` once in this event loop and return how it ended (never raises for job errors)."""
    started_at = datetime.datetime.now(datetime.UTC)
    started = time.monotonic()
    fire_time = environment.fire_time(started_at)
    next_fire_time = environment.next_fire_time(started_at)
    data = dict(environment.data)
    fields = logs.context_fields(
        correlation_id=environment.correlation_id,
        job_name=job.name,
        job_id=environment.job_id,
        fire_time=_iso(fire_time) or "",
        next_fire_time=_iso(next_fire_time),
        tenant_id=environment.tenant_id,
        application_user_id=environment.application_user_id,
        data=data,
        secret_keys=environment.secret_keys,
    )
    cancelled = asyncio.Event()
    cancellation = _Cancellation(cancelled)
    status, error_type, message = "success", None, None
    exit_code = contract.EXIT_SUCCESS
    with structlog.contextvars.bound_contextvars(**fields):
        logger = structlog.get_logger(f"basejob.jobs.{job.name}")
        logger.info(
            "Starting job %s (ID: %s) with correlation ID %s",
            job.name,
            environment.job_id,
            environment.correlation_id,
        )
        attributes = {
            "job.name": job.name,
            "job.id": environment.job_id,
            "correlation.id": environment.correlation_id,
            "job.fire_time": _iso(fire_time) or "",
            **({"tenant.id": environment.tenant_id} if environment.tenant_id else {}),
            **(
                {"user.id": environment.application_user_id}
                if environment.application_user_id
                else {}
            ),
        }
        try:
            with tracing.run_span(f"basejob.run {job.name}", attributes=attributes):
                context = JobContext(
                    job_name=job.name,
                    job_id=environment.job_id,
                    correlation_id=environment.correlation_id,
                    tenant_id=environment.tenant_id,
                    application_user_id=environment.application_user_id,
                    fire_time=fire_time,
                    next_fire_time=next_fire_time,
                    scheduledjob_namespace=environment.scheduledjob_namespace,
                    scheduledjob_name=environment.scheduledjob_name,
                    data=_parameters(job, data),
                    raw_data=data,
                    logger=logger,
                    cancelled=cancelled,
                    metrics=metrics.business,
                )
                with cancellation.installed(enabled=handle_signals):
                    cancellation.task = asyncio.current_task()
                    await job().execute(context)
        except asyncio.CancelledError:
            if cancellation.signal is None:
                raise  # cancelled by our caller, not by a signal: not ours to swallow
            status, message = "cancelled", "stopped by a signal before it finished"
            exit_code = (
                contract.EXIT_CANCELLED_SIGINT
                if cancellation.signal == signal.SIGINT
                else contract.EXIT_CANCELLED_SIGTERM
            )
        except Exception as error:  # noqa: BLE001 - every job failure becomes an outcome
            status, error_type, message = "error", type(error).__name__, str(error)
            exit_code = exit_code_for(error)
        duration = time.monotonic() - started
        metrics.record(
            job_name=job.name,
            status=status,
            seconds=duration,
            error_type=error_type,
            finished_at=time.time(),
        )
        _log_outcome(
            logger,
            job,
            environment,
            status=status,
            duration=duration,
            error_type=error_type,
            message=message,
        )
    return RunOutcome(
        status=status,
        exit_code=exit_code,
        duration_seconds=duration,
        correlation_id=environment.correlation_id,
        error_type=error_type,
        message=message,
    )


def _log_outcome(
    logger: Any,
    job: type[BaseJob],
    environment: RunEnvironment,
    *,
    status: str,
    duration: float,
    error_type: str | None,
    message: str | None,
) -> None:
    """The seed's finish line: completed successfully, failed with the error type, or cancelled."""
    what = (job.name, environment.job_id, duration)
    if status == "success":
        logger.info(
            "Job %s (ID: %s) completed successfully in %.2fs",
            *what,
            status=status,
            duration_seconds=duration,
        )
    elif status == "cancelled":
        logger.warning(
            "Job %s (ID: %s) was cancelled after %.2fs",
            *what,
            status=status,
            duration_seconds=duration,
        )
    else:
        logger.error(
            "Job %s (ID: %s) failed after %.2fs with %s: %s",
            *what,
            error_type,
            message,
            status=status,
            duration_seconds=duration,
            error_type=error_type,
        )


def finish_run(
    outcome: RunOutcome,
    environment: RunEnvironment,
    *,
    metrics: RunMetrics,
    tracing: Tracing,
    termination_message_path: Path | None,
) -> None:
    """Push metrics, write the termination message, flush spans: each bounded, none fatal."""
    if environment.pushgateway_url:
        _push(environment.pushgateway_url, environment, metrics)
    if termination_message_path is not None:
        write_termination_message(termination_message_path, outcome)
    tracing.shutdown()


def write_termination_message(path: Path, outcome: RunOutcome) -> None:
    """The outcome's summary where Kubernetes reads it; a failure is logged, not raised."""
    try:
        path.write_text(outcome.termination_message())
    except OSError as error:
        _log.warning("Could not write the termination message", path=str(path), error=str(error))


def _push(gateway: str, environment: RunEnvironment, metrics: RunMetrics) -> None:
    """Add the run's metrics to its group on the Pushgateway; a failure is logged, not raised."""
    # Imported here: the exposition parser and push client cost start-up only pushes need.
    from basejob import metrics_push  # noqa: PLC0415

    try:
        metrics_push.push_accumulated(
            gateway, environment.grouping_key(), metrics.registry, timeout=PUSH_TIMEOUT_SECONDS
        )
    except OSError as error:
        _log.warning(
            "Could not push metrics to the Pushgateway; the run's outcome is unchanged",
            pushgateway=gateway,
            error=str(error)[:300],
            timeout_seconds=PUSH_TIMEOUT_SECONDS,
            CorrelationId=environment.correlation_id,
        )
