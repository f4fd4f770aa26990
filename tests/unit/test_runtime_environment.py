"""The runtime reads the environment contract exactly, and explains what is wrong with it."""

from __future__ import annotations

import datetime

import pytest

from basejob import contract
from basejob.environment import from_environ, parse_data_flag
from basejob.errors import EnvironmentContractError

UID = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
POD_ENVIRONMENT = {
    contract.JOB: "DataCleanupJob",
    contract.SCHEDULEDJOB_NAMESPACE: "team-a",
    contract.SCHEDULEDJOB_NAME: "cleanup",
    contract.TENANT_ID: "123",
    contract.APPLICATION_USER_ID: "456",
    contract.CORRELATION_PREFIX: "nightly",
    contract.DATA: '{"RetentionDays": 30, "DryRun": false}',
    contract.DATA_FROM_PREFIX + "ApiToken": "s3cr3t",
    contract.SECRET_KEYS: "ApiToken",
    contract.SCHEDULE: "0 2 * * *",
    contract.TIME_ZONE: "Europe/Berlin",
    contract.POD_NAME: "cleanup-29431200-x7k2p",
    contract.RUN_NAME: "cleanup-29431200",
    contract.RUN_UID: UID,
    contract.PUSHGATEWAY_URL: "http://pushgateway:9091",
}


def test_pod_environment_is_read_completely() -> None:
    """Every contract variable lands in the run environment."""
    env = from_environ(POD_ENVIRONMENT)
    assert ("DataCleanupJob", "123", "456", "cleanup-29431200-x7k2p") == (
        env.job,
        env.tenant_id,
        env.application_user_id,
        env.job_id,
    )
    assert {"RetentionDays": 30, "DryRun": False, "ApiToken": "s3cr3t"} == dict(env.data)
    assert frozenset({"ApiToken"}) == env.secret_keys
    assert not env.local


def test_correlation_id_follows_the_contract() -> None:
    """Prefix plus the Job UID's first 16 hex digits: what the operator computes too."""
    assert "nightly-6f9619ff8b86d011" == from_environ(POD_ENVIRONMENT).correlation_id


def test_fire_time_comes_from_the_cronjob_job_name() -> None:
    """A CronJob's Job name ends in the scheduled minute since the epoch."""
    env = from_environ(POD_ENVIRONMENT)
    started = datetime.datetime(2025, 12, 15, 2, 0, 3, tzinfo=datetime.UTC)
    assert datetime.datetime.fromtimestamp(29431200 * 60, datetime.UTC) == env.fire_time(started)


def test_manual_run_fires_when_it_starts() -> None:
    """A Job without a time suffix (kubectl create job --from) has its start as fire time."""
    env = from_environ({**POD_ENVIRONMENT, contract.RUN_NAME: "cleanup-manual"})
    started = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert started == env.fire_time(started)


def test_next_fire_time_uses_schedule_and_zone() -> None:
    """02:00 Berlin in winter is 01:00 UTC."""
    env = from_environ(POD_ENVIRONMENT)
    after = datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC)
    expected = datetime.datetime(2026, 1, 11, 1, 0, tzinfo=datetime.UTC)
    assert expected == env.next_fire_time(after)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("0/30 * * * * ?", datetime.datetime(2026, 1, 10, 12, 0, 30, tzinfo=datetime.UTC)),
        ("0 0 2 * * ? 2005", None),
    ],
)
def test_next_fire_time_of_quartz_schedules(
    schedule: str, expected: datetime.datetime | None
) -> None:
    """Seconds-level Quartz schedules have a next fire time; an ended one has none."""
    env = from_environ({**POD_ENVIRONMENT, contract.SCHEDULE: schedule, contract.TIME_ZONE: "UTC"})
    after = datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC)
    assert expected == env.next_fire_time(after)


def test_local_run_gets_a_generated_correlation_id() -> None:
    """Without a Job UID the run is local and its correlation ID is generated."""
    env = from_environ({contract.JOB: "DataCleanupJob"})
    assert env.local
    assert env.correlation_id.startswith("local-")


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({contract.DATA: "{not json"}, contract.DATA),
        ({contract.DATA: "[1, 2]"}, contract.DATA),
        ({contract.RUN_UID: "not a uid!"}, contract.RUN_UID),
        ({contract.JOB: ""}, contract.JOB),
    ],
    ids=["invalid-json", "not-an-object", "bad-uid", "no-job"],
)
def test_malformed_environment_names_the_variable(variables: dict[str, str], named: str) -> None:
    """A malformed variable is a fatal contract error whose message names it."""
    with pytest.raises(EnvironmentContractError, match=named):
        from_environ({**POD_ENVIRONMENT, **variables})


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("BatchSize=100", ("BatchSize", 100)),
        ("DryRun=true", ("DryRun", True)),
        ("Name=abc", ("Name", "abc")),
        ("Ratio=0.5", ("Ratio", 0.5)),
        ("Query=a=b", ("Query", "a=b")),
    ],
)
def test_data_flags_read_json_scalars(flag: str, expected: tuple[str, object]) -> None:
    """`--data key=value` gives numbers and booleans their type, anything else stays text."""
    assert expected == parse_data_flag(flag)


def test_fire_time_the_operator_passed_wins_over_the_job_name() -> None:
    """A run the operator started on a schedule knows its fire time to the second."""
    env = from_environ({**POD_ENVIRONMENT, contract.FIRE_TIME: "2026-11-29T10:15:03Z"})
    started = datetime.datetime(2026, 11, 29, 10, 15, 4, tzinfo=datetime.UTC)
    assert datetime.datetime(2026, 11, 29, 10, 15, 3, tzinfo=datetime.UTC) == env.fire_time(started)


@pytest.mark.parametrize("value", ["yesterday", "2026-11-29T10:15:03"])
def test_a_malformed_fire_time_is_a_contract_error(value: str) -> None:
    """Not RFC 3339 with an offset: refused, naming the variable."""
    with pytest.raises(EnvironmentContractError, match=contract.FIRE_TIME):
        from_environ({**POD_ENVIRONMENT, contract.FIRE_TIME: value})
