"""What an API server's error answer means for the operator, and what of it to show a person.

The client's `ApiException` prints its HTTP headers before the body, so a log line cut at a few
hundred characters never reaches the API server's own explanation. Here the answer's `Status`
body is read instead: its `message` is what a user needs to see, its `reason` and `details`
tell a refusal of what we built (permanent: the spec must change) from a namespace being
deleted (nothing to do: the ScheduledJob goes with it) from anything worth retrying.
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes.client.exceptions import ApiException

BAD_REQUEST = 400
FORBIDDEN = 403
UNPROCESSABLE = 422
# An answer to a write of something we built that no retry can change: the API server found
# the object itself invalid (400 BadRequest, 422 Invalid).
_REFUSALS = frozenset({BAD_REQUEST, UNPROCESSABLE})
_MESSAGE_LIMIT = 1000


def status_body(error: BaseException) -> dict[str, Any]:
    """The `Status` object the API server answered with (empty when it sent none)."""
    if not isinstance(error, ApiException) or not error.body:
        return {}
    raw: Any = error.body  # str from the client's methods, bytes from a raw response
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def describe(error: BaseException) -> str:
    """One line for a person: the API server's message (with its HTTP status) when it sent
    one, otherwise the exception's own text; never the HTTP headers."""
    if isinstance(error, ApiException):
        message = status_body(error).get("message") or error.reason or ""
        return f"{error.status} {message}"[:_MESSAGE_LIMIT]
    return (str(error) or type(error).__name__)[:_MESSAGE_LIMIT]


def is_refusal(error: BaseException) -> bool:
    """Whether the API server refused what we sent as invalid (a spec problem, permanent)."""
    return isinstance(error, ApiException) and error.status in _REFUSALS


def is_namespace_terminating(error: BaseException) -> bool:
    """Whether a write failed only because its namespace is being deleted.

    The API server answers 403 with the cause `NamespaceTerminating`; everything in the
    namespace, the ScheduledJob included, is about to go, so there is nothing to retry or warn
    about.
    """
    if not isinstance(error, ApiException) or error.status != FORBIDDEN:
        return False
    body = status_body(error)
    causes = (body.get("details") or {}).get("causes") or []
    if any(cause.get("reason") == "NamespaceTerminating" for cause in causes):
        return True
    return "because it is being terminated" in str(body.get("message") or "")
