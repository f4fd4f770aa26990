"""What the operator last saw of its objects, kept from the watches it runs anyway.

Reading the ScheduledJob, its CronJob and its Jobs from the API server would cost three
requests per ScheduledJob on every reconcile, half the operator's API traffic during a burst of
creates, although kopf's watches deliver the same objects moments earlier. The store keeps the
latest version of each, fed by every watch event, by the responses to our own writes and by
periodic full listings (which also catch a deletion whose event a reconnecting watch missed).

It is built to stay small at thousands of ScheduledJobs: ScheduledJobs and CronJobs are kept as
compact JSON text without `managedFields` (a few kB each instead of tens of kB of nested
dicts), decoded on each read, so a caller always gets its own copy; Jobs are kept only as the
`Run` the status reporting needs. A version never replaces a newer one (resourceVersions are
compared as the integers etcd makes them), and a deletion leaves a tombstone so that a write's
late response cannot resurrect an object the watch has already seen deleted. A tombstone is
kept only as long as such a response can still arrive (a few minutes; expired ones go at the
store's next use, the periodic listing at the latest), so after a mass deletion the store soon
holds nothing of the deleted objects.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scheduledjob_api import naming
from scheduledjob_api.runs import Run, run_from_job
from scheduledjob_operator.domain.objects import KubeObject

Kind = Literal["scheduledjobs", "cronjobs", "jobs"]
Key = tuple[str, str]
KINDS: tuple[Kind, ...] = ("scheduledjobs", "cronjobs", "jobs")
# How long a deleted object is remembered, to reject versions from before its deletion. Such
# a version comes only from a write's response that was in flight when the watch showed the
# deletion, and the API server ends any request but a watch within a minute (kube-apiserver
# --request-timeout, 60 s by default, as handlers.configure_kopf sets kopf's request_timeout),
# so five minutes leave ample margin.
TOMBSTONE_SECONDS = 300.0
# And at most this many, the oldest dropped first, should a burst delete more within that time.
_TOMBSTONE_CAPACITY = 20_000


@dataclass(frozen=True, slots=True)
class _Text:
    version: int | None
    text: str


@dataclass(frozen=True, slots=True)
class _Tombstone:
    version: int | None
    expires: float


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
    """ScheduledJobs, owned CronJobs and owned Jobs (as Runs) by namespace and name.

    `clock` (seconds, monotonic) times tombstones; tests pass their own instead of sleeping.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        tombstone_seconds: float = TOMBSTONE_SECONDS,
    ) -> None:
        self._clock = clock
        self._tombstone_seconds = tombstone_seconds
        self._lock = threading.Lock()
        self._texts: dict[Kind, dict[Key, _Text]] = {"scheduledjobs": {}, "cronjobs": {}}
        self._jobs: dict[Key, _Job] = {}
        self._runs_by_scheduledjob: dict[Key, set[str]] = {}
        # Oldest first: all live equally long, so they also expire in this order.
        self._tombstones: OrderedDict[tuple[Kind, Key], _Tombstone] = OrderedDict()
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
            self._expire_tombstones()
            tombstone = (kind, key)
            buried = self._tombstones.get(tombstone)
            deleted_at = None if buried is None else buried.version
            if deleted_at is not None and version is not None and version <= deleted_at:
                return  # a version from before the deletion (a late write response)
            held = self._version_of(kind, key)
            if _older(version, held):
                return
            if not deleted and version is not None and version == held:
                # Held already: the watch echoing a write whose response was taken in, or
                # a listing of an unchanged object. Encoding it again would cost a tenth of
                # the operator's CPU during a burst of creates.
                return
            if deleted:
                self._forget(kind, key)
                expires = self._clock() + self._tombstone_seconds
                self._tombstones[tombstone] = _Tombstone(version, expires)
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
            self._expire_tombstones()
            for key in self._keys(kind):
                in_scope = scope is None or key[0] in scope
                if in_scope and key not in listed and _older(self._version_of(kind, key), newest):
                    self._forget(kind, key)
            self._listed.add(kind)

    # -- reading ------------------------------------------------------------------------------

    def get(self, kind: Literal["scheduledjobs", "cronjobs"], key: Key) -> KubeObject | None:
        """A fresh copy of the object, or None when the store does not hold it."""
        with self._lock:
            entry = self._texts[kind].get(key)
        if entry is None:
            return None
        decoded: KubeObject = json.loads(entry.text)
        return decoded

    def is_deleted(self, kind: Kind, key: Key) -> bool:
        """Whether a watch or listing showed the object deleted (and nothing newer since)."""
        with self._lock:
            self._expire_tombstones()
            return (kind, key) in self._tombstones

    def tombstones(self) -> int:
        """How many deleted objects are remembered now (expired ones are not)."""
        with self._lock:
            self._expire_tombstones()
            return len(self._tombstones)

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

    def _expire_tombstones(self) -> None:
        """Drop the tombstones past their time: the oldest first, stopping at the first that is
        not, so a call with nothing to drop costs one look."""
        now = self._clock()
        while self._tombstones:
            oldest = next(iter(self._tombstones.values()))
            if oldest.expires > now:
                return
            self._tombstones.popitem(last=False)

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
