"""Runs started from code: a trigger token starts one run, a one-shot runs once, traces join.

The session operator acts on trigger tokens and one-shot ScheduledJobs; the node agent runs
the Pods, so each run really executes `support.sample_jobs` and reports to status.lastRun,
its span to the session's OTLP receiver, and its log to `kubectl sj logs`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_client.scheduling import (
    ScheduledJobNotFoundError,
    ScheduledJobRef,
    SchedulingClient,
)
from scheduledjob_dev.pytest_plugin import ClusterAccess
from support.otlp import OtlpReceiver, ReceivedSpan

from .helpers import ScheduledJobs, wait_for

pytestmark = pytest.mark.usefixtures("operator", "node_agent")

TESTS = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NEVER_SOON = "0 0 1 1 *"  # runs below start by trigger or once, never by the schedule
GREETING = "support.sample_jobs:GreetingJob"
RUN_TIMEOUT = 90.0
ON_PATH = {"PYTHONPATH": str(TESTS)}  # makes support.sample_jobs importable in the Pod


@pytest.fixture
def jobs(api_client: Any, namespace: str) -> SchedulingClient:
    """A scheduling client in the test's namespace."""
    return SchedulingClient(api_client, namespace=namespace)


@pytest.fixture
def sj(kube_cluster: ClusterAccess, namespace: str) -> Callable[..., str]:
    """Run `kubectl-sj ARGS -n NAMESPACE`; a non-zero exit fails the test."""

    def run(*arguments: str) -> str:
        result = subprocess.run(
            [str(BIN / "kubectl-sj"), *arguments, "-n", namespace,
             f"--kubeconfig={kube_cluster.kubeconfig}"],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert 0 == result.returncode, result.stderr
        return result.stdout

    return run


def _status(jobs: SchedulingClient, name: str) -> dict[str, Any]:
    return dict(jobs.get(name).object.get("status") or {})


def _wait_last_run(jobs: SchedulingClient, name: str, job_name: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        last = _status(jobs, name).get("lastRun") or {}
        return last if last.get("jobName") == job_name else None

    return wait_for(f"{job_name} in {name}'s status.lastRun", finished, timeout=RUN_TIMEOUT)


def _wait_trigger_handled(jobs: SchedulingClient, name: str, token: str) -> dict[str, Any]:
    def handled() -> dict[str, Any] | None:
        record = _status(jobs, name).get("lastTrigger") or {}
        return record if record.get("token") == token else None

    return wait_for(f"token {token} in status.lastTrigger", handled, timeout=RUN_TIMEOUT)


def _recurring(jobs: SchedulingClient, name: str) -> ScheduledJobRef:
    ref = jobs.schedule_tenant_job(
        GREETING, 7, cron=NEVER_SOON, name=name, data={"BatchSize": 2}, env=ON_PATH
    )
    ScheduledJobs(jobs.api_client, jobs.namespace).wait_ready(name)
    return ref


def _runs(api_client: Any, namespace: str, name: str, kind: str) -> list[Any]:
    selector = f"{naming.SCHEDULEDJOB_LABEL}={name},{contract.RUN_KIND_LABEL}={kind}"
    return list(
        client.BatchV1Api(api_client).list_namespaced_job(namespace, label_selector=selector).items
    )


def _run_span(receiver: OtlpReceiver, correlation_id: str) -> ReceivedSpan:
    def spans() -> list[ReceivedSpan]:
        return [s for s in receiver.spans() if s.attributes.get("correlation.id") == correlation_id]

    [span] = wait_for(f"the span of run {correlation_id}", spans, timeout=RUN_TIMEOUT)
    return span


def test_each_new_token_starts_exactly_one_run(
    jobs: SchedulingClient, api_client: Any, namespace: str
) -> None:
    """A token starts one manual run; the same token again starts none, a new one another."""
    _recurring(jobs, "pulled")
    token = jobs.trigger("pulled")
    record = _wait_trigger_handled(jobs, "pulled", token)
    last = _wait_last_run(jobs, "pulled", record["jobName"])
    [run] = _runs(api_client, namespace, "pulled", "manual")
    assert ("Succeeded", contract.correlation_id("pulled", run.metadata.uid)) == (
        last["result"],
        last["correlationId"],
    )
    jobs.trigger("pulled", token=token)  # a retry with the same token
    second = jobs.trigger("pulled")
    _wait_trigger_handled(jobs, "pulled", second)
    assert 2 == len(_runs(api_client, namespace, "pulled", "manual"))


def test_triggered_run_continues_the_callers_trace(
    jobs: SchedulingClient, api_client: Any, namespace: str, trace_receiver: OtlpReceiver
) -> None:
    """A trigger inside a span makes the run's span that span's child."""
    _recurring(jobs, "traced")
    with TracerProvider().get_tracer("caller").start_as_current_span("request") as caller:
        token = jobs.trigger("traced")
    record = _wait_trigger_handled(jobs, "traced", token)
    _wait_last_run(jobs, "traced", record["jobName"])
    run = client.BatchV1Api(api_client).read_namespaced_job(record["jobName"], namespace)
    span = _run_span(trace_receiver, contract.correlation_id("traced", run.metadata.uid))
    context = caller.get_span_context()
    assert (trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)) == (
        span.span.trace_id.hex(),
        span.span.parent_span_id.hex(),
    )


def test_one_shot_runs_once_in_the_callers_trace(
    jobs: SchedulingClient, api_client: Any, namespace: str, trace_receiver: OtlpReceiver
) -> None:
    """A delay ScheduledJob runs once as kind `once`, its span the caller's child."""
    with TracerProvider().get_tracer("caller").start_as_current_span("request") as caller:
        ref = jobs.schedule_system_job(
            GREETING, delay="1s", data={"BatchSize": 1}, env=ON_PATH, correlation_id="adhoc"
        )
    one_shot = wait_for(
        "status.oneShot.finishedTime",
        lambda: (
            (_status(jobs, ref.name).get("oneShot") or {}).get("finishedTime")
            and _status(jobs, ref.name)["oneShot"]
        ),
        timeout=RUN_TIMEOUT,
    )
    last = _wait_last_run(jobs, ref.name, one_shot["jobName"])
    [run] = _runs(api_client, namespace, ref.name, "once")
    assert ("Succeeded", run.metadata.name) == (last["result"], one_shot["jobName"])
    span = _run_span(trace_receiver, contract.correlation_id("adhoc", run.metadata.uid))
    assert trace.format_trace_id(caller.get_span_context().trace_id) == span.span.trace_id.hex()


def test_one_shot_with_ttl_is_deleted_after_its_run(jobs: SchedulingClient) -> None:
    """ttl_seconds_after_run removes the ScheduledJob once its run has finished."""
    ref = jobs.schedule_system_job(
        GREETING, delay="0s", data={"BatchSize": 1}, env=ON_PATH, ttl_seconds_after_run=1
    )

    def gone() -> bool:
        try:
            jobs.get(ref.name)
        except ScheduledJobNotFoundError:
            return True
        return False

    wait_for(f"{ref.name} to be deleted after its run", gone, timeout=RUN_TIMEOUT)


def test_plugin_shows_a_triggered_run_in_list_describe_and_logs(
    jobs: SchedulingClient, sj: Callable[..., str]
) -> None:
    """After `kubectl sj trigger`, list, describe and logs show the run and its log."""
    _recurring(jobs, "shown")
    token = sj("trigger", "shown").rsplit("token ", 1)[1].rstrip(")\n")
    job_name = _wait_trigger_handled(jobs, "shown", token)["jobName"]
    correlation = _wait_last_run(jobs, "shown", job_name)["correlationId"]
    [row] = sj("list").splitlines()[1:]
    assert [job_name, "Succeeded"] == [row.split()[8], row.split()[-3]]
    described = sj("describe", "shown").splitlines()
    assert f"Last Trigger:         {token} -> {job_name}" in described
    [line] = [line for line in described if line.startswith(f"  {job_name} ")]
    assert ["manual", correlation] == line.split()[1:3]
    assert "Succeeded" in line.split()
    assert correlation in sj("logs", "shown")
    assert correlation in sj("logs", "shown", "--correlation-id", correlation)
    assert correlation in sj("logs", "shown", "-f")  # the run has ended: follow returns
    assert 1 == len(sj("logs", "shown", "--tail", "1").splitlines())


def test_plugin_run_once_runs_the_job(jobs: SchedulingClient, sj: Callable[..., str]) -> None:
    """`kubectl sj run-once ... --in 1s` makes a one-shot that runs and succeeds."""
    sj("run-once", GREETING, "--in", "1s", "--data", "BatchSize=1", "--env",
       f"PYTHONPATH={TESTS}", "--name", "adhoc")  # fmt: skip

    def succeeded() -> bool:
        return (_status(jobs, "adhoc").get("lastRun") or {}).get("result") == "Succeeded"

    wait_for("adhoc's run to succeed", succeeded, timeout=RUN_TIMEOUT)
