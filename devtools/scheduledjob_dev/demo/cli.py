"""`scheduledjob-demo`: the README's run command. Everything, locally, live, until Ctrl-C.

Starts the control plane, monitoring, node agent and operator (see `stack`), applies the
repository's sample ScheduledJobs (the seed's five jobs, weekly and monthly reports included),
starts one run of each at once so there is something to see, then shows a refreshing table of
ScheduledJobs with where to look next. SIGINT or SIGTERM (or `--duration`) stops everything.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from scheduledjob_api import naming, v1alpha1
from scheduledjob_dev.binaries import find_binaries
from scheduledjob_dev.demo import samples, stack, table
from scheduledjob_dev.errors import ControlPlaneError
from scheduledjob_operator.domain.builders.job import build_run
from scheduledjob_operator.domain.builders.owners import cron_owner

NAMESPACE = "demo"
_CLEAR = "\x1b[H\x1b[2J"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scheduledjob-demo",
        description="Run ScheduledJob end to end on this machine and watch it work.",
    )
    parser.add_argument(
        "--samples", type=Path, default=Path("crds/samples"), help="ScheduledJobs to apply"
    )
    parser.add_argument(
        "--rules",
        type=Path,
        default=Path("charts/scheduledjob-operator/rules/scheduledjob-alerts.yaml"),
        help="alert rules for Prometheus to evaluate",
    )
    parser.add_argument("--refresh", type=float, default=5.0, help="seconds between tables")
    parser.add_argument(
        "--duration", type=float, default=None, help="stop by itself after this many seconds"
    )
    return parser.parse_args(argv)


def _say(text: str) -> None:
    print(text, flush=True)


def _apply_samples(api_client: Any, arguments: argparse.Namespace, running: stack.Running) -> None:
    from kubernetes import client  # noqa: PLC0415 - heavy import, only when needed

    core: Any = client.CoreV1Api(api_client)  # JSON in and out
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    directory = running.plane.directory / "demo"
    directory.mkdir()
    url = samples.subscriptions_database(directory)
    core.create_namespaced_secret(NAMESPACE, samples.subscriptions_secret(NAMESPACE, url))
    objects: Any = client.CustomObjectsApi(api_client)  # JSON in and out
    for manifest in samples.load(arguments.samples):
        localised = samples.localised(
            manifest, directory=directory, prometheus_url=running.prometheus.url
        )
        objects.create_namespaced_custom_object(
            v1alpha1.GROUP, v1alpha1.VERSION, NAMESPACE, v1alpha1.PLURAL, localised
        )
        _say(f"Applied ScheduledJob {manifest['metadata']['name']} ({manifest['spec']['job']})")


def _start_first_runs(api_client: Any, names: list[str]) -> None:
    """One run of each ScheduledJob now, as `kubectl create job --from=cronjob/...` does."""
    from kubernetes import client  # noqa: PLC0415

    batch: Any = client.BatchV1Api(api_client)  # JSON in and out
    for name in names:
        cron_job_name = naming.cronjob_name(name)
        with contextlib.suppress(client.exceptions.ApiException):
            cron_job = json.loads(
                batch.read_namespaced_cron_job(
                    cron_job_name, NAMESPACE, _preload_content=False
                ).data
            )
            job = build_run(
                cron_job["spec"]["jobTemplate"],
                name=f"{cron_job_name}-demo",
                namespace=NAMESPACE,
                owner_reference=cron_owner(cron_job),
                kind="manual",
            )
            batch.create_namespaced_job(NAMESPACE, job, _preload_content=False).data  # noqa: B018


def _guide(running: stack.Running) -> str:
    kubectl = find_binaries().path("kubectl")
    return "\n".join(
        [
            "In another terminal:",
            f"  export KUBECONFIG={running.plane.kubeconfig}",
            f"  alias kubectl={kubectl}",
            f"  kubectl get scheduledjobs -n {NAMESPACE}",
            f"  kubectl describe scheduledjob -n {NAMESPACE} subscription-grace-period",
            f"  kubectl get jobs,pods -n {NAMESPACE}",
            f"  kubectl logs -n {NAMESPACE} -l {naming.SCHEDULEDJOB_LABEL}=test-metrics --tail=5",
            f"  kubectl create job -n {NAMESPACE} --from=cronjob/"
            f"{naming.cronjob_name('test-metrics')} my-run",
            f"Prometheus:  {running.prometheus.url}/graph?g0.expr=job_executions_total"
            f"  (alerts: {running.prometheus.url}/alerts)",
            f"Pushgateway: {running.pushgateway.url}",
            f"Operator:    {running.operator_metrics_url}  (log: {running.operator_log})",
            "Ctrl-C stops everything and removes what it made.",
        ]
    )


def _show(api_client: Any, guide: str, *, clear: bool) -> None:
    from kubernetes import client  # noqa: PLC0415

    objects: Any = client.CustomObjectsApi(api_client)  # JSON in and out
    listed = objects.list_namespaced_custom_object(
        v1alpha1.GROUP, v1alpha1.VERSION, NAMESPACE, v1alpha1.PLURAL
    )
    now = datetime.datetime.now(datetime.UTC)
    text = table.render(listed["items"], now)
    stamp = now.strftime("%H:%M:%S UTC")
    _say(f"{_CLEAR if clear else ''}ScheduledJobs in namespace {NAMESPACE} at {stamp}\n{text}\n")
    if clear:
        _say(guide)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo until interrupted or `--duration` is over."""
    arguments = _parse(argv)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    rules = [arguments.rules] if arguments.rules.exists() else []
    try:
        with contextlib.ExitStack() as components:
            running = stack.start_everything(components, rule_files=rules, say=_say)
            from kubernetes import config  # noqa: PLC0415

            api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=str(running.plane.kubeconfig)
            )
            components.callback(api_client.close)
            _apply_samples(api_client, arguments, running)
            guide = _guide(running)
            _say(guide)
            names = [m["metadata"]["name"] for m in samples.load(arguments.samples)]
            stack.wait_for_cronjobs(api_client, NAMESPACE, names)
            _start_first_runs(api_client, names)
            _say("Started one run of each ScheduledJob now, so there is something to see.\n")
            _loop(api_client, arguments, guide, stop_requested)
            _say("Stopping everything.")
    except ControlPlaneError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _say("Stopped; nothing is left running.")
    return 0


def _loop(
    api_client: Any, arguments: argparse.Namespace, guide: str, stop: threading.Event
) -> None:
    clear = sys.stdout.isatty()
    deadline = None
    if arguments.duration is not None:
        deadline = datetime.datetime.now(datetime.UTC).timestamp() + arguments.duration
    while True:
        _show(api_client, guide, clear=clear)
        remaining = arguments.refresh
        if deadline is not None:
            remaining = min(remaining, deadline - datetime.datetime.now(datetime.UTC).timestamp())
            if remaining <= 0:
                return
        if stop.wait(remaining):
            _show(api_client, guide, clear=False)  # the final state stays on screen
            return


if __name__ == "__main__":
    sys.exit(main())
