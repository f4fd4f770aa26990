"""What can go wrong when scheduling from code, one class per thing the caller can do about it.

`SchedulingArgumentError`: the call itself is wrong (also a `ValueError`); fix the arguments.
`InvalidScheduledJobError`: the API server refused the ScheduledJob (HTTP 422); `.field` and
`.message` say which field and why. `ScheduledJobNotFoundError`: no such ScheduledJob (404).
`PermissionDeniedError`: RBAC refused the call (403). Anything else is a `SchedulingError`.
`from_api_exception` maps the client library's `ApiException` to these at the one boundary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from basejob import contract

_RESOURCE: Final = f"{contract.PLURAL}.{contract.API_GROUP}"
_BAD_REQUEST: Final = 400
_UNAUTHORIZED: Final = 401
_FORBIDDEN: Final = 403
_NOT_FOUND: Final = 404
_CONFLICT: Final = 409
_INVALID: Final = 422
_CAMEL_HUMP: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class SchedulingError(Exception):
    """Base of every error `scheduledjob_client.scheduling` raises."""


class SchedulingArgumentError(SchedulingError, ValueError):
    """The arguments of a scheduling call contradict each other or are malformed."""


class InvalidScheduledJobError(SchedulingError):
    """The API server refused the ScheduledJob (HTTP 422): its schema or a CEL rule.

    `field` is the first refused field as the API names it (`spec.ttlSecondsAfterRun`) and
    `message` the server's reason; `causes` holds every refused field when there are several.
    """

    def __init__(self, summary: str, *, field: str, message: str, causes: tuple[Cause, ...]):
        super().__init__(summary)
        self.field = field
        self.message = message
        self.causes = causes


class ScheduledJobNotFoundError(SchedulingError):
    """The ScheduledJob does not exist in that namespace (HTTP 404)."""


class PermissionDeniedError(SchedulingError):
    """The caller's identity may not do this (HTTP 401 or 403)."""


@dataclass(frozen=True)
class Cause:
    """One refused field of a 422 response (`details.causes[]`)."""

    field: str
    message: str
    reason: str = ""


def python_argument(field: str) -> str:
    """The keyword argument that sets an API field (`spec.ttlSecondsAfterRun`).

    The spec field in snake case (`ttl_seconds_after_run`; `spec.env[0].name` → `env`), a
    context field by its own name (`spec.context.tenantId` → `tenant_id`), `metadata.name` →
    `name`, and `schedule` → `cron`.
    """
    segments = [part.split("[", 1)[0] for part in field.split(".")]
    if segments[0] in {"spec", "metadata"}:
        segments = segments[1:] or segments
    leaf = segments[1] if segments[0] == "context" and len(segments) > 1 else segments[0]
    renamed = {"schedule": "cron", "runAt": "run_at"}
    return renamed.get(leaf) or _CAMEL_HUMP.sub("_", leaf).lower()


def _status_body(error: Any) -> Mapping[str, Any]:
    """The Kubernetes `Status` object in the error's body, or {} when there is none."""
    try:
        decoded = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _causes(body: Mapping[str, Any]) -> tuple[Cause, ...]:
    details = body.get("details") or {}
    return tuple(
        Cause(
            field=str(cause.get("field") or ""),
            message=str(cause.get("message") or ""),
            reason=str(cause.get("reason") or ""),
        )
        for cause in details.get("causes") or []
        if isinstance(cause, dict)
    )


def _invalid(where: str, body: Mapping[str, Any]) -> InvalidScheduledJobError:
    causes = _causes(body) or (Cause(field="spec", message=str(body.get("message", ""))),)
    first = causes[0]
    refused = "; ".join(f"{cause.field or 'spec'}: {cause.message}" for cause in causes)
    summary = (
        f"the API server refused ScheduledJob {where}: {refused}. "
        f"Change the `{python_argument(first.field)}` argument (field {first.field or 'spec'}) "
        "and call again."
    )
    return InvalidScheduledJobError(
        summary, field=first.field, message=first.message, causes=causes
    )


def _not_found(where: str, body: Mapping[str, Any]) -> SchedulingError:
    details = body.get("details") or {}
    kind = details.get("kind")
    if kind == contract.PLURAL:
        return ScheduledJobNotFoundError(
            f"ScheduledJob {where} does not exist; check the name and namespace "
            "(`kubectl get scheduledjobs -n NAMESPACE` lists them)."
        )
    if kind == "namespaces":
        return SchedulingError(
            f"namespace {details.get('name', '?')!r} does not exist (ScheduledJob {where}); "
            "create it or pass another namespace."
        )
    return SchedulingError(
        f"the API server does not serve {_RESOURCE}/{contract.API_VERSION} (ScheduledJob "
        f"{where}): install the ScheduledJob CRD (the scheduledjob-crds chart) in this cluster."
    )


def from_api_exception(error: Any, *, action: str, namespace: str, name: str) -> SchedulingError:
    """The `SchedulingError` for a failed API call `action` ("create", "trigger", ...).

    `error` is a `kubernetes.client.exceptions.ApiException`; its body is the API server's
    `Status` object, whose `details.causes` name the refused fields of a 422.
    """
    where = f"{namespace}/{name}"
    status = getattr(error, "status", None)
    body = _status_body(error)
    server_message = str(body.get("message") or getattr(error, "reason", "") or "")
    if status == _INVALID:
        return _invalid(where, body)
    if status == _NOT_FOUND:
        return _not_found(where, body)
    if status in {_FORBIDDEN, _UNAUTHORIZED}:
        return PermissionDeniedError(
            f"not allowed to {action} ScheduledJob {where}: {server_message}. Grant the caller's "
            f"identity get, create, patch and delete on {_RESOURCE} in namespace {namespace} "
            "(a Role and RoleBinding), or use a kubeconfig context that has them."
        )
    if status == _BAD_REQUEST:
        return SchedulingError(
            f"the API server could not {action} ScheduledJob {where}: {server_message}. "
            "Check the arguments against the ScheduledJob API (docs/reference/scheduledjob-api.md)."
        )
    if status == _CONFLICT:
        return SchedulingError(
            f"ScheduledJob {where} changed while trying to {action} it: {server_message}. "
            "Call again."
        )
    return SchedulingError(
        f"could not {action} ScheduledJob {where}: the API server answered {status} "
        f"{server_message}. Call again; if it persists, check the API server."
    )
