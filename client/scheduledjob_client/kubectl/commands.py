"""One function per `kubectl sj` subcommand: read or change the cluster, then print.

Each takes the parsed arguments and a `Session` (the cluster, the namespace, where output
goes, the clock) and returns the exit code; errors propagate to the CLI, which prints them.
Data goes to `session.out`, messages about the data (an empty list) to `session.err`.
"""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TextIO

from scheduledjob_client.kubectl import describe, printers, table, values
from scheduledjob_client.kubectl.cluster import Cluster
from scheduledjob_client.scheduling import SchedulingClient, SpecOptions

OK: Final = 0


@dataclass(frozen=True)
class Session:
    """What every command works with."""

    cluster: Cluster
    scheduling: SchedulingClient
    namespace: str
    out: TextIO
    err: TextIO
    now: Callable[[], datetime.datetime]

    def print(self, text: str) -> None:
        """Write `text` and a newline to the output."""
        if text:
            self.out.write(text + "\n")
            self.out.flush()


def list_scheduledjobs(arguments: argparse.Namespace, session: Session) -> int:
    """`list`: the table (or json, yaml, names) of ScheduledJobs."""
    namespace = None if arguments.all_namespaces else session.namespace
    items = session.cluster.list_scheduledjobs(namespace)
    output = arguments.output
    if output in printers.MACHINE_FORMATS:
        session.print(printers.render_many(items, output))
        return OK
    if not items:
        where = "any namespace" if namespace is None else f"{namespace} namespace"
        session.err.write(f"No resources found in {where}.\n")
        return OK
    session.print(
        table.render(
            items,
            session.now(),
            wide=output == "wide",
            with_namespace=bool(arguments.all_namespaces),
        )
    )
    return OK


def describe_scheduledjob(arguments: argparse.Namespace, session: Session) -> int:
    """`describe NAME`: spec, conditions, recent runs and events."""
    scheduledjob = session.cluster.get_scheduledjob(session.namespace, arguments.name)
    jobs = session.cluster.runs(session.namespace, arguments.name)
    events = session.cluster.events(session.namespace, arguments.name)
    session.print(describe.render(scheduledjob, jobs, events, session.now()))
    return OK


def _print_changed(
    session: Session, obj: dict[str, Any] | None, name: str, output: str | None, verb: str
) -> None:
    if output in {"json", "yaml"} and obj is not None:
        session.print(printers.render_object(obj, output))
    elif output == "name":
        session.print(printers.qualified_name(name))
    else:
        session.print(f"{printers.qualified_name(name)} {verb}")


def trigger(arguments: argparse.Namespace, session: Session) -> int:
    """`trigger NAME`: start one run now through the trigger annotation."""
    token = session.scheduling.trigger(
        arguments.name, namespace=session.namespace, token=arguments.token
    )
    if arguments.output in {"json", "yaml"}:
        obj = dict(session.scheduling.get(arguments.name, namespace=session.namespace).object)
        session.print(printers.render_object(obj, arguments.output))
    elif arguments.output == "name":
        session.print(printers.qualified_name(arguments.name))
    else:
        session.print(f"{printers.qualified_name(arguments.name)} triggered (token {token})")
    return OK


def suspend(arguments: argparse.Namespace, session: Session) -> int:
    """`suspend NAME`: hold back new runs."""
    ref = session.scheduling.suspend(arguments.name, namespace=session.namespace)
    _print_changed(session, dict(ref.object), arguments.name, arguments.output, "suspended")
    return OK


def resume(arguments: argparse.Namespace, session: Session) -> int:
    """`resume NAME`: let runs start again."""
    ref = session.scheduling.resume(arguments.name, namespace=session.namespace)
    _print_changed(session, dict(ref.object), arguments.name, arguments.output, "resumed")
    return OK


def run_once(arguments: argparse.Namespace, session: Session) -> int:
    """`run-once JOB --at TIME | --in DURATION`: a one-shot ScheduledJob."""
    data = dict(values.parse_data(item) for item in arguments.data)
    env = dict(values.parse_env(item) for item in arguments.env)
    run_at = values.parse_at(arguments.at) if arguments.at else None
    delay = values.parse_in(arguments.in_) if arguments.in_ else None
    options: SpecOptions = {}
    if env:
        options["env"] = env
    if arguments.ttl_seconds_after_run is not None:
        options["ttl_seconds_after_run"] = arguments.ttl_seconds_after_run
    ref = session.scheduling.schedule_job_with_context(
        arguments.job,
        tenant_id=arguments.tenant,
        application_user_id=arguments.user,
        correlation_id=arguments.correlation_id,
        data=data or None,
        delay=delay,
        run_at=run_at,
        name=arguments.name,
        namespace=session.namespace,
        **options,
    )
    _print_changed(session, dict(ref.object), ref.name, arguments.output, ref.change or "created")
    return OK
