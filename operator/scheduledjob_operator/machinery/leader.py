"""Lease-based leader election, so that of several replicas exactly one reconciles.

The same scheme as client-go's leaderelection: a coordination.k8s.io Lease names its holder
and when it last renewed; a replica takes the Lease only when it is free or expired, with the
resourceVersion guarding against two replicas taking it at once. The holder renews every
`renew_seconds`; if it cannot renew within `lease_seconds` it stops acting (the process exits
and Kubernetes restarts it as a candidate), so a partitioned leader never acts alongside a new
one. A standby takes over at most `lease_seconds` + `retry_seconds` after the leader dies.
"""

from __future__ import annotations

import datetime
import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from basejob import timestamps

_log = structlog.get_logger(__name__)
_NOT_FOUND = 404
_CONFLICT = 409


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True, kw_only=True)
class LeaseConfig:
    """Where the Lease lives and how it is timed."""

    namespace: str
    name: str
    identity: str
    lease_seconds: int = 15
    """A leader that has not renewed for this long is considered gone."""
    renew_seconds: float = 5.0
    """How often the leader renews."""
    retry_seconds: float = 2.0
    """How often a standby tries to take the Lease."""


class LeaderElector:
    """Acquires and holds a Lease for this process."""

    def __init__(self, api_client: client.ApiClient, config: LeaseConfig) -> None:
        self.leases = client.CoordinationV1Api(api_client)
        self.config = config

    def try_acquire(self) -> bool:
        """Take or renew the Lease if it is ours, free or expired; False if another holds it."""
        config = self.config
        now = _now()
        try:
            lease: Any = self.leases.read_namespaced_lease(config.name, config.namespace)
        except ApiException as error:
            if error.status != _NOT_FOUND:
                raise
            return self._create(now)
        spec = lease.spec
        holder = spec.holder_identity
        renewed = spec.renew_time or spec.acquire_time
        duration = spec.lease_duration_seconds or config.lease_seconds
        expired = renewed is None or renewed + datetime.timedelta(seconds=duration) < now
        if holder not in (None, "", config.identity) and not expired:
            return False
        if holder != config.identity:
            spec.acquire_time = now
            spec.lease_transitions = (spec.lease_transitions or 0) + 1
        spec.holder_identity = config.identity
        spec.renew_time = now
        spec.lease_duration_seconds = config.lease_seconds
        try:
            self.leases.replace_namespaced_lease(config.name, config.namespace, lease)
        except ApiException as error:
            if error.status == _CONFLICT:
                return False  # someone else wrote it first
            raise
        return True

    def _create(self, now: datetime.datetime) -> bool:
        config = self.config
        body: Any = {
            "metadata": {"name": config.name, "namespace": config.namespace},
            "spec": {
                "holderIdentity": config.identity,
                "leaseDurationSeconds": config.lease_seconds,
                "acquireTime": timestamps.rfc3339(now, fraction=True),
                "renewTime": timestamps.rfc3339(now, fraction=True),
                "leaseTransitions": 0,
            },
        }
        try:
            self.leases.create_namespaced_lease(config.namespace, body)
        except ApiException as error:
            if error.status == _CONFLICT:
                return False
            raise
        return True

    def acquire(self, stop: threading.Event) -> bool:
        """Block until this process leads (True) or `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            try:
                if self.try_acquire():
                    _log.info(
                        "Acquired leadership", lease=self.config.name, identity=self.config.identity
                    )
                    return True
            except ApiException as error:
                _log.warning("Leader election failed, retrying", error=str(error)[:300])
            if not announced:
                _log.info("Waiting for leadership", lease=self.config.name)
                announced = True
            stop.wait(self.config.retry_seconds)
        return False

    def hold(self, lost: threading.Event, stop: threading.Event) -> threading.Thread:
        """Renew in a background thread; set `lost` when leadership cannot be kept."""

        def renew_loop() -> None:
            last_renewal = time.monotonic()
            while not stop.wait(self.config.renew_seconds):
                try:
                    if self.try_acquire():
                        last_renewal = time.monotonic()
                        continue
                    _log.error("Lost leadership to another replica", lease=self.config.name)
                except Exception as error:  # noqa: BLE001 - judged by the deadline below
                    _log.warning("Lease renewal failed", error=str(error)[:300])
                    if time.monotonic() - last_renewal < self.config.lease_seconds:
                        continue
                    _log.error("Could not renew the lease in time", lease=self.config.name)
                lost.set()
                return

        thread = threading.Thread(target=renew_loop, name="lease-renewal", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        """Give the Lease up at a clean shutdown, so a standby takes over at once."""
        try:
            lease: Any = self.leases.read_namespaced_lease(self.config.name, self.config.namespace)
            if lease.spec.holder_identity == self.config.identity:
                lease.spec.holder_identity = None
                lease.spec.renew_time = None
                self.leases.replace_namespaced_lease(self.config.name, self.config.namespace, lease)
        except ApiException as error:
            _log.warning("Could not release the lease", error=str(error)[:300])
