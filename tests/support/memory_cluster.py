"""An in-memory API server for reconcile unit tests: objects by kind, the API's own rules.

It keeps what the reconciler relies on the API server for: a create of a name that exists is
refused (409), a delete with a uid precondition deletes only that object, a status write is a
merge patch, resourceVersions and uids are assigned. It records every write, so a test can
assert what was and was not touched. Integration tests check the same behaviour against the
real API server; this fake only makes the reconcile's logic quick to test.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client

from scheduledjob_api import naming
from scheduledjob_api.runs import Run, run_from_job
from scheduledjob_operator.machinery.kube import merge_patch

Key = tuple[str, str]


@dataclass
class Write:
    """One write the reconciler made: verb, kind and name."""

    verb: str
    kind: str
    name: str


@dataclass
class EmittedEvent:
    """One Event posted about a ScheduledJob."""

    type: str
    reason: str
    message: str


@dataclass
class MemoryCluster:
    """A `reconcile.cluster.Cluster` whose API server is a few dicts."""

    objects: dict[str, dict[Key, dict[str, Any]]] = field(
        default_factory=lambda: {"scheduledjobs": {}, "cronjobs": {}, "jobs": {}}
    )
    writes: list[Write] = field(default_factory=list)
    events: list[EmittedEvent] = field(default_factory=list)
    refuse: Callable[[str, Mapping[str, Any]], str | None] = lambda kind, body: None
    """A test's rule: the API server's message refusing `body` (422), or None to accept."""
    _versions: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    # -- helpers for tests --------------------------------------------------------------------

    def put(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Store `body` as the API server would (uid, resourceVersion, creationTimestamp)."""
        stored = copy.deepcopy(dict(body))
        metadata = stored["metadata"]
        metadata.setdefault("uid", str(uuid.uuid4()))
        metadata.setdefault("creationTimestamp", "2026-03-01T00:00:00Z")
        metadata.setdefault("generation", 1)
        metadata["resourceVersion"] = str(next(self._versions))
        self.objects[kind][(metadata["namespace"], metadata["name"])] = stored
        return copy.deepcopy(stored)

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A copy of the stored object, or None."""
        found = self.objects[kind].get((namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def finish_job(self, namespace: str, name: str, result: str = "Complete") -> None:
        """Mark a Job finished, as the Job controller would."""
        job = self.objects["jobs"][(namespace, name)]
        job["status"] = {
            "conditions": [{"type": result, "status": "True"}],
            "completionTime": "2026-03-01T00:05:00Z",
        }
        job["metadata"]["resourceVersion"] = str(next(self._versions))

    # -- the Cluster API ----------------------------------------------------------------------

    def get_scheduledjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get("scheduledjobs", namespace, name)

    def list_scheduledjobs(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(body)
            for (ns, _), body in self.objects["scheduledjobs"].items()
            if namespace in (None, ns)
        ]

    def get_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get("cronjobs", namespace, name)

    def read_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get("cronjobs", namespace, name)

    def read_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get("jobs", namespace, name)

    def create_cronjob(self, manifest: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._create("cronjobs", manifest)

    def create_job(self, manifest: Mapping[str, Any]) -> bool:
        return self._create("jobs", manifest) is not None

    def dry_run_job(self, manifest: Mapping[str, Any]) -> None:
        self._check("jobs", manifest)

    def replace_cronjob(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        self._check("cronjobs", manifest)
        self.writes.append(Write("replace", "cronjobs", manifest["metadata"]["name"]))
        return self.put("cronjobs", manifest)

    def delete_cronjob(self, namespace: str, name: str, uid: str) -> None:
        self._delete("cronjobs", namespace, name, uid)

    def delete_job(self, namespace: str, name: str, uid: str) -> None:
        self._delete("jobs", namespace, name, uid)

    def delete_scheduledjob(self, namespace: str, name: str, uid: str) -> None:
        self._delete("scheduledjobs", namespace, name, uid)

    def runs(self, namespace: str, scheduledjob: str) -> list[Run]:
        return [
            run_from_job(job)
            for (ns, _), job in sorted(self.objects["jobs"].items())
            if ns == namespace
            and (job["metadata"].get("labels") or {}).get(naming.SCHEDULEDJOB_LABEL) == scheduledjob
        ]

    def list_job_pods(self, namespace: str, job_name: str) -> list[dict[str, Any]]:
        return []

    def name_rivals(self, namespace: str, name: str) -> list[dict[str, Any]]:
        derived = naming.cronjob_name(name)
        return [
            item
            for item in self.list_scheduledjobs(namespace)
            if item["metadata"]["name"] != name
            and naming.cronjob_name(item["metadata"]["name"]) == derived
        ]

    def write_status(self, body: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
        previous = body.get("status") or {}
        if dict(previous) == dict(new_status):
            return False
        metadata = body["metadata"]
        self.patch_status(
            metadata["namespace"], metadata["name"], merge_patch(previous, new_status)
        )
        return True

    def patch_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        stored = self.objects["scheduledjobs"][(namespace, name)]
        stored["status"] = _merge(stored.get("status") or {}, dict(status))
        stored["metadata"]["resourceVersion"] = str(next(self._versions))
        self.writes.append(Write("patch-status", "scheduledjobs", name))

    def emit_event(
        self,
        involved: Mapping[str, Any],
        *,
        type_: str,
        reason: str,
        message: str,
        now: datetime.datetime,
    ) -> None:
        self.events.append(EmittedEvent(type_, reason, message))

    # -- the API server's rules ---------------------------------------------------------------

    def _create(self, kind: str, manifest: Mapping[str, Any]) -> dict[str, Any] | None:
        self._check(kind, manifest)
        metadata = manifest["metadata"]
        if (metadata["namespace"], metadata["name"]) in self.objects[kind]:
            return None
        self.writes.append(Write("create", kind, metadata["name"]))
        return self.put(kind, {**manifest, "metadata": {**metadata, "uid": str(uuid.uuid4())}})

    def _delete(self, kind: str, namespace: str, name: str, uid: str) -> None:
        live = self.objects[kind].get((namespace, name))
        if live is None or live["metadata"]["uid"] != uid:
            return  # 404, or 409 on the uid precondition: the real API deletes nothing
        del self.objects[kind][(namespace, name)]
        self.writes.append(Write("delete", kind, name))

    def _check(self, kind: str, manifest: Mapping[str, Any]) -> None:
        message = self.refuse(kind, manifest)
        if message is not None:
            error = client.ApiException(status=422, reason="Unprocessable Entity")
            error.body = f'{{"kind":"Status","reason":"Invalid","message":"{message}"}}'
            raise error


def _merge(old: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge patch."""
    merged = dict(old)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
