"""Run-now tokens: which annotation value is new, and the name of the run it starts.

Pure. Each new value of the trigger annotation starts exactly one run: the run's Job name is
derived from the token (a repeated create is refused by the API server) and the handled token
is recorded in `status.lastTrigger`, so re-applying the same value (a GitOps re-sync, a
restarted operator) starts nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_operator.domain import status

_TOKEN_HASH_LENGTH = 8


def pending_token(body: Mapping[str, Any]) -> str | None:
    """The trigger token not yet acted on, if any."""
    annotations = body["metadata"].get("annotations") or {}
    token = annotations.get(contract.TRIGGER_ANNOTATION)
    if not token:
        return None
    handled = status.read(body).last_trigger
    return None if handled is not None and token == handled.token else str(token)


def traceparent(body: Mapping[str, Any]) -> str | None:
    """The W3C traceparent the triggered run continues, if the caller left one."""
    annotations = body["metadata"].get("annotations") or {}
    value = annotations.get(contract.TRIGGER_TRACEPARENT_ANNOTATION)
    return str(value) if value else None


def run_name(scheduledjob_name: str, token: str) -> str:
    """The triggered run's Job name: the CronJob's name, `-m`, and a hash of the token."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:_TOKEN_HASH_LENGTH]
    return f"{naming.cronjob_name(scheduledjob_name)}-m{digest}"
