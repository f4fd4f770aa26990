"""The few Kubernetes API calls the reconciler makes, as plain camelCase dicts.

A thin layer over the official client: responses are decoded from JSON directly (no model
objects), 404 on read means None, and the operator's field manager is set on every write.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scheduledjob_operator import naming
from scheduledjob_operator.api import v1alpha1
from scheduledjob_operator.conditions import timestamp
from scheduledjob_operator.ownwrites import OwnWrites

NOT_FOUND = 404
CONFLICT = 409
_REPORTING_COMPONENT = "scheduledjob-operator"


def _decode(response: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.data)
    return decoded


def _items(response: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _decode(response).get("items", [])
    return items


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) turning `old` into `new`: nested keys we no longer set
    become null at every depth, so a status field rewritten smaller loses its stale keys."""
    patch: dict[str, Any] = {key: None for key in old if key not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = merge_patch(before, value)
            if nested:
                patch[key] = nested
        elif value != before:
            patch[key] = value
    return patch


class Cluster:
    """The operator's view of the API server."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api_client = api_client
        self.batch = client.BatchV1Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.own_writes = OwnWrites()

    def get_scheduledjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The ScheduledJob, or None if it does not exist."""
        try:
            return _decode(
                self.custom.get_namespaced_custom_object(
                    v1alpha1.GROUP,
                    v1alpha1.VERSION,
                    namespace,
                    v1alpha1.PLURAL,
                    name,
                    _preload_content=False,
                )
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise

    def list_scheduledjobs(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every ScheduledJob in `namespace`, or in all namespaces."""
        if namespace is None:
            response = self.custom.list_cluster_custom_object(
                v1alpha1.GROUP, v1alpha1.VERSION, v1alpha1.PLURAL, _preload_content=False
            )
        else:
            response = self.custom.list_namespaced_custom_object(
                v1alpha1.GROUP,
                v1alpha1.VERSION,
                namespace,
                v1alpha1.PLURAL,
                _preload_content=False,
            )
        return _items(response)

    def get_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The CronJob, or None if it does not exist."""
        try:
            return _decode(
                self.batch.read_namespaced_cron_job(name, namespace, _preload_content=False)
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise

    def create_cronjob(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Create the CronJob (409 if it exists: the caller re-reads and reconciles again)."""
        namespace = manifest["metadata"]["namespace"]
        created = _decode(
            self.batch.create_namespaced_cron_job(
                namespace,
                cast("Any", manifest),
                field_manager=naming.FIELD_MANAGER,
                _preload_content=False,
            )
        )
        self.own_writes.record(created)
        return created

    def replace_cronjob(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the CronJob (the manifest carries the resourceVersion it was read at)."""
        metadata = manifest["metadata"]
        replaced = _decode(
            self.batch.replace_namespaced_cron_job(
                metadata["name"],
                metadata["namespace"],
                cast("Any", manifest),
                field_manager=naming.FIELD_MANAGER,
                _preload_content=False,
            )
        )
        self.own_writes.record(replaced)
        return replaced

    def delete_cronjob(self, namespace: str, name: str) -> None:
        """Delete the CronJob (and, in the background, its Jobs); a missing one is fine."""
        self._delete(self.batch.delete_namespaced_cron_job, namespace, name)

    def create_job(self, manifest: Mapping[str, Any]) -> bool:
        """Create a run's Job; False when one of that name exists already (started before)."""
        try:
            self.batch.create_namespaced_job(
                manifest["metadata"]["namespace"],
                cast("Any", manifest),
                field_manager=naming.FIELD_MANAGER,
                _preload_content=False,
            )
        except ApiException as error:
            if error.status == CONFLICT:
                return False
            raise
        return True

    def delete_job(self, namespace: str, name: str) -> None:
        """Delete a run's Job and its Pods (SIGTERM to the job); a missing one is fine."""
        self._delete(self.batch.delete_namespaced_job, namespace, name)

    def delete_scheduledjob(self, namespace: str, name: str, uid: str) -> None:
        """Delete the ScheduledJob itself (ttlSecondsAfterRun), only if it is still that one."""
        try:
            self.custom.delete_namespaced_custom_object(
                v1alpha1.GROUP,
                v1alpha1.VERSION,
                namespace,
                v1alpha1.PLURAL,
                name,
                body=client.V1DeleteOptions(
                    propagation_policy="Background",
                    preconditions=client.V1Preconditions(uid=uid),
                ),
            )
        except ApiException as error:
            if error.status not in {NOT_FOUND, CONFLICT}:
                raise

    def _delete(self, delete: Any, namespace: str, name: str) -> None:
        try:
            delete(name, namespace, propagation_policy="Background", _preload_content=False)
        except ApiException as error:
            if error.status != NOT_FOUND:
                raise

    def list_jobs(self, namespace: str, scheduledjob: str) -> list[dict[str, Any]]:
        """The Jobs (runs) of a ScheduledJob, found by label."""
        response = self.batch.list_namespaced_job(
            namespace,
            label_selector=f"{naming.SCHEDULEDJOB_LABEL}={scheduledjob}",
            _preload_content=False,
        )
        return _items(response)

    def list_job_pods(self, namespace: str, job_name: str) -> list[dict[str, Any]]:
        """The Pods of one Job."""
        response = self.core.list_namespaced_pod(
            namespace,
            label_selector=f"batch.kubernetes.io/job-name={job_name}",
            _preload_content=False,
        )
        return _items(response)

    def patch_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        """Merge-patch the ScheduledJob's status subresource (never its spec)."""
        patched = _decode(
            self.custom.patch_namespaced_custom_object_status(
                v1alpha1.GROUP,
                v1alpha1.VERSION,
                namespace,
                v1alpha1.PLURAL,
                name,
                {"status": dict(status)},
                field_manager=naming.FIELD_MANAGER,
                _content_type="application/merge-patch+json",
                _preload_content=False,
            )
        )
        self.own_writes.record(patched)

    def write_status(self, body: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
        """Replace the status with `new_status` if it differs; whether anything was written."""
        previous = body.get("status") or {}
        if dict(previous) == dict(new_status):
            return False
        patch = merge_patch(previous, new_status)
        metadata = body["metadata"]
        self.patch_status(metadata["namespace"], metadata["name"], patch)
        return True

    def emit_event(
        self,
        involved: Mapping[str, Any],
        *,
        type_: str,
        reason: str,
        message: str,
        now: datetime.datetime,
    ) -> None:
        """Record a core/v1 Event about `involved` (a ScheduledJob manifest)."""
        metadata = involved["metadata"]
        moment = timestamp(now)
        event: Any = {
            "metadata": {
                "name": f"{metadata['name']}.{uuid.uuid4().hex[:16]}",
                "namespace": metadata["namespace"],
            },
            "involvedObject": {
                "apiVersion": v1alpha1.API_VERSION,
                "kind": v1alpha1.KIND,
                "name": metadata["name"],
                "namespace": metadata["namespace"],
                "uid": metadata.get("uid"),
                "resourceVersion": metadata.get("resourceVersion"),
            },
            "type": type_,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": _REPORTING_COMPONENT},
            "reportingComponent": _REPORTING_COMPONENT,
            "reportingInstance": _REPORTING_COMPONENT,
            "firstTimestamp": moment,
            "lastTimestamp": moment,
            "count": 1,
        }
        self.core.create_namespaced_event(metadata["namespace"], event)
