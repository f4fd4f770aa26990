"""Module-level scheduling functions on one default client, for code that talks to one cluster.

The default client is made on first use from the kubeconfig (or, inside a Pod, the
ServiceAccount), like kubectl would connect. `set_default_client` replaces it, for example
with a client for another cluster or, in tests, for a local API server.
"""

from __future__ import annotations

import threading
from typing import Unpack

from basejob.job import BaseJob
from scheduledjob_client.scheduling.client import SchedulingClient
from scheduledjob_client.scheduling.manifest import (
    Identifier,
    ScheduleArguments,
    ScheduleWithContextArguments,
)
from scheduledjob_client.scheduling.refs import ScheduledJobRef


class _Default:
    """The process's default client, created lazily and at most once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.client: SchedulingClient | None = None


_DEFAULT = _Default()


def default_client() -> SchedulingClient:
    """The default client, connecting on first use (`SchedulingClient.from_environment`)."""
    with _DEFAULT.lock:
        if _DEFAULT.client is None:
            _DEFAULT.client = SchedulingClient.from_environment()
        return _DEFAULT.client


def set_default_client(client: SchedulingClient | None) -> None:
    """Use `client` for the module-level functions; None connects afresh on next use."""
    with _DEFAULT.lock:
        _DEFAULT.client = client


def schedule_job_with_context(
    job: str | type[BaseJob], **arguments: Unpack[ScheduleWithContextArguments]
) -> ScheduledJobRef:
    """`SchedulingClient.schedule_job_with_context` on the default client."""
    return default_client().schedule_job_with_context(job, **arguments)


def schedule_tenant_job(
    job: str | type[BaseJob], tenant_id: Identifier, **arguments: Unpack[ScheduleArguments]
) -> ScheduledJobRef:
    """`SchedulingClient.schedule_tenant_job` on the default client."""
    return default_client().schedule_tenant_job(job, tenant_id, **arguments)


def schedule_system_job(
    job: str | type[BaseJob], **arguments: Unpack[ScheduleArguments]
) -> ScheduledJobRef:
    """`SchedulingClient.schedule_system_job` on the default client."""
    return default_client().schedule_system_job(job, **arguments)


def trigger(name: str, *, namespace: str | None = None, token: str | None = None) -> str:
    """`SchedulingClient.trigger` on the default client."""
    return default_client().trigger(name, namespace=namespace, token=token)


def suspend(name: str, *, namespace: str | None = None) -> ScheduledJobRef:
    """`SchedulingClient.suspend` on the default client."""
    return default_client().suspend(name, namespace=namespace)


def resume(name: str, *, namespace: str | None = None) -> ScheduledJobRef:
    """`SchedulingClient.resume` on the default client."""
    return default_client().resume(name, namespace=namespace)


def delete(name: str, *, namespace: str | None = None, missing_ok: bool = False) -> None:
    """`SchedulingClient.delete` on the default client."""
    default_client().delete(name, namespace=namespace, missing_ok=missing_ok)


def get(name: str, *, namespace: str | None = None) -> ScheduledJobRef:
    """`SchedulingClient.get` on the default client."""
    return default_client().get(name, namespace=namespace)
