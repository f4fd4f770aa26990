"""Unit tests for mapping API server refusals to scheduling errors that say what to do."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from scheduledjob_client.scheduling import (
    InvalidScheduledJobError,
    PermissionDeniedError,
    ScheduledJobNotFoundError,
    SchedulingError,
)
from scheduledjob_client.scheduling.errors import Cause, from_api_exception, python_argument


def _api_exception(status: int, body: dict[str, Any]) -> ApiException:
    return ApiException(status=status, reason="refused", body=json.dumps(body))


# What kube-apiserver answers for a ScheduledJob that breaks a CEL rule (captured shape).
CEL_REFUSAL = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": (
        'ScheduledJob.jobs.connectflow.io "nightly" is invalid: spec.ttlSecondsAfterRun: '
        'Invalid value: "object": ttlSecondsAfterRun applies to a ScheduledJob that runs once'
    ),
    "reason": "Invalid",
    "details": {
        "name": "nightly",
        "group": "jobs.connectflow.io",
        "kind": "ScheduledJob",
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": (
                    'Invalid value: "object": ttlSecondsAfterRun applies to a ScheduledJob '
                    "that runs once"
                ),
                "field": "spec.ttlSecondsAfterRun",
            },
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: 11: spec.retries in body should be <= 10",
                "field": "spec.retries",
            },
        ],
    },
    "code": 422,
}


def test_422_becomes_invalid_error_with_field_and_message() -> None:
    """The first refused field and its message are attributes; every cause is kept."""
    error = from_api_exception(
        _api_exception(422, CEL_REFUSAL), action="create", namespace="team-a", name="nightly"
    )
    assert isinstance(error, InvalidScheduledJobError)
    assert "spec.ttlSecondsAfterRun" == error.field
    assert error.message.endswith("ttlSecondsAfterRun applies to a ScheduledJob that runs once")
    assert ["spec.ttlSecondsAfterRun", "spec.retries"] == [cause.field for cause in error.causes]
    text = str(error)
    assert "team-a/nightly" in text
    assert "`ttl_seconds_after_run` argument" in text
    assert "spec.retries" in text


def test_422_without_causes_still_names_the_spec() -> None:
    """A refusal without details still gives a field (spec) and the server's message."""
    error = from_api_exception(
        _api_exception(422, {"message": "bad", "details": {}}),
        action="create",
        namespace="n",
        name="x",
    )
    assert isinstance(error, InvalidScheduledJobError)
    assert (Cause(field="spec", message="bad"),) == error.causes


@pytest.mark.parametrize(
    ("details", "error_type", "advice"),
    [
        ({"name": "x", "kind": "scheduledjobs"}, ScheduledJobNotFoundError, "check the name"),
        ({"name": "nowhere", "kind": "namespaces"}, SchedulingError, "'nowhere' does not exist"),
        ({}, SchedulingError, "install the ScheduledJob CRD"),
    ],
    ids=["scheduledjob", "namespace", "crd-missing"],
)
def test_404_says_what_is_missing(
    details: dict[str, Any], error_type: type[SchedulingError], advice: str
) -> None:
    """A missing ScheduledJob, namespace or CRD each get their own explanation."""
    error = from_api_exception(
        _api_exception(404, {"message": "not found", "details": details}),
        action="trigger",
        namespace="n",
        name="x",
    )
    assert error_type is type(error)
    assert advice in str(error)


def test_403_becomes_permission_denied_naming_the_verbs() -> None:
    """A Forbidden answer names the identity's refusal and the RBAC rule that would allow it."""
    body = {
        "message": (
            'scheduledjobs.jobs.connectflow.io "x" is forbidden: User '
            '"system:serviceaccount:n:nobody" cannot patch resource "scheduledjobs"'
        ),
        "reason": "Forbidden",
        "code": 403,
    }
    error = from_api_exception(_api_exception(403, body), action="create", namespace="n", name="x")
    assert isinstance(error, PermissionDeniedError)
    assert "system:serviceaccount:n:nobody" in str(error)
    assert "get, create, patch and delete on scheduledjobs.jobs.connectflow.io" in str(error)


def test_other_statuses_keep_the_server_message() -> None:
    """A 500 is a plain SchedulingError with the status and the server's words."""
    error = from_api_exception(
        _api_exception(500, {"message": "etcd is down"}), action="read", namespace="n", name="x"
    )
    assert SchedulingError is type(error)
    assert "500 etcd is down" in str(error)


def test_body_that_is_not_json_is_tolerated() -> None:
    """A proxy's HTML error page still becomes a SchedulingError."""
    error = from_api_exception(
        ApiException(status=502, reason="Bad Gateway", body="<html>"),
        action="read",
        namespace="n",
        name="x",
    )
    assert "502 Bad Gateway" in str(error)


@pytest.mark.parametrize(
    ("field", "argument"),
    [
        ("spec.ttlSecondsAfterRun", "ttl_seconds_after_run"),
        ("spec.schedule", "cron"),
        ("spec.runAt", "run_at"),
        ("spec.context.tenantId", "tenant_id"),
        ("spec.env[0].name", "env"),
        ("metadata.name", "name"),
    ],
)
def test_api_fields_map_to_python_arguments(field: str, argument: str) -> None:
    """Each refused API field is explained as the keyword argument that sets it."""
    assert argument == python_argument(field)
