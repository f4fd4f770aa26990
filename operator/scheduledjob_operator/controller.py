"""Runs reconciles: one at a time per ScheduledJob, retried with backoff, resynced periodically.

kopf's event handlers are fire-and-forget (no retries) and its timers would put a finalizer on
every ScheduledJob, so the retry and resync loop live here. Every path ends in the same
idempotent `Reconciler.reconcile` of the object as it is now (as the store last saw it).

Nothing here outlives a ScheduledJob: a key's lock exists only while a reconcile of it runs or
waits; the versions of our writes to an object go with its DELETED event (`take_in`), and the
failure count, pending timer, plan, gauges and counters when a reconcile finds the ScheduledJob
gone (`_forget`). The store's tombstone of it expires after a few minutes (`store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from scheduledjob_api import naming
from scheduledjob_operator.machinery import apierrors, ownedwatch
from scheduledjob_operator.machinery.cachedcluster import CachedCluster
from scheduledjob_operator.machinery.ownedwatch import OwnedWatch
from scheduledjob_operator.machinery.workqueue import WorkQueue
from scheduledjob_operator.reconcile.reconciler import Reconciler
from scheduledjob_operator.telemetry import pushgateway
from scheduledjob_operator.telemetry.metrics import OperatorMetrics
from scheduledjob_operator.telemetry.pushgateway import PushgatewayGroups

Key = tuple[str, str]
_MAX_BACKOFF_SECONDS = 300.0
# Timers wake this long after the moment they wait for, never just before it (the event loop's
# clock and the wall clock the fire times use can differ by a few milliseconds). Small, because
# operator-started runs are created when their timer fires: it is part of their lateness.
_REQUEUE_SLACK_SECONDS = 0.02
# Timers get an empty context (contextvars.Context()): call_later would copy kopf's current one,
# which holds the triggering event's whole body, pinning a body per ScheduledJob until its
# timer fires (a day for a daily schedule).
_log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # reconciles holding or waiting for `lock`


class KeyLocks:
    """One lock per key, existing only while some reconcile of that key holds or awaits it.

    A lock per key ever seen (a defaultdict) stayed behind for every deleted ScheduledJob.
    Used from the event loop only, so counting users needs no lock of its own.
    """

    def __init__(self) -> None:
        self._held: dict[Key, _KeyLock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Key) -> AsyncIterator[None]:
        """Hold `key`'s lock for the block; the last one out removes it."""
        entry = self._held.get(key)
        if entry is None:
            entry = self._held[key] = _KeyLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._held[key]

    def __contains__(self, key: object) -> bool:
        return key in self._held

    def __len__(self) -> int:
        return len(self._held)


