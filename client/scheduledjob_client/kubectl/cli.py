"""`kubectl-sj`: the ScheduledJob kubectl plugin (`kubectl sj list`, `kubectl sj trigger NAME`).

kubectl runs any `kubectl-sj` on PATH for `kubectl sj ...` and passes the arguments through,
so the plugin takes kubectl's own conventions: `-n/--namespace`, `-A/--all-namespaces`,
`--kubeconfig`, `--context`, `-o json|yaml|wide|name`, before or after the subcommand. Data
goes to stdout; errors go to stderr as `error: ...` with exit code 1.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final, NoReturn, TextIO

from scheduledjob_client.kubectl import commands, logs
from scheduledjob_client.kubectl.cluster import Cluster
from scheduledjob_client.kubectl.errors import PluginError
from scheduledjob_client.scheduling import SchedulingClient, SchedulingError

PROG: Final = "kubectl sj"
EXIT_ERROR: Final = 1
EXIT_INTERRUPTED: Final = 130
OUTPUT_FORMATS: Final = ("json", "yaml", "wide", "name")
Command = Callable[[argparse.Namespace, commands.Session], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors kubectl's way: `error: ...`, exit code 1."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"error: {message}\n")


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Defined on the top parser and on each subparser, so flags work before and after the
    # subcommand; the subparsers' copies default to SUPPRESS so they never reset a value.
    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument("-n", "--namespace", default=default(None), help="namespace to work in")
    parser.add_argument(
        "-A",
        "--all-namespaces",
        action="store_true",
        default=default(False),
        help="list across all namespaces",
    )
    parser.add_argument("--kubeconfig", default=default(None), help="path to the kubeconfig")
    parser.add_argument("--context", default=default(None), help="kubeconfig context to use")
    parser.add_argument(
        "-o", "--output", choices=OUTPUT_FORMATS, default=default(None), help="output format"
    )


def _subcommand(
    commands_: argparse._SubParsersAction[_Parser], name: str, command: Command, help_: str
) -> argparse.ArgumentParser:
    parser = commands_.add_parser(name, help=help_, description=help_)
    _add_common(parser, top=False)
    parser.set_defaults(command=command, command_name=name)
    return parser


def _run_once_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="registered job name (DataCleanupJob) or module:Class")
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help="run at this RFC 3339 time, e.g. 2026-12-24T18:00:00Z")
    when.add_argument("--in", dest="in_", metavar="DURATION", help="run after 90s, 10m, 1h30m")
    parser.add_argument("--tenant", help="tenant ID (omit for a system job)")
    parser.add_argument("--user", help="application user ID (needs --tenant)")
    parser.add_argument("--correlation-id", help="correlation prefix of the run")
    parser.add_argument(
        "--data", action="append", default=[], metavar="KEY=VALUE", help="job data (repeatable)"
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="container variable"
    )
    parser.add_argument("--name", help="ScheduledJob name (default: derived from the inputs)")
    parser.add_argument(
        "--ttl-seconds-after-run", type=int, help="delete it this long after its run finished"
    )


def build_parser() -> argparse.ArgumentParser:
    """The plugin's argument parser."""
    parser = _Parser(prog=PROG, description="Work with ScheduledJobs (jobs.connectflow.io).")
    _add_common(parser, top=True)
    sub = parser.add_subparsers(title="commands", required=True, parser_class=_Parser)
    _subcommand(sub, "list", commands.list_scheduledjobs, "list ScheduledJobs")
    for name, command, help_ in (
        ("describe", commands.describe_scheduledjob, "show a ScheduledJob and its recent runs"),
        ("trigger", commands.trigger, "start one run now"),
        ("suspend", commands.suspend, "hold back new runs"),
        ("resume", commands.resume, "let runs start again"),
    ):
        _subcommand(sub, name, command, help_).add_argument("name", help="ScheduledJob name")
    sub.choices["trigger"].add_argument("--token", help="trigger token (default: a new one)")
    log_parser = _subcommand(sub, "logs", logs.show_logs, "print the log of a run")
    log_parser.add_argument("name", help="ScheduledJob name")
    log_parser.add_argument("--correlation-id", help="the run with this correlation ID")
    log_parser.add_argument("--tail", type=int, help="only the last N lines")
    log_parser.add_argument("-f", "--follow", action="store_true", help="stream the log")
    _run_once_parser(_subcommand(sub, "run-once", commands.run_once, "run a job once, later"))
    return parser


_OUTPUTS: Final = {
    "list": set(OUTPUT_FORMATS),
    "trigger": {"json", "yaml", "name"},
    "suspend": {"json", "yaml", "name"},
    "resume": {"json", "yaml", "name"},
    "run-once": {"json", "yaml", "name"},
}


def check_arguments(arguments: argparse.Namespace) -> None:
    """Refuse flags the chosen subcommand does not take (before connecting)."""
    name = arguments.command_name
    if arguments.all_namespaces and name != "list":
        message = f"-A/--all-namespaces applies to list only, not to {name}"
        raise PluginError(message)
    if arguments.output and arguments.output not in _OUTPUTS.get(name, set()):
        allowed = ", ".join(sorted(_OUTPUTS.get(name, set()))) or "none"
        message = f"{name} does not support -o {arguments.output} (supported: {allowed})"
        raise PluginError(message)


def _connect(arguments: argparse.Namespace) -> SchedulingClient:
    if arguments.kubeconfig or arguments.context:
        return SchedulingClient.from_kubeconfig(arguments.kubeconfig, context=arguments.context)
    return SchedulingClient.from_environment()


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    now: Callable[[], datetime.datetime] | None = None,
) -> int:
    """Entry point of `kubectl-sj`; returns the exit code."""
    stdout, stderr = out or sys.stdout, err or sys.stderr
    arguments = build_parser().parse_args(argv)
    try:
        check_arguments(arguments)
        with _connect(arguments) as scheduling:
            session = commands.Session(
                cluster=Cluster(scheduling.api_client),
                scheduling=scheduling,
                namespace=arguments.namespace or scheduling.namespace,
                out=stdout,
                err=stderr,
                now=now or (lambda: datetime.datetime.now(datetime.UTC)),
            )
            code: int = arguments.command(arguments, session)
            return code
    except (PluginError, SchedulingError) as error:
        stderr.write(f"error: {error}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (head, less) went away: stop quietly, as kubectl does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
