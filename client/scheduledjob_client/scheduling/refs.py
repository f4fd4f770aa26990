"""`ScheduledJobRef`: what a scheduling call returns, a typed handle instead of a raw dict.

It names the object (namespace, name, uid) for later calls and logs, says what the call did
(`change`), and keeps the object as the API server returned it for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Change = Literal["created", "configured", "unchanged"]


@dataclass(frozen=True, kw_only=True)
class ScheduledJobRef:
    """A ScheduledJob as the API server last returned it."""

    namespace: str
    """Namespace it lives in."""
    name: str
    """Its name (derived from the job and spec when the caller gave none)."""
    uid: str
    """Its UID: changes when it is deleted and created again under the same name."""
    resource_version: str
    """The version read or written (the operator's status updates move it too)."""
    generation: int
    """The spec generation (`status.conditions[].observedGeneration` follows it)."""
    job: str
    """The job it runs (`spec.job`)."""
    schedule: str | None
    """Cron expression of a recurring ScheduledJob."""
    run_at: str | None
    """RFC 3339 time of a one-shot ScheduledJob with `runAt`."""
    delay: str | None
    """Duration after creation of a one-shot ScheduledJob with `delay`."""
    suspended: bool
    """Whether new runs are held back (`spec.suspend`)."""
    change: Change | None = None
    """What the call did: created, configured (updated) or unchanged; None for `get`."""
    object: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The whole object, status included, as the API server returned it (camelCase)."""

    @property
    def one_shot(self) -> bool:
        """Whether it runs once (runAt or delay) rather than on a schedule."""
        return self.schedule is None

    @classmethod
    def from_object(
        cls, obj: Mapping[str, Any], *, change: Change | None = None
    ) -> ScheduledJobRef:
        """The reference for an object as the API returns it."""
        metadata = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        return cls(
            namespace=str(metadata.get("namespace", "")),
            name=str(metadata.get("name", "")),
            uid=str(metadata.get("uid", "")),
            resource_version=str(metadata.get("resourceVersion", "")),
            generation=int(metadata.get("generation", 0)),
            job=str(spec.get("job", "")),
            schedule=spec.get("schedule"),
            run_at=spec.get("runAt"),
            delay=spec.get("delay"),
            suspended=bool(spec.get("suspend", False)),
            change=change,
            object=obj,
        )
