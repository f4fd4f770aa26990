"""Watches of the CronJobs and Jobs the operator owns, selected by label on the server.

kopf filters watched objects by label on the client: it lists and watches every CronJob and
every Job of the cluster and keeps a record of each, ours or not. In a cluster with thousands
of other CronJobs or Jobs (the benchmark's own 5000 CronJobs are enough) that is most of the
operator's memory at start-up. These watches ask the API server for the operator's objects only
(`app.kubernetes.io/managed-by=scheduledjob-operator`), as client-go informers with a label
selector do: list, then watch from the list's resourceVersion, list again when the watch's
history is gone (410) or the connection drops.

Each object goes to a callback (on the event loop): it feeds the store and queues the owning
ScheduledJob for a reconcile. A thread per kind and namespace scope, so the blocking client
never stalls the loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog
import urllib3
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from scheduledjob_api import naming

_GONE = 410
_WATCH_SECONDS = 300  # the server ends each watch after this; we start the next one
_RETRY_SECONDS = 1.0
_log = structlog.get_logger(__name__)

# The kinds watched, each in every watched namespace (or in all): one connection each.
OWNED_KINDS = ("cronjobs", "jobs")
# kind (plural), event type (ADDED, MODIFIED, DELETED or LISTED), the object
Seen = Callable[[str, str, Mapping[str, Any]], None]


class OwnedWatch:
    """One kind (cronjobs or jobs) in one namespace, or in all, on a thread of its own."""

    def __init__(
        self,
        api_client: client.ApiClient,
        kind: str,
        namespace: str | None,
        seen: Seen,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.kind = kind
        self.namespace = namespace
        self._seen = seen
        self._loop = loop
        batch = client.BatchV1Api(api_client)
        calls = {
            "cronjobs": (batch.list_cron_job_for_all_namespaces, batch.list_namespaced_cron_job),
            "jobs": (batch.list_job_for_all_namespaces, batch.list_namespaced_job),
        }
        every, one = calls[kind]
        self._list: Callable[..., Any] = every if namespace is None else one
        self._args: tuple[str, ...] = () if namespace is None else (namespace,)
        self._selector = f"{naming.MANAGED_BY_LABEL}={naming.MANAGED_BY}"
        self._version = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"watch-{kind}-{namespace or 'all'}", daemon=True
        )

    def start(self) -> None:
        """Start listing and watching."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current watch call returns (daemon thread: never blocks exit)."""
        self._stop.set()

    def _deliver(self, event_type: str, body: Mapping[str, Any]) -> None:
        self._loop.call_soon_threadsafe(self._seen, self.kind, event_type, body)

    def _relist(self) -> None:
        response = self._list(*self._args, label_selector=self._selector, _preload_content=False)
        listing = _decode(response)
        for item in listing.get("items") or []:
            self._deliver("LISTED", item)
        self._version = listing["metadata"]["resourceVersion"]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._version:
                    self._relist()
                self._watch_once()
            except ApiException as error:
                if error.status == _GONE:
                    self._version = ""  # history compacted: list again
                    continue
                _log.warning("Watch failed; retrying", kind=self.kind, error=str(error)[:300])
                self._version = ""
                time.sleep(_RETRY_SECONDS)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
                _log.warning("Watch dropped; listing again", kind=self.kind, error=str(error)[:300])
                self._version = ""
                time.sleep(_RETRY_SECONDS)

    def _watch_once(self) -> None:
        stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
            self._list,
            *self._args,
            label_selector=self._selector,
            resource_version=self._version,
            timeout_seconds=_WATCH_SECONDS,
            allow_watch_bookmarks=True,
            deserialize=False,
        )
        for event in stream:
            if self._stop.is_set():
                return
            body = event["object"]
            if event["type"] == "ERROR":
                if body.get("code") == _GONE:
                    raise ApiException(status=_GONE, reason="Gone")
                raise ApiException(status=body.get("code"), reason=str(body.get("message")))
            self._version = body["metadata"]["resourceVersion"]
            if event["type"] != "BOOKMARK":
                self._deliver(event["type"], body)


def _decode(response: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.data)
    return decoded
