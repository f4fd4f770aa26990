"""Whether an object is ours, judged by its ownerReferences' uids, and who owns it if not.

Names and labels can be copied by anyone (a user's Job can carry our labels or the very name a
run would get), so they only find candidates; an object is treated as the operator's own, and
so read as a run, replaced or deleted, only when an ownerReference names our uid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def owned_by(body: Mapping[str, Any], uid: str) -> bool:
    """Whether an ownerReference of `body` names the object with `uid`."""
    references = (body.get("metadata") or {}).get("ownerReferences") or []
    return any(reference.get("uid") == uid for reference in references)


def describe_owner(body: Mapping[str, Any]) -> str:
    """Who owns `body`, for a message: "is owned by ScheduledJob other (uid ...)", or "has no
    owner" for an object someone created by hand."""
    references = (body.get("metadata") or {}).get("ownerReferences") or []
    if not references:
        return "has no owner (created outside the operator)"
    reference = next((r for r in references if r.get("controller")), references[0])
    return (
        f"is owned by {reference.get('kind', '?')} {reference.get('name', '?')} "
        f"(uid {reference.get('uid', '?')})"
    )
