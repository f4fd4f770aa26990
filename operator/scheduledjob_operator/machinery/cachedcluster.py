"""The operator's reads served from its ObjectStore, its writes taught to it, Events posted aside.

Reconciles read the ScheduledJob, its CronJob and its runs here instead of from the API server
(see `store` for why). Until the store has been filled by a first full listing of every kind,
and for a ScheduledJob the store has never seen, reads go to the API server. Writes go
to the API server; their responses update the store at once, so the next reconcile does not
act on a version older than its own write.

Events are posted by a small pool of their own, as client-go's event recorder does: a reconcile
does not wait for them, so a new ScheduledJob is Ready one API round trip sooner. When the
queue (20,000) is full, further Events are dropped with a warning; an Event is a notice, the
status and conditions carry the state.
"""

from __future__ import annotations

import datetime
import functools
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

import structlog
from kubernetes import client

from scheduledjob_api import naming
from scheduledjob_api.runs import Run
from scheduledjob_operator.domain.objects import KubeObject
from scheduledjob_operator.machinery import apierrors
from scheduledjob_operator.machinery.kube import Cluster
from scheduledjob_operator.machinery.store import KINDS, Kind, ObjectStore

EVENT_THREADS = 2
# Queued Events hold only the involved object's identity (a few hundred bytes), so a burst of
# ten thousand creates queues all of theirs in a few MB.
_EVENT_QUEUE_LIMIT = 20_000
_log = structlog.get_logger(__name__)


class CachedCluster(Cluster):
    """A Cluster whose reads come from an ObjectStore kept current by the watches."""

    def __init__(self, api_client: client.ApiClient, store: ObjectStore | None = None) -> None:
        super().__init__(api_client)
        self.store = store or ObjectStore()
        self._events = ThreadPoolExecutor(EVENT_THREADS, thread_name_prefix="events")
        self._pending_events = 0
        self._pending_lock = threading.Lock()
        # ScheduledJob names by the name their CronJob and runs derive from it (see
        # `name_rivals`); entries for deleted objects are dropped when next looked at.
        self._derived: dict[tuple[str, str], set[str]] = {}
        self._derived_lock = threading.Lock()

    def emit_event(
        self,
        involved: Mapping[str, Any],
        *,
        type_: str,
        reason: str,
        message: str,
        now: datetime.datetime,
    ) -> None:
        """Queue the Event for the event threads; drop it when the queue is full."""
        with self._pending_lock:
            if self._pending_events >= _EVENT_QUEUE_LIMIT:
                _log.warning("Dropped an Event: too many queued", reason=reason)
                return
            self._pending_events += 1
        metadata = involved["metadata"]
        identity = {
            "metadata": {
                key: metadata.get(key) for key in ("name", "namespace", "uid", "resourceVersion")
            }
        }
        post = super().emit_event
        future = self._events.submit(
            post, identity, type_=type_, reason=reason, message=message, now=now
        )
        about = {"namespace": metadata.get("namespace"), "scheduledjob": metadata.get("name")}
        future.add_done_callback(functools.partial(self._event_posted, reason=reason, **about))

    def _event_posted(self, future: Future[None], **context: Any) -> None:
        with self._pending_lock:
            self._pending_events -= 1
        error = future.exception()
        if error is None:
            return
        if apierrors.is_namespace_terminating(error):
            # The namespace, the ScheduledJob and this Event are all going: nothing is lost.
            _log.debug("Dropped an Event: the namespace is being deleted", **context)
            return
        _log.warning("Could not post an Event", error=apierrors.describe(error), **context)

    def close(self) -> None:
        """Post the queued Events, then stop the event threads."""
        self._events.shutdown(wait=True)

    def refresh(self, namespaces: tuple[str, ...]) -> None:
        """List every kind in `namespaces` (empty: all) into the store.

        Run at start-up, before any reconcile, and on every resync: a listing also drops what
        a reconnecting watch may have missed being deleted.
        """
        scopes: tuple[str | None, ...] = namespaces or (None,)
        for kind in KINDS:
            for scope in scopes:
                listing = self.list_owned(kind, scope)
                self.store.replace(kind, listing, namespaces=None if scope is None else (scope,))
        for namespace, name in self.store.keys("scheduledjobs"):
            self._index_name(namespace, name)

    def get_scheduledjob(self, namespace: str, name: str) -> KubeObject | None:
        """From the store; from the API server when the store does not know it."""
        key = (namespace, name)
        held = self.store.get("scheduledjobs", key)
        if held is not None:
            return held
        if self.store.is_deleted("scheduledjobs", key):
            return None
        fetched = super().get_scheduledjob(namespace, name)
        if fetched is not None:
            self.store.observe("scheduledjobs", fetched)
        return fetched

    def get_cronjob(self, namespace: str, name: str) -> KubeObject | None:
        """From the store once it is primed (absent: none of ours; a foreign CronJob of that
        name shows up as a conflict on create, see `read_cronjob`)."""
        if not self.store.primed:
            return super().get_cronjob(namespace, name)
        return self.store.get("cronjobs", (namespace, name))

    def runs(self, namespace: str, scheduledjob: str) -> list[Run]:
        """From the store once it is primed."""
        if not self.store.primed:
            return super().runs(namespace, scheduledjob)
        return self.store.runs(namespace, scheduledjob)

    def read_cronjob(self, namespace: str, name: str) -> KubeObject | None:
        """Fresh from the API server; what it finds updates the store."""
        live = super().read_cronjob(namespace, name)
        if live is not None and _is_ours(live):
            self.store.observe("cronjobs", live)
        return live

    def seen(self, kind: str, body: Mapping[str, Any], *, deleted: bool = False) -> None:
        """Into the store (which keeps whichever version is newest)."""
        self.store.observe(cast("Kind", kind), body, deleted=deleted)
        if kind == "scheduledjobs":
            metadata = body["metadata"]
            namespace, name = str(metadata["namespace"]), str(metadata["name"])
            if deleted:
                self._unindex_name(namespace, name)
            else:
                self._index_name(namespace, name)

    def name_rivals(self, namespace: str, name: str) -> list[KubeObject]:
        """From the store's ScheduledJobs, by an index of derived names (no scan)."""
        if not self.store.primed:
            return super().name_rivals(namespace, name)
        self._index_name(namespace, name)
        key = (namespace, naming.cronjob_name(name))
        with self._derived_lock:
            others = sorted(self._derived.get(key, set()) - {name})
        rivals = []
        for other in others:
            body = self.store.get("scheduledjobs", (namespace, other))
            if body is None:
                self._unindex_name(namespace, other)
            else:
                rivals.append(body)
        return rivals

    def _index_name(self, namespace: str, name: str) -> None:
        key = (namespace, naming.cronjob_name(name))
        with self._derived_lock:
            self._derived.setdefault(key, set()).add(name)

    def _unindex_name(self, namespace: str, name: str) -> None:
        key = (namespace, naming.cronjob_name(name))
        with self._derived_lock:
            names = self._derived.get(key)
            if names is not None:
                names.discard(name)
                if not names:
                    del self._derived[key]


def _is_ours(body: Mapping[str, Any]) -> bool:
    labels = (body.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(naming.MANAGED_BY_LABEL) == naming.MANAGED_BY)
