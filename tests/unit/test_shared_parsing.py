"""Unit tests for the parsing and formatting the client, operator and dev tools share.

Durations, the one-shot due time, quantities and RFC 3339 timestamps each live in one module;
these tests pin what every caller relies on, including each caller's own output format.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from basejob import timestamps
from scheduledjob_api import duetime, durations, podfields
from scheduledjob_client.scheduling import SchedulingArgumentError, manifest
from scheduledjob_operator.domain import drift

UTC = datetime.UTC
PLUS_ONE = datetime.timezone(datetime.timedelta(hours=1))
CREATED = datetime.datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h30m", 5400), ("1s1s", 2)]
)
def test_durations_count_hours_minutes_and_seconds(text: str, seconds: int) -> None:
    """Each part counts; the timedelta form says the same."""
    assert seconds == durations.duration_seconds(text)
    assert datetime.timedelta(seconds=seconds) == durations.parse_duration(text)


@pytest.mark.parametrize("text", ["", "10", "1d", "-5s", "10m5", " 10m", "\u0661m"])
def test_durations_refuse_anything_else(text: str) -> None:
    """Whitespace, other units and non-ASCII digits are refused, naming the text."""
    with pytest.raises(ValueError, match="is not a duration like 90s"):
        durations.duration_seconds(text)


def test_client_durations_strip_and_keep_their_message() -> None:
    """The client trims what users type and explains in its own words."""
    assert 90 == manifest.duration_seconds(" 90s ")
    with pytest.raises(SchedulingArgumentError, match="write hours, minutes and seconds"):
        manifest.duration_seconds("1d")


def test_due_time_is_run_at_in_utc_or_creation_plus_delay() -> None:
    """runAt wins (in UTC) even without a creation time; delay counts from creation."""
    at = datetime.datetime(2026, 12, 24, 18, 0, tzinfo=PLUS_ONE)
    assert datetime.datetime(2026, 12, 24, 17, 0, tzinfo=UTC) == duetime.due_time(at, None, None)
    assert CREATED + datetime.timedelta(minutes=10) == duetime.due_time(None, "10m", CREATED)


@pytest.mark.parametrize(
    ("delay", "created", "problem"),
    [(None, CREATED, "runAt or delay"), ("10m", None, "creation time"), ("10x", CREATED, "10x")],
)
def test_due_time_refuses_what_names_no_time(
    delay: str | None, created: datetime.datetime | None, problem: str
) -> None:
    """No runAt and no delay, a delay without a creation time, or a bad delay: ValueError."""
    with pytest.raises(ValueError, match=problem):
        duetime.due_time(None, delay, created)


@pytest.mark.parametrize(
    ("quantity", "value"),
    [("500m", "0.5"), ("2", "2"), (2, "2"), ("1Ki", "1024"), ("1e3", "1000"), ("1.5G", "1.5e9")],
)
def test_quantities_read_by_value(quantity: int | str, value: str) -> None:
    """Suffixes, exponents and plain numbers all become the same Decimal, in both readers."""
    assert Decimal(value) == podfields.quantity_value(quantity)
    assert Decimal(value) == drift.quantity_value(quantity)


@pytest.mark.parametrize("quantity", ["lots", "1.2.3", "", True, None])
def test_unreadable_quantities(quantity: Any) -> None:
    """The API's reader refuses what is no quantity; the drift check sees no value."""
    assert drift.quantity_value(quantity) is None
    if isinstance(quantity, str):
        with pytest.raises(ValueError, match="not a Kubernetes quantity"):
            podfields.quantity_value(quantity)


def test_drift_reads_quantities_with_surrounding_space() -> None:
    """A live value with spaces still compares by value."""
    assert Decimal("0.5") == drift.quantity_value(" 500m ")


MOMENT = datetime.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=PLUS_ONE)


def test_rfc3339_is_utc_with_a_z_in_seconds_or_microseconds() -> None:
    """Seconds are truncated; the fraction form always has six digits."""
    assert "2026-01-02T02:04:05Z" == timestamps.rfc3339(MOMENT)
    assert "2026-01-02T02:04:05.000678Z" == timestamps.rfc3339(MOMENT, fraction=True)
    whole = MOMENT.replace(microsecond=0)
    assert "2026-01-02T02:04:05.000000Z" == timestamps.rfc3339(whole, fraction=True)


def test_rfc3339_as_given_keeps_offset_and_precision() -> None:
    """Its own offset (Z for UTC), and microseconds only when there are any."""
    assert "2026-01-02T03:04:05.000678+01:00" == timestamps.rfc3339_as_given(MOMENT)
    utc = MOMENT.astimezone(UTC).replace(microsecond=0)
    assert "2026-01-02T02:04:05Z" == timestamps.rfc3339_as_given(utc)


def test_run_at_is_written_in_utc_as_precise_as_given() -> None:
    """The client's runAt: UTC, a Z, a fraction only when the datetime has one."""
    assert "2026-01-02T02:04:05.000678Z" == manifest.format_run_at(MOMENT)
    assert "2026-01-02T02:04:05Z" == manifest.format_run_at(MOMENT.replace(microsecond=0))


def test_scheduling_keywords_are_sorted_by_where_they_go() -> None:
    """Spec arguments, placement and options part; unknown keywords stay with the options."""
    sorted_ = manifest.sort_arguments(
        {"tenant_id": 7},
        {"cron": "@daily", "name": "n", "namespace": "ns", "retries": 2, "colour": "blue"},
    )
    assert {"tenant_id": 7, "cron": "@daily"} == sorted_.spec_arguments
    assert {"retries": 2, "colour": "blue"} == sorted_.options
    assert ("n", "ns") == (sorted_.name, sorted_.namespace)


def test_only_the_context_call_takes_tenant_and_user() -> None:
    """A tenant or user passed where the call takes none is an unknown option, as before."""
    given = {"application_user_id": 5, "cron": "@daily"}
    assert {"application_user_id": 5} == manifest.context_of(given)
    assert {"cron": "@daily"} == manifest.without_context(given)
    stray = manifest.sort_arguments({"tenant_id": 1}, given)
    with pytest.raises(SchedulingArgumentError, match=r"unknown options \['application_user_id'\]"):
        manifest.build_spec("DataCleanupJob", options=stray.options, **stray.spec_arguments)


def test_build_spec_refuses_unexpected_keywords() -> None:
    """A keyword build_spec does not know is a TypeError, as for any function."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'name'"):
        manifest.build_spec("DataCleanupJob", cron="@daily", name="n")  # type: ignore[call-arg]
