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

from basejob import contract, logs, timestamps
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
    return None if moment is None else timestamps.rfc3339_as_given(moment)


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


@dataclass(frozen=True, kw_only=True)
class _Run:
    """One run's job and inputs, fixed when it starts."""

    job: type[BaseJob]
    environment: RunEnvironment
    fire_time: datetime.datetime
    next_fire_time: datetime.datetime | None
    data: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class _Ending:
    """How the job's code ended, before its duration and metrics make it a `RunOutcome`."""

    status: str  # success, error or cancelled
    exit_code: int
    error_type: str | None = None
    message: str | None = None


_SUCCEEDED = _Ending(status="success", exit_code=contract.EXIT_SUCCESS)


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
    run = _Run(
        job=job,
        environment=environment,
        fire_time=environment.fire_time(started_at),
        next_fire_time=environment.next_fire_time(started_at),
        data=dict(environment.data),
    )
    with structlog.contextvars.bound_contextvars(**_log_context(run)):
        logger = structlog.get_logger(f"basejob.jobs.{job.name}")
        _log_start(logger, run)
        ending = await _execute_in_span(
            run, logger, tracing=tracing, metrics=metrics, handle_signals=handle_signals
        )
        return _record_outcome(run, ending, logger, metrics, duration=time.monotonic() - started)


def _log_context(run: _Run) -> dict[str, Any]:
    """The fields every log line of the run carries, bound for the whole run."""
    environment = run.environment
    return logs.context_fields(
        correlation_id=environment.correlation_id,
        job_name=run.job.name,
        job_id=environment.job_id,
        fire_time=_iso(run.fire_time) or "",
        next_fire_time=_iso(run.next_fire_time),
        tenant_id=environment.tenant_id,
        application_user_id=environment.application_user_id,
        data=run.data,
        secret_keys=environment.secret_keys,
    )


def _log_start(logger: Any, run: _Run) -> None:
    """The seed's start line, naming the job, its ID and the correlation ID."""
    logger.info(
        "Starting job %s (ID: %s) with correlation ID %s",
        run.job.name,
        run.environment.job_id,
        run.environment.correlation_id,
    )


async def _execute_in_span(
    run: _Run, logger: Any, *, tracing: Tracing, metrics: RunMetrics, handle_signals: bool
) -> _Ending:
    """The job's code inside the run's span; a job failure or a signal becomes an `_Ending`."""
    cancellation = _Cancellation(asyncio.Event())
    try:
        with tracing.run_span(f"basejob.run {run.job.name}", attributes=_span_attributes(run)):
            context = _job_context(run, logger, cancellation.cancelled, metrics)
            with cancellation.installed(enabled=handle_signals):
                cancellation.task = asyncio.current_task()
                await run.job().execute(context)
    except asyncio.CancelledError:
        if cancellation.signal is None:
            raise  # cancelled by our caller, not by a signal: not ours to swallow
        return _cancelled_by(cancellation.signal)
    except Exception as error:  # noqa: BLE001 - every job failure becomes an outcome
        return _failed_with(error)
    return _SUCCEEDED


def _span_attributes(run: _Run) -> dict[str, str]:
    """The run span's attributes; tenant and user only when the run has them."""
    environment = run.environment
    return {
        "job.name": run.job.name,
        "job.id": environment.job_id,
        "correlation.id": environment.correlation_id,
        "job.fire_time": _iso(run.fire_time) or "",
        **({"tenant.id": environment.tenant_id} if environment.tenant_id else {}),
        **({"user.id": environment.application_user_id} if environment.application_user_id else {}),
    }


def _job_context(
    run: _Run, logger: Any, cancelled: asyncio.Event, metrics: RunMetrics
) -> JobContext[Any]:
    """What the job's `execute` gets; invalid job data raises `InvalidParameterError` here."""
    environment = run.environment
    return JobContext(
        job_name=run.job.name,
        job_id=environment.job_id,
        correlation_id=environment.correlation_id,
        tenant_id=environment.tenant_id,
        application_user_id=environment.application_user_id,
        fire_time=run.fire_time,
        next_fire_time=run.next_fire_time,
        scheduledjob_namespace=environment.scheduledjob_namespace,
        scheduledjob_name=environment.scheduledjob_name,
        data=_parameters(run.job, run.data),
        raw_data=run.data,
        logger=logger,
        cancelled=cancelled,
        metrics=metrics.business,
    )


def _cancelled_by(signum: int) -> _Ending:
    """A run stopped by SIGINT or SIGTERM, with the exit code that tells which."""
    return _Ending(
        status="cancelled",
        exit_code=(
            contract.EXIT_CANCELLED_SIGINT
            if signum == signal.SIGINT
            else contract.EXIT_CANCELLED_SIGTERM
        ),
        message="stopped by a signal before it finished",
    )


def _failed_with(error: Exception) -> _Ending:
    """A run whose job raised `error`; the exit code comes from the error's type."""
    return _Ending(
        status="error",
        exit_code=exit_code_for(error),
        error_type=type(error).__name__,
        message=str(error),
    )


def _record_outcome(
    run: _Run, ending: _Ending, logger: Any, metrics: RunMetrics, *, duration: float
) -> RunOutcome:
    """Count the run in its metrics, write the finish line and return the `RunOutcome`."""
    metrics.record(
        job_name=run.job.name,
        status=ending.status,
        seconds=duration,
        error_type=ending.error_type,
        finished_at=time.time(),
    )
    _log_outcome(
        logger,
        run.job,
        run.environment,
        status=ending.status,
        duration=duration,
        error_type=ending.error_type,
        message=ending.message,
    )
    return RunOutcome(
        status=ending.status,
        exit_code=ending.exit_code,
        duration_seconds=duration,
        correlation_id=run.environment.correlation_id,
        error_type=ending.error_type,
        message=ending.message,
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
