"""Unit tests for the manifests scheduling calls apply: specs, derived names, refused arguments."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from basejob_examples.data_cleanup import DataCleanupJob
from scheduledjob_client.scheduling import SchedulingArgumentError, manifest
from support.sample_jobs import GreetingJob

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CET = datetime.timezone(datetime.timedelta(hours=1))


def test_spec_carries_context_data_and_options_in_camel_case() -> None:
    """Tenant, user, correlation prefix, data and options land in their API fields."""
    spec = manifest.build_spec(
        "ReportGenerationJob",
        tenant_id=123,
        application_user_id="u-7",
        correlation_id="daily-reports",
        data={"ReportType": "Weekly", "BatchSize": 100},
        cron="0 0 8 ? * MON",
        time_zone="Europe/Berlin",
        options={"retries": 2, "timeout_seconds": 600, "concurrency_policy": "Replace"},
    )
    assert {
        "job": "ReportGenerationJob",
        "schedule": "0 0 8 ? * MON",
        "context": {"tenantId": 123, "applicationUserId": "u-7", "correlationId": "daily-reports"},
        "data": {"ReportType": "Weekly", "BatchSize": 100},
        "timeZone": "Europe/Berlin",
        "retries": 2,
        "timeoutSeconds": 600,
        "concurrencyPolicy": "Replace",
    } == spec


def test_system_job_spec_has_no_context() -> None:
    """Without tenant, user or correlation prefix the spec has no context at all."""
    assert {"job": "DataCleanupJob", "delay": "30m"} == manifest.build_spec(
        "DataCleanupJob", delay="30m"
    )


def test_env_keeps_the_given_order() -> None:
    """`env` becomes the API's list of name/value pairs, in the caller's order."""
    spec = manifest.build_spec(
        "DataCleanupJob", cron="@daily", options={"env": {"B": "2", "A": "1"}}
    )
    assert [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}] == spec["env"]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"cron": "0   2 * * *"}, {"schedule": "0 2 * * *"}),
        ({"delay": "90s"}, {"delay": "1m30s"}),
        ({"delay": datetime.timedelta(hours=1, minutes=30)}, {"delay": "1h30m"}),
        ({"delay": datetime.timedelta(0)}, {"delay": "0s"}),
        (
            {"run_at": datetime.datetime(2026, 12, 24, 19, 0, tzinfo=CET)},
            {"runAt": "2026-12-24T18:00:00Z"},
        ),
    ],
    ids=["cron", "delay-string", "delay-timedelta", "delay-zero", "run-at-in-utc"],
)
def test_when_is_normalised(when: dict[str, Any], expected: dict[str, str]) -> None:
    """Cron spacing, delays and times are written in one canonical form."""
    spec = manifest.build_spec("DataCleanupJob", **when)
    assert expected == {key: spec[key] for key in expected}


@pytest.mark.parametrize(
    ("when", "named"),
    [
        ({}, "got none"),
        ({"cron": "@daily", "delay": "10m"}, "got cron, delay"),
        (
            {"delay": "10m", "run_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)},
            "got delay, run_at",
        ),
    ],
    ids=["none", "cron-and-delay", "delay-and-run-at"],
)
def test_exactly_one_of_cron_delay_run_at(when: dict[str, Any], named: str) -> None:
    """Zero or several of cron, delay and run_at are refused, naming what was given."""
    with pytest.raises(SchedulingArgumentError, match="exactly one of cron") as refused:
        manifest.build_spec("DataCleanupJob", **when)
    assert named in str(refused.value)
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"run_at": datetime.datetime(2026, 12, 24, 18)}, "has no time zone"),
        ({"run_at": "2026-12-24T18:00:00Z"}, "is not a datetime"),
        ({"delay": "5 minutes"}, "is not a duration"),
        ({"delay": 300}, "a bare number does not say its unit"),
        ({"delay": datetime.timedelta(seconds=-5)}, "non-negative"),
        ({"delay": datetime.timedelta(milliseconds=1500)}, "whole"),
        ({"cron": "  "}, "cron is empty"),
        ({"cron": "@daily", "application_user_id": 7}, "needs tenant_id"),
        ({"cron": "@daily", "tenant_id": True}, "pass an int or a str"),
        ({"cron": "@daily", "data": {"Nested": {"a": 1}}}, "job data values"),
        ({"cron": "@daily", "data": {"Ratio": float("nan")}}, "finite"),
        ({"cron": "@daily", "options": {"colour": "blue"}}, "unknown options"),
    ],
    ids=[
        "naive-run-at",
        "string-run-at",
        "prose-delay",
        "int-delay",
        "negative-delay",
        "fractional-delay",
        "empty-cron",
        "user-without-tenant",
        "bool-tenant",
        "nested-data",
        "nan-data",
        "unknown-option",
    ],
)
def test_bad_arguments_are_refused_with_the_reason(arguments: dict[str, Any], message: str) -> None:
    """Each malformed argument is refused before any API call, saying what is wrong."""
    with pytest.raises(SchedulingArgumentError, match=message):
        manifest.build_spec("DataCleanupJob", **arguments)


def test_registered_job_class_is_referenced_by_its_name() -> None:
    """A class registered in the basejob.jobs entry points is written as its registered name."""
    assert "DataCleanupJob" == manifest.job_reference(DataCleanupJob)


def test_unregistered_job_class_is_referenced_as_module_and_class() -> None:
    """An importable, unregistered class is written as module:Class."""
    assert "support.sample_jobs:GreetingJob" == manifest.job_reference(GreetingJob)


def test_job_class_defined_in_a_function_is_refused() -> None:
    """A class the runtime cannot import (a local class) is refused with what to do."""

    class LocalJob(DataCleanupJob):
        name = "LocalJob"

    with pytest.raises(SchedulingArgumentError, match="cannot import it"):
        manifest.job_reference(LocalJob)


def test_derived_name_is_deterministic_and_dns_safe() -> None:
    """The same spec always gives the same DNS-1123 label of at most 52 characters."""
    spec = manifest.build_spec("ReportGenerationJob", tenant_id=1, cron="0 0 8 ? * MON")
    first, second = manifest.derive_name(spec), manifest.derive_name(dict(spec))
    assert first == second
    assert first.startswith("report-generation-job-")
    assert DNS_LABEL.match(first)
    assert len(first) <= manifest.DERIVED_NAME_MAX_LENGTH


def test_derived_name_ignores_key_order_and_suspension() -> None:
    """Data order and suspend do not make it another ScheduledJob; other inputs do."""
    one = manifest.build_spec("DataCleanupJob", cron="@daily", data={"A": 1, "B": 2})
    reordered = manifest.build_spec("DataCleanupJob", cron="@daily", data={"B": 2, "A": 1})
    suspended = manifest.build_spec(
        "DataCleanupJob", cron="@daily", data={"A": 1, "B": 2}, options={"suspend": True}
    )
    other = manifest.build_spec("DataCleanupJob", cron="@daily", data={"A": 1, "B": 3})
    assert manifest.derive_name(one) == manifest.derive_name(reordered)
    assert manifest.derive_name(one) == manifest.derive_name(suspended)
    assert manifest.derive_name(one) != manifest.derive_name(other)


@pytest.mark.parametrize(
    ("job", "stem"),
    [
        ("HTTPServerJob", "http-server-job"),
        ("acme_jobs.invoices:InvoiceReminderJob", "invoice-reminder-job"),
        ("Weird__Name..Job", "weird-name-job"),
        ("_", "job"),
        ("A" + "Very" * 30 + "LongJob", "a-very-very-very-very-very-very-very-very"),
    ],
    ids=["acronym", "module-class", "odd-characters", "nothing-usable", "too-long"],
)
def test_derived_name_stem_is_the_job_in_kebab_case(job: str, stem: str) -> None:
    """The readable part of a derived name is the job's class name, kebab-cased and trimmed."""
    name = manifest.derive_name(manifest.build_spec(job, cron="@daily"))
    assert stem == name.rsplit("-", 1)[0]
    assert DNS_LABEL.match(name)
    assert len(name) <= manifest.DERIVED_NAME_MAX_LENGTH


