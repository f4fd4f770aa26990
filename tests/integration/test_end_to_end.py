"""End to end: ScheduledJob → CronJob → Job → Pod → `basejob` → Pushgateway → Prometheus → status.

Nothing is simulated but the kubelet: the local node agent runs each Pod's `basejob run` as a
process (see docs/development.md). The session operator pushes runs to the session's real
Pushgateway, Prometheus scrapes it, and spans go to an OTLP/HTTP receiver decoding the protobuf.
Runs start at once with a Job created from the CronJob, as `kubectl create job --from` does;
one test also waits for a run the CronJob controller starts on its own.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from basejob import contract
from scheduledjob_dev.pytest_plugin import MonitoringStack
from support import dashboard
from support.otlp import OtlpReceiver, ReceivedSpan

from .helpers import ScheduledJobs, scheduledjob, start_run, wait_for

pytestmark = pytest.mark.usefixtures("operator", "node_agent")

TESTS = Path(__file__).resolve().parents[1]
NEVER_SOON = "0 0 1 1 *"  # runs below are started by hand, so counts stay exact
TRACE_ID = "5bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "10f067aa0ba902b7"
RUN_TIMEOUT = 90.0


def _scheduledjob(name: str, job: str, **spec: Any) -> dict[str, Any]:
    """A ScheduledJob running one of tests/support/sample_jobs.py (importable via PYTHONPATH)."""
    env = [{"name": "PYTHONPATH", "value": str(TESTS)}, *spec.pop("env", [])]
    return scheduledjob(name, job=f"support.sample_jobs:{job}", env=env, **spec)


def _last_run(jobs: ScheduledJobs, name: str, job_name: str) -> dict[str, Any] | None:
    last = (jobs.get(name).get("status") or {}).get("lastRun") or {}
    return last if last.get("jobName") == job_name else None


def _wait_last_run(jobs: ScheduledJobs, name: str, job_name: str) -> dict[str, Any]:
    return wait_for(
        f"{job_name} in {name}'s status.lastRun",
        lambda: _last_run(jobs, name, job_name),
        timeout=RUN_TIMEOUT,
    )


def _count(stack: MonitoringStack, metric: str, namespace: str, **labels: str) -> float:
    selector = ",".join(
        [f'namespace="{namespace}"', *(f'{key}="{value}"' for key, value in labels.items())]
    )
    result = stack.prometheus.query(f"sum({metric}{{{selector}}})")
    return float(result[0]["value"][1]) if result else 0.0


def _wait_count(
    stack: MonitoringStack, metric: str, namespace: str, expected: float, **labels: str
) -> None:
    wait_for(
        f"{metric} {labels} == {expected} in Prometheus",
        lambda: _count(stack, metric, namespace, **labels) == expected,
        timeout=RUN_TIMEOUT,
    )


def _job(api_client: Any, namespace: str, name: str) -> Any:
    return client.BatchV1Api(api_client).read_namespaced_job(name, namespace)


def _create(api_client: Any, namespace: str, manifest: dict[str, Any]) -> tuple[ScheduledJobs, str]:
    """Create the ScheduledJob, wait for Ready; its ScheduledJobs handle and CronJob name."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(manifest)
    name = manifest["metadata"]["name"]
    ready = jobs.wait_ready(name)
    cron_job: str = ready["status"]["cronJobName"]
    return jobs, cron_job


def _run_spans(receiver: OtlpReceiver, correlation_id: str) -> list[ReceivedSpan]:
    return [
        span for span in receiver.spans() if span.attributes.get("correlation.id") == correlation_id
    ]


def test_a_run_succeeds_and_shows_in_status_prometheus_traces_and_logs(
    api_client: Any,
    namespace: str,
    prometheus_stack: MonitoringStack,
    trace_receiver: OtlpReceiver,
) -> None:
    """A manual run logs, pushes, traces in the caller's trace, and lands in status.lastRun."""
    traceparent = {"name": "TRACEPARENT", "value": f"00-{TRACE_ID}-{PARENT_SPAN}-01"}
    manifest = _scheduledjob(
        "greeter", "GreetingJob", schedule=NEVER_SOON, data={"BatchSize": 3}, env=[traceparent]
    )
    jobs, cron_job = _create(api_client, namespace, manifest)
    started = start_run(api_client, namespace, cron_job, "greeter-now")

    last = _wait_last_run(jobs, "greeter", "greeter-now")
    correlation = contract.correlation_id("greeter", started.metadata.uid)
    assert ("Succeeded", correlation) == (last["result"], last["correlationId"])
    assert last["durationSeconds"] >= 0
    _wait_count(prometheus_stack, "job_executions_total", namespace, 1, status="success")
    [span] = wait_for("the run's span", lambda: _run_spans(trace_receiver, correlation))
    assert "basejob.run GreetingJob" == span.span.name
    assert (TRACE_ID, PARENT_SPAN) == (span.span.trace_id.hex(), span.span.parent_span_id.hex())
    assert "greeter-now" == span.resource_attributes["k8s.job.name"]
    core = client.CoreV1Api(api_client)
    [pod] = core.list_namespaced_pod(
        namespace, label_selector="batch.kubernetes.io/job-name=greeter-now"
    ).items
    log = core.read_namespaced_pod_log(pod.metadata.name, namespace)  # served by the agent
    assert correlation in log
    assert "Greeted" in log


