"""Unit tests for the client over a fake API: trace context carried, changes reported, logs."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from basejob import contract
from scheduledjob_client.scheduling import SchedulingClient, tracecontext


@dataclass
class _Response:
    data: bytes


@dataclass
class FakeCustomObjects:
    """Keeps ScheduledJobs in memory; answers applies and merge patches like the API server."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = 0

    def get_namespaced_custom_object(self, *args: Any, **_: Any) -> _Response:
        name = args[4]
        if name not in self.objects:
            raise ApiException(
                status=404,
                reason="Not Found",
                body=json.dumps({"details": {"kind": "scheduledjobs"}}),
            )
        return _Response(json.dumps(self.objects[name]).encode())

    def patch_namespaced_custom_object(self, *args: Any, **kwargs: Any) -> _Response:
        name, body = args[4], args[5]
        fresh = {"metadata": {"name": name, "namespace": args[2], "uid": f"uid-{name}"}}
        current = self.objects.get(name, fresh)
        if kwargs["_content_type"] == "application/apply-patch+yaml":
            updated = {**current, "spec": body["spec"]}
        else:
            annotations = {**current["metadata"].get("annotations", {})}
            annotations.update(body.get("metadata", {}).get("annotations", {}))
            metadata = {
                **current["metadata"],
                "annotations": {k: v for k, v in annotations.items() if v is not None},
            }
            updated = {
                **current,
                "metadata": metadata,
                "spec": {**current.get("spec", {}), **body.get("spec", {})},
            }
        if updated != current or name not in self.objects:
            self.version += 1
            updated["metadata"] = {**updated["metadata"], "resourceVersion": str(self.version)}
        self.objects[name] = updated
        return _Response(json.dumps(updated).encode())


@pytest.fixture
def fake() -> FakeCustomObjects:
    """An empty in-memory store of ScheduledJobs."""
    return FakeCustomObjects()


@pytest.fixture
def scheduling(fake: FakeCustomObjects) -> SchedulingClient:
    """A SchedulingClient whose API calls land in `fake`."""
    client = SchedulingClient(api_client=None, namespace="team-a")
    client._custom = fake  # the one seam the unit tests need
    return client


@pytest.fixture
def caller_span() -> Iterator[trace.Span]:
    """An active span of an SDK tracer, as an instrumented caller would have one."""
    tracer = TracerProvider().get_tracer("caller")
    with tracer.start_as_current_span("handle request") as span:
        yield span


def _traceparent(span: trace.Span) -> str:
    context = span.get_span_context()
    trace_id = trace.format_trace_id(context.trace_id)
    span_id = trace.format_span_id(context.span_id)
    return f"00-{trace_id}-{span_id}-{context.trace_flags:02x}"


def _env(fake: FakeCustomObjects, name: str) -> dict[str, str]:
    return {item["name"]: item["value"] for item in fake.objects[name]["spec"].get("env", [])}


def test_outside_a_span_nothing_is_injected() -> None:
    """Without a current span there is no trace context to carry."""
    assert {} == tracecontext.run_environment()
    assert tracecontext.current_traceparent() is None


@pytest.mark.usefixtures("caller_span")
@pytest.mark.parametrize(
    "when",
    [{"delay": "10m"}, {"run_at": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)}],
    ids=["delay", "run-at"],
)
def test_one_shot_run_continues_the_callers_trace(
    scheduling: SchedulingClient,
    fake: FakeCustomObjects,
    caller_span: trace.Span,
    when: dict[str, Any],
) -> None:
    """A one-shot ScheduledJob made inside a span carries that span as TRACEPARENT."""
    ref = scheduling.schedule_system_job("DataCleanupJob", name="once", **when)
    assert {"TRACEPARENT": _traceparent(caller_span)} == _env(fake, ref.name)


def test_recurring_schedule_gets_no_traceparent(
    scheduling: SchedulingClient, fake: FakeCustomObjects, caller_span: trace.Span
) -> None:
    """A cron ScheduledJob made inside a span carries no TRACEPARENT: runs start own traces."""
    ref = scheduling.schedule_system_job("DataCleanupJob", cron="@daily", name="daily")
    assert {} == _env(fake, ref.name)
    assert caller_span.get_span_context().is_valid


def test_trace_context_does_not_change_the_derived_name(
    scheduling: SchedulingClient, caller_span: trace.Span
) -> None:
    """The same call inside and outside a span addresses the same ScheduledJob."""
    inside = scheduling.schedule_system_job("DataCleanupJob", delay="10m")
    assert caller_span.is_recording()
    with trace.use_span(trace.INVALID_SPAN):
        outside = scheduling.schedule_system_job("DataCleanupJob", delay="10m")
    assert inside.name == outside.name


def test_trigger_sets_token_and_traceparent_annotations(
    scheduling: SchedulingClient, fake: FakeCustomObjects, caller_span: trace.Span
) -> None:
    """A trigger inside a span records the span's traceparent next to the new token."""
    scheduling.schedule_system_job("DataCleanupJob", cron="@daily", name="daily")
    token = scheduling.trigger("daily")
    annotations = fake.objects["daily"]["metadata"]["annotations"]
    assert {
        contract.TRIGGER_ANNOTATION: token,
        contract.TRIGGER_TRACEPARENT_ANNOTATION: _traceparent(caller_span),
    } == annotations


def test_trigger_outside_a_span_removes_an_old_traceparent(
    scheduling: SchedulingClient, fake: FakeCustomObjects
) -> None:
    """A later trigger without a span must not join the trace of an earlier one."""
    scheduling.schedule_system_job("DataCleanupJob", cron="@daily", name="daily")
    with TracerProvider().get_tracer("caller").start_as_current_span("first"):
        scheduling.trigger("daily", token="first")
    scheduling.trigger("daily", token="second")
    assert {contract.TRIGGER_ANNOTATION: "second"} == fake.objects["daily"]["metadata"][
        "annotations"
    ]


def test_apply_reports_created_unchanged_and_configured(scheduling: SchedulingClient) -> None:
    """The returned reference says whether the call created, changed or left the object."""
    first = scheduling.schedule_tenant_job("DataCleanupJob", 1, cron="@daily", name="n")
    again = scheduling.schedule_tenant_job("DataCleanupJob", 1, cron="@daily", name="n")
    changed = scheduling.schedule_tenant_job("DataCleanupJob", 1, cron="@hourly", name="n")
    assert ["created", "unchanged", "configured"] == [first.change, again.change, changed.change]
    assert first.resource_version == again.resource_version


def test_each_change_is_logged_naming_the_object(
    scheduling: SchedulingClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Apply, trigger, suspend and resume each log one line naming the ScheduledJob."""
    with caplog.at_level(logging.INFO, logger="scheduledjob_client.scheduling"):
        scheduling.schedule_system_job("DataCleanupJob", cron="@daily", name="n")
        scheduling.schedule_system_job("DataCleanupJob", delay="90s", name="m")
        scheduling.trigger("n", token="t1")
        scheduling.suspend("n")
        scheduling.resume("n")
    assert [
        "Applied ScheduledJob team-a/n (created): job DataCleanupJob, schedule @daily",
        "Applied ScheduledJob team-a/m (created): job DataCleanupJob, once after 1m30s",
        "Triggered ScheduledJob team-a/n with token t1",
        "Suspended ScheduledJob team-a/n",
        "Resumed ScheduledJob team-a/n",
    ] == [record.getMessage() for record in caplog.records]