class Controller:
    """Serialises, retries and resyncs reconciles of ScheduledJobs."""

    def __init__(
        self,
        reconciler: Reconciler,
        cluster: CachedCluster,
        metrics: OperatorMetrics,
        *,
        namespaces: tuple[str, ...] = (),
        pushgateway: PushgatewayGroups | None = None,
    ) -> None:
        self.reconciler = reconciler
        self.pushgateway = pushgateway
        self.cluster = cluster
        self.metrics = metrics
        self.namespaces = namespaces
        self._locks = KeyLocks()
        self._failures: dict[Key, int] = {}
        self._retries: dict[Key, asyncio.TimerHandle] = {}
        self._queue = WorkQueue()
        self._workers: list[asyncio.Task[None]] = []

    def enqueue(self, namespace: str, name: str) -> None:
        """Have the ScheduledJob reconciled by a worker soon (once, however often asked)."""
        self._queue.add((namespace, name))

    def take_in(self, kind: str, event_type: str, body: Mapping[str, Any]) -> bool:
        """Feed a watched object to the store; whether it is news (not our own write's echo)."""
        deleted = event_type == "DELETED"
        self.cluster.seen(kind, body, deleted=deleted)
        if deleted:
            # Its versions we wrote will never be echoed now.
            self.cluster.own_writes.forget(str((body.get("metadata") or {}).get("uid") or ""))
            return True
        return not self.cluster.own_writes.is_echo(body)

    def owned_object_seen(self, kind: str, event_type: str, body: Mapping[str, Any]) -> None:
        """An owned CronJob or Job changed or went away: its ScheduledJob is reconciled.

        This is how hand edits and deletions are repaired and how run outcomes reach status.
        """
        metadata = body.get("metadata") or {}
        owner = (metadata.get("labels") or {}).get(naming.SCHEDULEDJOB_LABEL)
        if self.take_in(kind, event_type, body) and owner and metadata.get("namespace"):
            self.enqueue(str(metadata["namespace"]), str(owner))

    def watch_owned(self) -> list[OwnedWatch]:
        """Start the label-selected watches of owned CronJobs and Jobs (ownedwatch)."""
        loop = asyncio.get_running_loop()
        scopes: tuple[str | None, ...] = self.namespaces or (None,)
        watches = [
            OwnedWatch(self.cluster.api_client, kind, scope, self.owned_object_seen, loop)
            for kind in ownedwatch.OWNED_KINDS
            for scope in scopes
        ]
        for owned in watches:
            owned.start()
        return watches

    def start_workers(self, count: int) -> None:
        """Start `count` workers taking keys off the queue (on the running loop)."""
        loop = asyncio.get_running_loop()
        self._workers += [loop.create_task(self._work()) for _ in range(count)]

    async def _work(self) -> None:
        while True:
            key = await self._queue.take()
            await self.reconcile(*key)

    async def reconcile(self, namespace: str, name: str) -> None:
        """Reconcile one ScheduledJob as it is now; schedule a retry if that fails."""
        key = (namespace, name)
        async with self._locks.hold(key):
            retry = self._retries.pop(key, None)
            if retry is not None:
                retry.cancel()
            started = time.monotonic()
            try:
                body = await asyncio.to_thread(self.cluster.get_scheduledjob, namespace, name)
                if body is None:  # deleted: no finalizer, so its DELETED event ends here
                    await self._forget(key)
                    return
                outcome = await asyncio.to_thread(self.reconciler.reconcile, body)
            except Exception as error:  # noqa: BLE001 - any failure here is retried, never fatal
                self._schedule_retry(key, error)
                return
            finally:
                self.metrics.reconcile_duration.observe(time.monotonic() - started)
            self._failures.pop(key, None)
            self.metrics.reconciles.labels(result=outcome.result).inc()
            if outcome.result == "deleted":
                await self._forget(key)
            elif outcome.requeue_after is not None:
                # A run comes due (a one-shot, a fire time to check): look again then, even
                # if no event arrives. A later reconcile replaces this timer.
                delay = outcome.requeue_after + _REQUEUE_SLACK_SECONDS
                loop = asyncio.get_running_loop()
                self._retries[key] = loop.call_later(
                    delay, self._spawn, key, context=contextvars.Context()
                )

    async def _forget(self, key: Key) -> None:
        """The ScheduledJob is gone: drop what is kept for it here (failure count, pending
        retry, plan, series) and its group on the Pushgateway."""
        self._failures.pop(key, None)
        retry = self._retries.pop(key, None)
        if retry is not None:
            retry.cancel()
        self.reconciler.plans.forget(*key)
        self.metrics.scheduledjobs.forget(key)
        self.metrics.run_counters.forget(key)
        problem = await asyncio.to_thread(pushgateway.delete_quietly, self.pushgateway, key)
        if problem is not None:
            _log.warning(
                "Could not delete the Pushgateway group; the resync sweep retries",
                namespace=key[0],
                scheduledjob=key[1],
                error=problem[:500],
            )

    def holds(self, namespace: str, name: str) -> frozenset[str]:
        """What the controller keeps for the key now: "lock", "failures", "retry" (to see
        that a deleted ScheduledJob left nothing behind)."""
        key = (namespace, name)
        held = {
            "lock": key in self._locks,
            "failures": key in self._failures,
            "retry": key in self._retries,
        }
        return frozenset(what for what, present in held.items() if present)

    def _schedule_retry(self, key: Key, error: Exception) -> None:
        if apierrors.is_namespace_terminating(error):
            # The namespace is being deleted, and this ScheduledJob with it: its DELETED event
            # comes soon and forgets it. Nothing to warn about or retry (the resync would still
            # catch a namespace whose deletion got stuck).
            self._failures.pop(key, None)
            self.metrics.reconciles.labels(result="deleting").inc()
            _log.debug(
                "Skipped retrying the reconcile: the namespace is being deleted",
                namespace=key[0],
                scheduledjob=key[1],
                error=apierrors.describe(error),
            )
            return
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        delay = min(2.0 ** (failures - 1), _MAX_BACKOFF_SECONDS)
        self.metrics.reconciles.labels(result="error").inc()
        self.metrics.reconcile_errors.labels(error_type=type(error).__name__).inc()
        _log.warning(
            "Reconcile failed, will retry",
            namespace=key[0],
            scheduledjob=key[1],
            error=apierrors.describe(error),
            error_type=type(error).__name__,
            retry_in_seconds=delay,
            failures=failures,
        )
        loop = asyncio.get_running_loop()
        self._retries[key] = loop.call_later(delay, self._spawn, key, context=contextvars.Context())

    def _spawn(self, key: Key) -> None:
        self._queue.add(key)

    async def resync_forever(self, interval_seconds: float) -> None:
        """Reconcile every ScheduledJob every `interval_seconds`, whatever events said."""
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await self.resync_once()
            except Exception as error:  # noqa: BLE001 - the next round tries again
                _log.warning("Resync failed", error=apierrors.describe(error))

    async def prime(self) -> None:
        """Fill the store before the first reconcile; on failure reads go to the API server
        until a resync succeeds."""
        try:
            await asyncio.to_thread(self.cluster.refresh, self.namespaces)
        except Exception as error:  # noqa: BLE001 - the operator still works without the store
            _log.warning("Could not list objects into the store", error=apierrors.describe(error))

    async def resync_once(self) -> None:
        """Relist everything into the store, then reconcile every ScheduledJob, and any that
        has gauges but is gone.

        A deletion whose event was missed (say, while a watch reconnected) would otherwise
        leave its CronJob in the store and its series behind; the listing drops the former,
        reconciling the key finds no object and forgets the latter.
        """
        exported = self.metrics.scheduledjobs.keys()
        await asyncio.to_thread(self.cluster.refresh, self.namespaces)
        listed = sorted(self.cluster.store.keys("scheduledjobs"))
        for key in [*listed, *sorted(exported - set(listed))]:
            await self.reconcile(*key)
        if self.pushgateway is not None:
            # The watched namespaces, or (watching all) those that hold ScheduledJobs now: a
            # namespace whose last ScheduledJob went while the operator was down is not swept.
            swept_scope = set(self.namespaces) or {namespace for namespace, _ in listed}
            swept = await asyncio.to_thread(self.pushgateway.sweep, listed, swept_scope)
            if swept:
                _log.info("Deleted Pushgateway groups of deleted ScheduledJobs", groups=swept)

    def close(self) -> None:
        """Stop the workers, cancel pending retries and post the queued Events (on shutdown)."""
        for worker in self._workers:
            worker.cancel()
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        self.cluster.close()
