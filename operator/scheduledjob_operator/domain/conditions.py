"""Kubernetes-style conditions: set one, keep its transition time unless its status changes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Literal

from basejob import timestamps
from scheduledjob_api.v1alpha1 import Condition

READY = "Ready"
SPEC_VALID = "SpecValid"


def timestamp(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC with a Z, second precision, as Kubernetes writes times."""
    return timestamps.rfc3339(moment)


def set_condition(
    conditions: Sequence[Condition],
    *,
    type_: str,
    status: bool,
    reason: str,
    message: str,
    generation: int,
    now: datetime.datetime,
) -> list[Condition]:
    """A new list with condition `type_` set; lastTransitionTime moves only on a status change."""
    wanted_status: Literal["True", "False"] = "True" if status else "False"
    previous = find(conditions, type_)
    transition = now
    if previous is not None and previous.status == wanted_status:
        transition = previous.last_transition_time
    condition = Condition(
        type=type_,
        status=wanted_status,
        reason=reason,
        message=message,
        last_transition_time=transition,
        observed_generation=generation,
    )
    others = [c for c in conditions if c.type != type_]
    return sorted([*others, condition], key=lambda c: c.type)


def find(conditions: Sequence[Condition], type_: str) -> Condition | None:
    """The condition of `type_`, if present."""
    return next((c for c in conditions if c.type == type_), None)
