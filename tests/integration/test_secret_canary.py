"""A Secret's value reaches its run and nothing else the system writes.

A random canary goes into a Secret, a ScheduledJob takes it through `dataFrom`, and one run is
triggered end to end (operator, CronJob, Job, Pod run by the node agent, `basejob`, the real
Pushgateway, the OTLP receiver). The job logs the value's SHA-256, which proves the value
arrived; then every manifest, status, Event, log, metric and span is searched for the canary,
raw and base64-encoded (as a dumped Secret would carry it). It must be in the Secret only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.request
from pathlib import Path
from typing import Any

from kubernetes import client

from basejob import contract
from scheduledjob_dev.nodeagent.launcher import NodeAgentProcess
from scheduledjob_dev.pytest_plugin import MonitoringStack
from support.otlp import OtlpReceiver

from .conftest import RunningOperator
from .helpers import ScheduledJobs, scheduledjob, wait_for

TESTS = Path(__file__).resolve().parents[1]
NAME = "canary"
NEVER_SOON = "0 0 1 1 *"  # only the triggered run runs
RUN_TIMEOUT = 90.0


def _triggered_run(api_client: Any, namespace: str, canary: str) -> dict[str, Any]:
    """Create the Secret and the ScheduledJob, trigger one run, return its status.lastRun."""
    client.CoreV1Api(api_client).create_namespaced_secret(
        namespace, {"metadata": {"name": "reporting"}, "stringData": {"token": canary}}
    )
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(
        scheduledjob(
            NAME,
            job="support.sample_jobs:SecretDigestJob",
            schedule=NEVER_SOON,
            env=[{"name": "PYTHONPATH", "value": str(TESTS)}],
            data={"Label": "visible"},
            dataFrom=[{"key": "ApiToken", "secretKeyRef": {"name": "reporting", "key": "token"}}],
        )
    )
    jobs.wait_ready(NAME)
    client.CustomObjectsApi(api_client).patch_namespaced_custom_object(
        contract.API_GROUP,
        contract.API_VERSION,
        namespace,
        contract.PLURAL,
        NAME,
        {"metadata": {"annotations": {contract.TRIGGER_ANNOTATION: "canary-1"}}},
    )

    def finished() -> dict[str, Any] | None:
        last: dict[str, Any] = (jobs.get(NAME).get("status") or {}).get("lastRun") or {}
        return last if last.get("result") else None

    return wait_for("the triggered run to finish", finished, timeout=RUN_TIMEOUT)


def _as_json(api_client: Any, value: Any) -> str:
    return json.dumps(api_client.sanitize_for_serialization(value), default=str)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our loopback URL
        body: bytes = response.read()
    return body.decode()


def test_a_secret_value_reaches_the_job_and_nothing_else(
    api_client: Any,
    namespace: str,
    operator: RunningOperator,
    node_agent: NodeAgentProcess,
    prometheus_stack: MonitoringStack,
    trace_receiver: OtlpReceiver,
) -> None:
    """The job sees the Secret's value; no manifest, status, Event, log, metric or span does."""
    canary = f"canary-{secrets.token_hex(16)}"
    last = _triggered_run(api_client, namespace, canary)
    assert "Succeeded" == last["result"], last
    core, batch = client.CoreV1Api(api_client), client.BatchV1Api(api_client)
    pods = core.list_namespaced_pod(namespace).items
    pod_logs = {
        pod.metadata.name: core.read_namespaced_pod_log(pod.metadata.name, namespace)
        for pod in pods
    }

    # Not vacuous: the value arrived, the log context was rendered, and telemetry was written.
    lines = [
        json.loads(line)
        for log in pod_logs.values()
        for line in log.splitlines()
        if line.startswith("{")
    ]
    [digested] = [line for line in lines if line["event"] == "Digested the token"]
    assert hashlib.sha256(canary.encode()).hexdigest() == digested["sha256"]
    assert ("visible", last["correlationId"]) == (digested["Job.Label"], digested["CorrelationId"])
    assert "Job.ApiToken" not in digested
    wait_for(
        "the run's span",
        lambda: any(
            span.attributes.get("correlation.id") == last["correlationId"]
            for span in trace_receiver.spans()
        ),
    )
    gateway = prometheus_stack.pushgateway.url.rstrip("/") + "/metrics"
    assert f'namespace="{namespace}"' in _get(gateway)

    written = {
        "CronJobs": _as_json(api_client, batch.list_namespaced_cron_job(namespace)),
        "Jobs": _as_json(api_client, batch.list_namespaced_job(namespace)),
        "Pods": _as_json(api_client, pods),
        "ScheduledJob": json.dumps(ScheduledJobs(api_client, namespace).get(NAME)),
        "Events": _as_json(api_client, core.list_namespaced_event(namespace)),
        "Pod logs": "\n".join(pod_logs.values()),
        "operator log": operator.log_path.read_text(),
        "operator metrics": _get(operator.metrics_url),
        "node agent log": node_agent.log_path.read_text(),
        "Pushgateway metrics": _get(gateway),
        "spans": b"".join(r.SerializeToString() for r in trace_receiver.requests).decode(
            "utf-8", "replace"
        ),
    }
    encoded = base64.b64encode(canary.encode()).decode()
    assert [] == [place for place, text in written.items() if canary in text or encoded in text]
