"""Removes a deleted ScheduledJob's metric group from the Pushgateway.

Runs push their counts to the group {job="basejob", namespace, scheduledjob}; a Pushgateway
keeps a group until told otherwise, so a deleted ScheduledJob would stay on dashboards (and in
alerts) for ever. The operator deletes the group when it sees the object gone, and its resync
sweeps groups whose ScheduledJob no longer exists (a deletion it missed while down).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable

from prometheus_client import delete_from_gateway

from basejob import metrics as runtime_metrics

Key = tuple[str, str]
# Runs outside a cluster (`basejob run` on a laptop) push namespace="local"; not ours to sweep.
LOCAL_NAMESPACE = "local"


class PushgatewayGroups:
    """The run groups on one Pushgateway."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def delete(self, key: Key) -> None:
        """Delete the ScheduledJob's group (deleting a missing group succeeds too)."""
        namespace, name = key
        delete_from_gateway(
            self.url,
            job=runtime_metrics.PUSH_JOB,
            grouping_key={"namespace": namespace, "scheduledjob": name},
            timeout=self.timeout,
        )

    def groups(self) -> set[Key]:
        """(namespace, scheduledjob) of every run group on the gateway."""
        request = urllib.request.Request(f"{self.url}/api/v1/metrics")  # noqa: S310 - our URL
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            body = json.loads(response.read())
        found = set()
        for group in body.get("data") or []:
            labels = group.get("labels") or {}
            if labels.get("job") == runtime_metrics.PUSH_JOB and "scheduledjob" in labels:
                found.add((labels.get("namespace", ""), labels["scheduledjob"]))
        return found

    def sweep(self, existing: Iterable[Key], namespaces: Iterable[str]) -> list[Key]:
        """Delete groups of ScheduledJobs that no longer exist, in `namespaces` only.

        Runs outside the operator may push to the same gateway under made-up namespaces, so
        only namespaces the operator is responsible for are swept (never `local`).
        """
        alive = set(existing)
        scope = set(namespaces) - {LOCAL_NAMESPACE}
        stale = sorted(key for key in self.groups() - alive if key[0] in scope)
        for key in stale:
            self.delete(key)
        return stale


def delete_quietly(groups: PushgatewayGroups | None, key: Key) -> str | None:
    """Delete the group; None on success (or no gateway), else why it failed (retried later)."""
    if groups is None:
        return None
    try:
        groups.delete(key)
    except (OSError, urllib.error.URLError) as error:
        return str(error)
    return None