def test_the_cronjob_controller_starts_a_run_on_schedule(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack
) -> None:
    """Every minute means a run within a minute, started by the CronJob controller itself."""
    jobs, cron_job = _create(
        api_client, namespace, _scheduledjob("minutely", "NoOpJob", schedule="* * * * *")
    )

    def scheduled_run() -> dict[str, Any] | None:
        last = (jobs.get("minutely").get("status") or {}).get("lastRun") or {}
        return last if last.get("jobName", "").startswith(f"{cron_job}-") else None

    last = wait_for("a scheduled run to finish", scheduled_run, timeout=75 + RUN_TIMEOUT)
    assert "Succeeded" == last["result"]
    _wait_count(prometheus_stack, "job_executions_total", namespace, 1, status="success")


def test_a_transient_failure_is_retried_and_then_succeeds(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack, tmp_path: Path
) -> None:
    """Exit 75 on the first attempt, a new Pod, success: one failed and one succeeded Pod."""
    marker = tmp_path / f"attempted-{uuid.uuid4().hex}"
    manifest = _scheduledjob(
        "flaky", "FailsOnceJob", schedule=NEVER_SOON, retries=2, data={"Marker": str(marker)}
    )
    jobs, cron_job = _create(api_client, namespace, manifest)
    start_run(api_client, namespace, cron_job, "flaky-now")

    assert "Succeeded" == _wait_last_run(jobs, "flaky", "flaky-now")["result"]
    status = _job(api_client, namespace, "flaky-now").status
    assert (1, 1) == (status.failed, status.succeeded)
    _wait_count(prometheus_stack, "job_executions_total", namespace, 1, status="error")
    _wait_count(prometheus_stack, "job_executions_total", namespace, 1, status="success")


def test_a_fatal_failure_fails_the_run_without_a_retry(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack
) -> None:
    """Exit 78 fails the Job at once despite retries; the error type reaches status and metrics."""
    manifest = _scheduledjob("broken", "BrokenJob", schedule=NEVER_SOON, retries=3)
    jobs, cron_job = _create(api_client, namespace, manifest)
    start_run(api_client, namespace, cron_job, "broken-now")

    last = _wait_last_run(jobs, "broken", "broken-now")
    assert ("Failed", "FatalError") == (last["result"], last.get("errorType"))
    assert 1 == _job(api_client, namespace, "broken-now").status.failed
    _wait_count(prometheus_stack, "job_errors_total", namespace, 1, error_type="FatalError")


def test_a_run_past_its_timeout_is_stopped_and_reported(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack
) -> None:
    """timeoutSeconds: the Job controller ends the run, the agent SIGTERMs, the job cancels."""
    manifest = _scheduledjob("sleepy", "SleepyJob", schedule=NEVER_SOON, timeoutSeconds=3)
    jobs, cron_job = _create(api_client, namespace, manifest)
    start_run(api_client, namespace, cron_job, "sleepy-now")

    last = _wait_last_run(jobs, "sleepy", "sleepy-now")
    assert ("Failed", "DeadlineExceeded") == (last["result"], last.get("reason"))
    _wait_count(prometheus_stack, "job_executions_total", namespace, 1, status="cancelled")
    # The operator counts it from the Job, whether or not the job got to push.
    _wait_count(
        prometheus_stack, "scheduledjob_runs_total", namespace, 1, result="deadline_exceeded"
    )


def test_deleting_a_running_run_cancels_the_job(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack
) -> None:
    """Deleting the Job stops its Pod with SIGTERM; the job reports itself cancelled."""
    _, cron_job = _create(
        api_client, namespace, _scheduledjob("cancelme", "SleepyJob", schedule=NEVER_SOON)
    )
    start_run(api_client, namespace, cron_job, "cancelme-now")
    core = client.CoreV1Api(api_client)

    def sleeping_pod() -> str | None:
        pods = core.list_namespaced_pod(
            namespace, label_selector="batch.kubernetes.io/job-name=cancelme-now"
        ).items
        if pods and pods[0].status.phase == "Running":
            name: str = pods[0].metadata.name
            if "Sleeping" in core.read_namespaced_pod_log(name, namespace):
                return name
        return None

    pod = wait_for("the run to be sleeping", sleeping_pod, timeout=RUN_TIMEOUT)
    client.BatchV1Api(api_client).delete_namespaced_job(
        "cancelme-now", namespace, propagation_policy="Background"
    )

    _wait_count(prometheus_stack, "job_executions_total", namespace, 1, status="cancelled")
    wait_for(
        f"Pod {pod} to be gone",
        lambda: (
            not core.list_namespaced_pod(namespace, field_selector=f"metadata.name={pod}").items
        ),
        timeout=RUN_TIMEOUT,
    )


def test_every_dashboard_panel_shows_data_after_real_runs(
    api_client: Any, namespace: str, prometheus_stack: MonitoringStack
) -> None:
    """Each panel query of the shipped dashboard returns series once real runs happened."""
    for name, job in (("dash-ok", "GreetingJob"), ("dash-broken", "BrokenJob")):
        jobs, cron_job = _create(
            api_client, namespace, _scheduledjob(name, job, schedule=NEVER_SOON)
        )
        for attempt in ("1", "2"):  # a pushed counter's first value is not an increase
            start_run(api_client, namespace, cron_job, f"{name}-{attempt}")
            _wait_last_run(jobs, name, f"{name}-{attempt}")
    _wait_count(prometheus_stack, "job_executions_total", namespace, 4)

    for title, expr in dashboard.panel_queries():
        query = dashboard.substitute(expr, namespace_regex=namespace)
        result = prometheus_stack.prometheus.wait_for_query(query, bool, timeout=RUN_TIMEOUT)
        assert result, title
    runs = dashboard.substitute(
        'sum(increase(job_executions_total{namespace=~"$namespace"}[$__range]))',
        namespace_regex=namespace,
    )
    assert float(prometheus_stack.prometheus.query(runs)[0]["value"][1]) > 0
