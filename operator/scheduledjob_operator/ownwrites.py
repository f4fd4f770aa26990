"""Remembers the object versions the operator's own writes produced, so their echoes are skipped.

Every write comes back as a watch event: creating a CronJob and patching a status would each
wake a reconcile that finds nothing to do (two of three reconciles of a new ScheduledJob, with
their reads). An event whose (uid, resourceVersion) is one we wrote carries no change we did not
make ourselves, so the handlers drop it. Any later change by anyone has a new resourceVersion
and is reconciled as usual; a deletion is never skipped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

# Enough for a burst of thousands of creates; the oldest versions are forgotten first (an
# echo that arrives after that merely costs one reconcile that changes nothing).
DEFAULT_CAPACITY = 50_000


class OwnWrites:
    """(uid, resourceVersion) pairs of objects as our writes left them."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._versions: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, written: Mapping[str, Any] | None) -> None:
        """Remember the object a write returned."""
        key = _key(written)
        if key is None:
            return
        with self._lock:
            self._versions[key] = None
            while len(self._versions) > self.capacity:
                self._versions.popitem(last=False)

    def is_echo(self, body: Mapping[str, Any]) -> bool:
        """Whether `body` is exactly what one of our writes produced (then forget it)."""
        key = _key(body)
        if key is None:
            return False
        with self._lock:
            if key in self._versions:
                del self._versions[key]
                return True
        return False


def _key(body: Mapping[str, Any] | None) -> tuple[str, str] | None:
    metadata = (body or {}).get("metadata") or {}
    uid, version = metadata.get("uid"), metadata.get("resourceVersion")
    if not uid or not version:
        return None
    return (str(uid), str(version))
