"""Remembers the object versions the operator's own writes produced, so their echoes are skipped.

Every write comes back as a watch event: creating a CronJob and patching a status would each
wake a reconcile that finds nothing to do (two of three reconciles of a new ScheduledJob, with
their reads). An event whose (uid, resourceVersion) is one we wrote carries no change we did not
make ourselves, so the handlers drop it. Any later change by anyone has a new resourceVersion
and is reconciled as usual; a deletion is never skipped.

Not every recorded version is echoed: kopf hands over only the latest of a quick succession of
events for an object, and a watch that reconnects skips to the current version. A watch shows
an object's versions in order, so whatever we recorded up to the version just seen can no
longer come and is dropped then, and everything of an object goes when it is deleted; what is
kept is bounded by the writes whose echo is still on its way, not by the objects ever written.
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
        self._by_uid: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def record(self, written: Mapping[str, Any] | None) -> None:
        """Remember the object a write returned."""
        key = _key(written)
        if key is None:
            return
        with self._lock:
            self._versions[key] = None
            self._by_uid.setdefault(key[0], set()).add(key[1])
            while len(self._versions) > self.capacity:
                self._drop(*self._versions.popitem(last=False)[0])

    def is_echo(self, body: Mapping[str, Any]) -> bool:
        """Whether `body` is exactly what one of our writes produced (then forget it, and the
        object's older recorded versions, which no watch shows any more)."""
        key = _key(body)
        if key is None:
            return False
        uid, seen = key
        with self._lock:
            recorded = self._by_uid.get(uid)
            if recorded is None:
                return False
            echo = seen in recorded
            for version in [v for v in recorded if not _later(v, seen)]:
                self._versions.pop((uid, version), None)
                self._drop(uid, version)
            return echo

    def forget(self, uid: str) -> None:
        """Drop everything recorded of the object `uid` (it was deleted)."""
        with self._lock:
            for version in self._by_uid.pop(uid, set()):
                self._versions.pop((uid, version), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._versions)

    def _drop(self, uid: str, version: str) -> None:
        """Remove `version` from the uid index (inside the lock)."""
        recorded = self._by_uid.get(uid)
        if recorded is not None:
            recorded.discard(version)
            if not recorded:
                del self._by_uid[uid]


def _later(version: str, than: str) -> bool:
    """Whether `version` may come after `than` (resourceVersions compare as etcd's integers;
    any that do not parse are kept unless equal)."""
    try:
        return int(version) > int(than)
    except ValueError:
        return version != than


def _key(body: Mapping[str, Any] | None) -> tuple[str, str] | None:
    metadata = (body or {}).get("metadata") or {}
    uid, version = metadata.get("uid"), metadata.get("resourceVersion")
    if not uid or not version:
        return None
    return (str(uid), str(version))