@pytest.mark.parametrize("name", ["Nightly", "-nightly", "a" * 64, "night_ly", ""])
def test_explicit_names_that_cannot_label_runs_are_refused(name: str) -> None:
    """An explicit name must be a DNS name that fits a label value (63 characters)."""
    with pytest.raises(SchedulingArgumentError, match="cannot name a ScheduledJob"):
        manifest.check_name(name)


def test_manifest_is_the_whole_object_with_our_label() -> None:
    """The applied object names the API, the kind, the name and marks who manages it."""
    document = manifest.manifest("nightly", {"job": "DataCleanupJob", "schedule": "@daily"})
    assert {
        "apiVersion": "jobs.connectflow.io/v1alpha1",
        "kind": "ScheduledJob",
        "metadata": {
            "name": "nightly",
            "labels": {"app.kubernetes.io/managed-by": "basejob-scheduling"},
        },
        "spec": {"job": "DataCleanupJob", "schedule": "@daily"},
    } == document


def test_with_env_appends_and_lets_existing_names_win() -> None:
    """Extra variables are appended; a variable the caller set is not overwritten."""
    spec = {"job": "X", "delay": "1m", "env": [{"name": "TRACEPARENT", "value": "mine"}]}
    extended = manifest.with_env(spec, {"TRACEPARENT": "theirs", "TRACESTATE": "k=v"})
    assert [
        {"name": "TRACEPARENT", "value": "mine"},
        {"name": "TRACESTATE", "value": "k=v"},
    ] == extended["env"]
