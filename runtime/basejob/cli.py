"""`basejob`: run a job (in a Pod, or locally with flags) and list the registered jobs.

    basejob run DataCleanupJob --data RetentionDays=7 --tenant 123 --correlation-id manual-1
    basejob list

In a Pod, everything comes from the environment contract; locally, flags fill it in and no
cluster is needed. The exit code is the run's: 0, 75 (transient), 78 (fatal), 130/143.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import structlog

from basejob import contract, environment, logs, registry, runner
from basejob.errors import FatalError
from basejob.metrics import RunMetrics
from basejob.tracing import Tracing, TracingSettings

_log = structlog.get_logger("basejob.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="basejob", description="Run BaseJob jobs.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one job now")
    run.add_argument(
        "job", nargs="?", help=f"registered name or module:Class (default: ${contract.JOB})"
    )
    run.add_argument(
        "--data", action="append", default=[], metavar="KEY=VALUE", help="job data (repeatable)"
    )
    run.add_argument("--tenant", help="tenant ID (omit for a system job)")
    run.add_argument("--user", help="application user ID")
    run.add_argument("--correlation-id", help="use this correlation ID instead of a generated one")
    commands.add_parser("list", help="list registered jobs")
    return parser


def _with_flags(
    run: environment.RunEnvironment, arguments: argparse.Namespace
) -> environment.RunEnvironment:
    """The run environment with the CLI's flags applied (flags win over the environment)."""
    changes: dict[str, Any] = {}
    if arguments.data:
        data = dict(run.data)
        data.update(environment.parse_data_flag(item) for item in arguments.data)
        changes["data"] = data
    if arguments.tenant:
        changes["tenant_id"] = arguments.tenant
    if arguments.user:
        changes["application_user_id"] = arguments.user
    if arguments.correlation_id:
        changes["correlation_id"] = arguments.correlation_id
    return dataclasses.replace(run, **changes)


def _run(arguments: argparse.Namespace, environ: Mapping[str, str]) -> int:
    try:
        run_environment = _with_flags(
            environment.from_environ(environ, job=arguments.job), arguments
        )
        job = registry.resolve(run_environment.job)
    except FatalError as error:
        _log.error("Could not start the job", error_type=type(error).__name__, error=str(error))
        _report_refused_start(error, environ)
        return error.exit_code
    tracing = Tracing(TracingSettings.from_environ(environ))
    metrics = RunMetrics()
    outcome = asyncio.run(
        runner.execute_run(job, run_environment, tracing=tracing, metrics=metrics)
    )
    runner.finish_run(
        outcome,
        run_environment,
        metrics=metrics,
        tracing=tracing,
        termination_message_path=_termination_message_path(environ, local=run_environment.local),
    )
    return outcome.exit_code


def _termination_message_path(environ: Mapping[str, str], *, local: bool | None) -> Path | None:
    """Where the termination message goes: the path the variable names, else Kubernetes'
    path in a Pod (`local` False), else nowhere. With `local` None (the environment could not
    be read, so whether this is a Pod is unknown) Kubernetes' path counts if it exists: the
    kubelet creates it in every container."""
    named = environ.get(contract.TERMINATION_MESSAGE_PATH_VARIABLE)
    if named:
        return Path(named)
    default = Path(contract.TERMINATION_MESSAGE_PATH)
    if local is None:
        return default if default.exists() else None
    return None if local else default


def _report_refused_start(error: FatalError, environ: Mapping[str, str]) -> None:
    """Write the termination message of a run that could not start, so that the
    ScheduledJob's `status.lastRun` names the error type as for any failed run."""
    path = _termination_message_path(environ, local=None)
    if path is None:
        return
    outcome = runner.RunOutcome(
        status="error",
        exit_code=error.exit_code,
        duration_seconds=0.0,
        correlation_id="",  # derived from the environment that could not be read
        error_type=type(error).__name__,
        message=str(error),
    )
    runner.write_termination_message(path, outcome)


def _list() -> int:
    jobs = registry.registered()
    width = max((len(job.name) for job in jobs), default=4)
    for job in jobs:
        print(f"{job.name:<{width}}  {job.description}  ({job.target})")
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point of the `basejob` command."""
    arguments = _parser().parse_args(argv)
    env = os.environ if environ is None else environ
    logs.configure(level=env.get("BASEJOB_LOG_LEVEL", "INFO"))
    if arguments.command == "list":
        return _list()
    return _run(arguments, env)


if __name__ == "__main__":
    sys.exit(main())
