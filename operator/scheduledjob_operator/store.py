"""What the operator last saw of its objects, kept from the watches it runs anyway.

A reconcile used to read the ScheduledJob, its CronJob and its Jobs from the API server: three
requests per ScheduledJob on every reconcile, half the operator's API traffic during a burst of
creates, although kopf's watches deliver the same objects moments earlier. The store keeps the
latest version of each, fed by every watch event, by the responses to our own writes and by
periodic full listings (which also catch a deletion whose event a reconnecting watch missed).

It is built to stay small at thousands of ScheduledJobs: ScheduledJobs and CronJobs are kept as
compact JSON text without `managedFields` (a few kB each instead of tens of kB of nested
dicts), decoded on each read, so a caller always gets its own copy; Jobs are kept only as the
`Run` the status reporting needs. A version never replaces a newer one (resourceVersions are
compared as the integers etcd makes them), and a deletion leaves a tombstone so that a write's
late response cannot resurrect an object the watch has already seen deleted.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scheduledjob_operator import naming
from scheduledjob_operator.runs import Run, run_from_job

Kind = Literal["scheduledjobs", "cronjobs", "jobs"]
Key = tuple[str, str]
KINDS: tuple[Kind, ...] = ("scheduledjobs", "cronjobs", "jobs")
# Deleted objects remembered to reject stale versions; the oldest are dropped first.
_TOMBSTONE_CAPACITY = 20_000


@dataclass(frozen=True, slots=True)
class _Text:
    version: int | None
    text: str


@dataclass(frozen=True, slots=True)
class _Job:
    version: int | None
    scheduledjob: str
    run: Run


def _version(body: Mapping[str, Any]) -> int | None:
    raw = (body.get("metadata") or {}).get("resourceVersion")
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        return None


def _older(candidate: int | None, known: int | None) -> bool:
    """Whether `candidate` is an older version than `known` (unknown versions never are)."""
    return candidate is not None and known is not None and candidate < known


def _key(body: Mapping[str, Any]) -> Key:
    metadata = body["metadata"]
    return (str(metadata["namespace"]), str(metadata["name"]))


def _compact(body: Mapping[str, Any]) -> str:
    metadata = {k: v for k, v in body["metadata"].items() if k != "managedFields"}
    return json.dumps({**body, "metadata": metadata}, separators=(",", ":"))


class ObjectStore:
    """ScheduledJobs, owned CronJobs and owned Jobs (as Runs) by namespace and name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: dict[Kind, dict[Key, _Text]] = {"scheduledjobs": {}, "cronjobs": {}}
        self._jobs: dict[Key, _Job] = {}
        self._runs_by_scheduledjob: dict[Key, set[str]] = {}
        self._tombstones: OrderedDict[tuple[Kind, Key], int | None] = OrderedDict()
        self._listed: set[Kind] = set()

    @property
    def primed(self) -> bool:
        """Whether every kind was listed once: only then does absence mean "does not exist"."""
        return self._listed.issuperset(KINDS)

    # -- feeding ------------------------------------------------------------------------------

    def observe(self, kind: Kind, body: Mapping[str, Any], *, deleted: bool = False) -> None:
        """Take in an object as a watch event, a write's response or a listing showed it."""
        key = _key(body)
        version = _version(body)
        with self._lock:
            tombstone = (kind, key)
            deleted_at = self._tombstones.get(tombstone)
            if deleted_at is not None and version is not None and version <= deleted_at:
                return  # a version from before the deletion (a late write response)
            held = self._version_of(kind, key)
            if _older(version, held):
                return
            if not deleted and version is not None and version == held:
                # Held already: the watch echoing a write whose response was taken in, or
                # a listing of an unchanged object. Encoding it again was a tenth of the
                # operator's CPU during a burst of creates.
                return
            if deleted:
                self._forget(kind, key)
                self._tombstones[tombstone] = version
                self._tombstones.move_to_end(tombstone)
                while len(self._tombstones) > _TOMBSTONE_CAPACITY:
                    self._tombstones.popitem(last=False)
                return
            self._tombstones.pop(tombstone, None)
            self._put(kind, key, version, body)

    def replace(
        self,
        kind: Kind,
        listing: Mapping[str, Any],
        *,
        namespaces: Iterable[str] | None,
    ) -> None:
        """Take in a full listing (a List response) of `kind` in `namespaces` (None: all).

        Objects the listing no longer shows are dropped, unless the store holds a version newer
        than the listing (created while it was being read).
        """
        listed: set[Key] = set()
        for item in listing.get("items") or []:
            self.observe(kind, item)
            listed.add(_key(item))
        newest = _version(listing)
        scope = None if namespaces is None else set(namespaces)
        with self._lock:
            for key in self._keys(kind):
                in_scope = scope is None or key[0] in scope
                if in_scope and key not in listed and _older(self._version_of(kind, key), newest):
                    self._forget(kind, key)
            self._listed.add(kind)

    # -- reading ------------------------------------------------------------------------------

    def get(self, kind: Literal["scheduledjobs", "cronjobs"], key: Key) -> dict[str, Any] | None:
        """A fresh copy of the object, or None when the store does not hold it."""
        with self._lock:
            entry = self._texts[kind].get(key)
        if entry is None:
            return None
        decoded: dict[str, Any] = json.loads(entry.text)
        return decoded

    def is_deleted(self, kind: Kind, key: Key) -> bool:
        """Whether a watch or listing showed the object deleted (and nothing newer since)."""
        with self._lock:
            return (kind, key) in self._tombstones

    def runs(self, namespace: str, scheduledjob: str) -> list[Run]:
        """The runs of a ScheduledJob: its Jobs found by label, as the status reporting needs."""
        with self._lock:
            names = self._runs_by_scheduledjob.get((namespace, scheduledjob), set())
            return [self._jobs[(namespace, name)].run for name in sorted(names)]

    def keys(self, kind: Kind) -> list[Key]:
        """Every held object of `kind`."""
        with self._lock:
            return self._keys(kind)

    # -- inside the lock ------------------------------------------------------------------------

    def _keys(self, kind: Kind) -> list[Key]:
        return list(self._jobs if kind == "jobs" else self._texts[kind])

    def _version_of(self, kind: Kind, key: Key) -> int | None:
        entry = self._jobs.get(key) if kind == "jobs" else self._texts[kind].get(key)
        return None if entry is None else entry.version

    def _put(self, kind: Kind, key: Key, version: int | None, body: Mapping[str, Any]) -> None:
        if kind != "jobs":
            self._texts[kind][key] = _Text(version, _compact(body))
            return
        self._forget("jobs", key)  # its label may have changed
        labels = (body.get("metadata") or {}).get("labels") or {}
        owner = labels.get(naming.SCHEDULEDJOB_LABEL)
        if owner is None:
            return
        self._jobs[key] = _Job(version, str(owner), run_from_job(body))
        self._runs_by_scheduledjob.setdefault((key[0], str(owner)), set()).add(key[1])

    def _forget(self, kind: Kind, key: Key) -> None:
        if kind != "jobs":
            self._texts[kind].pop(key, None)
            return
        job = self._jobs.pop(key, None)
        if job is None:
            return
        index = (key[0], job.scheduledjob)
        names = self._runs_by_scheduledjob.get(index)
        if names is not None:
            names.discard(key[1])
            if not names:
                del self._runs_by_scheduledjob[index]
