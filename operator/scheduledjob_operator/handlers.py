"""The kopf handlers: a few lines each, handing every change to the Controller.

Only event handlers are used. They need no state in the objects (no diff-base annotations, no
progress records, no finalizers), so the operator writes nothing to a ScheduledJob but its
status, and GitOps tools see no drift.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Mapping
from typing import Any

import kopf

from scheduledjob_api import v1alpha1
from scheduledjob_operator.controller import Controller
from scheduledjob_operator.machinery import kopfstate

RECONCILE_THREADS = 16


@kopf.on.startup()
async def configure_kopf(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Own every kopf setting in one place, each with the reason it is set."""
    # We post our own Events (created, updated, run outcomes); kopf's per-handler log Events
    # would add API writes on every reconcile.
    settings.posting.enabled = False
    # One replica acts via our Lease-based leader election (scheduledjob_operator.machinery.leader),
    # so kopf's peering CRDs are not needed.
    settings.peering.standalone = True
    # Event handlers need no diff-base and no progress records; kopf's default storages would
    # deep-copy every object on every event to build them (see kopfstate).
    settings.persistence.diffbase_storage = kopfstate.NoDiffBase()
    settings.persistence.progress_storage = kopfstate.NoProgress()
    # No namespace or CRD scanning: the watched namespaces are given explicitly (or all).
    settings.scanning.disabled = True
    # Re-establish watches regularly so a silently broken connection is noticed.
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 60
    # Reconciles are API-bound and run in threads (asyncio.to_thread); the default pool has
    # min(32, cores + 4) workers, 6 on two cores, which queues a burst of creates behind six
    # in-flight requests. Sixteen keep the API server busy without flooding it.
    loop = asyncio.get_running_loop()
    loop.set_default_executor(
        concurrent.futures.ThreadPoolExecutor(
            max_workers=RECONCILE_THREADS, thread_name_prefix="reconcile"
        )
    )
    controller: Controller = memo["controller"]
    # Reconciles read from the operator's store (machinery.store): fill it with one
    # listing per kind before the watches start delivering events.
    await controller.prime()
    # Handlers only queue keys (workqueue); this many workers reconcile, one thread each.
    controller.start_workers(RECONCILE_THREADS)
    # Owned CronJobs and Jobs are watched by label on the server, not through kopf (which
    # would list and remember every CronJob and Job of the cluster; see ownedwatch).
    memo["owned_watches"] = controller.watch_owned()
    resync_seconds: float = memo["resync_seconds"]
    memo["resync_task"] = asyncio.get_running_loop().create_task(
        controller.resync_forever(resync_seconds)
    )


@kopf.on.cleanup()
async def stop_background_work(memo: kopf.Memo, **_: Any) -> None:
    """Stop the resync loop and pending retries."""
    memo["resync_task"].cancel()
    for owned in memo["owned_watches"]:
        owned.stop()
    memo["controller"].close()


def _worth_reconciling(controller: Controller, kind: str, event: kopf.RawEvent) -> bool:
    """Give the event's object to the store; False when the event only echoes our own write."""
    body: Any = event.get("object")
    if not isinstance(body, Mapping):
        return False
    return controller.take_in(kind, str(event.get("type")), body)


@kopf.on.event(v1alpha1.GROUP, v1alpha1.VERSION, v1alpha1.PLURAL)
async def scheduledjob_changed(
    namespace: str | None, name: str, event: kopf.RawEvent, memo: kopf.Memo, **_: Any
) -> None:
    """Any change to a ScheduledJob (or the initial listing): reconcile it."""
    controller: Controller = memo["controller"]
    if namespace is not None and _worth_reconciling(controller, v1alpha1.PLURAL, event):
        controller.enqueue(namespace, name)


# kopf logs every handled event at INFO; our reconcile logs what it did instead.
logging.getLogger("kopf.objects").setLevel(logging.WARNING)
