"""Kubernetes-style conditions: set one, keep its transition time unless its status changes."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

READY = "Ready"
SPEC_VALID = "SpecValid"


def timestamp(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC with a Z, second precision, as Kubernetes writes times."""
    return moment.astimezone(datetime.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    conditions: Sequence[Mapping[str, Any]],
    *,
    type_: str,
    status: bool,
    reason: str,
    message: str,
    generation: int,
    now: datetime.datetime,
) -> list[dict[str, Any]]:
    """A new list with condition `type_` set; lastTransitionTime moves only on a status change."""
    wanted_status = "True" if status else "False"
    previous = next((c for c in conditions if c.get("type") == type_), None)
    transition = timestamp(now)
    if previous is not None and previous.get("status") == wanted_status:
        transition = str(previous.get("lastTransitionTime") or transition)
    condition = {
        "type": type_,
        "status": wanted_status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": transition,
        "observedGeneration": generation,
    }
    others = [dict(c) for c in conditions if c.get("type") != type_]
    return sorted([*others, condition], key=lambda c: str(c["type"]))


def find(conditions: Sequence[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    """The condition of `type_`, if present."""
    return next((c for c in conditions if c.get("type") == type_), None)
