"""The few Kubernetes API calls the reconciler makes, as plain camelCase dicts.

A thin layer over the official client: responses are decoded from JSON directly (no model
objects), 404 on read means None, and the operator's field manager is set on every write.
"""

from __future__ import annotations

import datetime
import json
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scheduledjob_api import naming, v1alpha1
from scheduledjob_api.runs import Run, run_from_job
from scheduledjob_operator.domain.conditions import timestamp
from scheduledjob_operator.domain.objects import KubeObject
from scheduledjob_operator.machinery.ownwrites import OwnWrites

NOT_FOUND = 404
CONFLICT = 409
_REPORTING_COMPONENT = "scheduledjob-operator"


def _decode(response: Any) -> KubeObject:
    decoded: KubeObject = json.loads(response.data)
    return decoded


def _decode_list(response: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.data)
    return decoded


def _items(response: Any) -> list[KubeObject]:
    items: list[KubeObject] = _decode_list(response).get("items", [])
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


def _path(*parts: str) -> str:
    return "/" + "/".join(urllib.parse.quote(part, safe="") for part in parts)


class Cluster:
    """The operator's view of the API server."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api_client = api_client
        self.batch = client.BatchV1Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.own_writes = OwnWrites()

    def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any],
        *,
        content_type: str = "application/json",
        dry_run: bool = False,
    ) -> KubeObject:
        """One write with a plain dict body; the decoded response.

        The generated client's methods validate a body against its models and walk it to
        serialise it, which cost more CPU than the request itself (benchmarks/results.md); the
        API server validates anyway. Errors raise ApiException as the client's methods do.
        """
        method, url, headers, _, _ = self.api_client.param_serialize(
            method=method,
            resource_path=path,
            query_params=[
                ("fieldManager", naming.FIELD_MANAGER),
                *([("dryRun", "All")] if dry_run else []),
            ],
            header_params={"Accept": "application/json", "Content-Type": content_type},
            auth_settings=["BearerToken"],
        )
        response = self.api_client.call_api(method, url, header_params=headers, body=body)
        response.read()  # type: ignore[no-untyped-call]
        if not 200 <= response.status <= 299:  # noqa: PLR2004 - the HTTP success range
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return _decode(response)

    def get_scheduledjob(self, namespace: str, name: str) -> KubeObject | None:
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

    def list_scheduledjobs(self, namespace: str | None = None) -> list[KubeObject]:
        """Every ScheduledJob in `namespace`, or in all namespaces."""
        items: list[KubeObject] = self.list_owned("scheduledjobs", namespace)["items"]
        return items

    def get_cronjob(self, namespace: str, name: str) -> KubeObject | None:
        """The CronJob, or None if it does not exist."""
        try:
            return _decode(
                self.batch.read_namespaced_cron_job(name, namespace, _preload_content=False)
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise

    def read_cronjob(self, namespace: str, name: str) -> KubeObject | None:
        """The CronJob as the API server has it now (never from a cache), or None."""
        return Cluster.get_cronjob(self, namespace, name)

    def create_cronjob(self, manifest: Mapping[str, Any]) -> KubeObject | None:
        """Create the CronJob; None when one of that name exists already."""
        return self._create("cronjobs", manifest)

    def _create(self, plural: str, manifest: Mapping[str, Any]) -> KubeObject | None:
        """Create a batch/v1 object we own; None on 409 (one of that name exists)."""
        namespace = manifest["metadata"]["namespace"]
        try:
            created = self._send(
                "POST", _path("apis", "batch", "v1", "namespaces", namespace, plural), manifest
            )
        except ApiException as error:
            if error.status == CONFLICT:
                return None
            raise
        self.own_writes.record(created)
        self.seen(plural, created)
        return created

    def replace_cronjob(self, manifest: Mapping[str, Any]) -> KubeObject:
        """Replace the CronJob (the manifest carries the resourceVersion it was read at)."""
        metadata = manifest["metadata"]
        path = _path(
            "apis", "batch", "v1", "namespaces", metadata["namespace"], "cronjobs", metadata["name"]
        )
        replaced = self._send("PUT", path, manifest)
        self.own_writes.record(replaced)
        self.seen("cronjobs", replaced)
        return replaced

    def delete_cronjob(self, namespace: str, name: str, uid: str) -> None:
        """Delete our CronJob (and, in the background, its Jobs) if it is still the object
        with `uid`; a missing one, or one since replaced by someone else's, is left alone."""
        self._delete(self.batch.delete_namespaced_cron_job, namespace, name, uid)

    def create_job(self, manifest: Mapping[str, Any]) -> bool:
        """Create a run's Job; False when one of that name exists already (whose it is, the
        caller checks with `read_job`)."""
        return self._create("jobs", manifest) is not None

    def dry_run_job(self, manifest: Mapping[str, Any]) -> None:
        """Have the API server validate a Job without creating it (server-side dry run).

        ApiException when it refuses; a name that exists already (409) means the Job itself
        passed validation, since existence is checked last.
        """
        namespace = manifest["metadata"]["namespace"]
        path = _path("apis", "batch", "v1", "namespaces", namespace, "jobs")
        try:
            self._send("POST", path, manifest, dry_run=True)
        except ApiException as error:
            if error.status != CONFLICT:
                raise

    def read_job(self, namespace: str, name: str) -> KubeObject | None:
        """The Job as the API server has it now (never from a cache), or None."""
        try:
            return _decode(self.batch.read_namespaced_job(name, namespace, _preload_content=False))
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise

    def delete_job(self, namespace: str, name: str, uid: str) -> None:
        """Delete a run's Job and its Pods (SIGTERM to the job) if it is still the object with
        `uid`; a missing one, or another object that has since taken the name, is left alone."""
        self._delete(self.batch.delete_namespaced_job, namespace, name, uid)

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

    def _delete(self, delete: Any, namespace: str, name: str, uid: str) -> None:
        """Delete with a uid precondition: the API server deletes only that very object (409
        when the name now belongs to another one, which is then not ours to delete)."""
        options = client.V1DeleteOptions(
            propagation_policy="Background", preconditions=client.V1Preconditions(uid=uid)
        )
        try:
            delete(name, namespace, body=options, _preload_content=False)
        except ApiException as error:
            if error.status not in {NOT_FOUND, CONFLICT}:
                raise

    def list_jobs(self, namespace: str, scheduledjob: str) -> list[KubeObject]:
        """The Jobs (runs) of a ScheduledJob, found by label."""
        response = self.batch.list_namespaced_job(
            namespace,
            label_selector=f"{naming.SCHEDULEDJOB_LABEL}={scheduledjob}",
            _preload_content=False,
        )
        return _items(response)

    def runs(self, namespace: str, scheduledjob: str) -> list[Run]:
        """The Jobs labelled as a ScheduledJob's runs; which are really its own, the caller
        decides by their owners (`Run.owned_by`)."""
        return [run_from_job(job) for job in self.list_jobs(namespace, scheduledjob)]

    def name_rivals(self, namespace: str, name: str) -> list[KubeObject]:
        """The other ScheduledJobs in `namespace` whose CronJob and runs would have the same
        names as this one's (`naming.cronjob_name` shortens long names with a hash, so a
        short name can equal another's shortened one)."""
        derived = naming.cronjob_name(name)
        return [
            item
            for item in self.list_scheduledjobs(namespace)
            if item["metadata"]["name"] != name
            and naming.cronjob_name(item["metadata"]["name"]) == derived
        ]

    def list_owned(self, kind: str, namespace: str | None) -> dict[str, Any]:
        """The List response of every ScheduledJob (`kind` "scheduledjobs") or every CronJob
        or Job the operator manages ("cronjobs", "jobs") in `namespace`, or in all namespaces."""
        if kind == "scheduledjobs":
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
            return _decode_list(response)
        selector = f"{naming.MANAGED_BY_LABEL}={naming.MANAGED_BY}"
        lists = {
            "cronjobs": (
                self.batch.list_cron_job_for_all_namespaces,
                self.batch.list_namespaced_cron_job,
            ),
            "jobs": (self.batch.list_job_for_all_namespaces, self.batch.list_namespaced_job),
        }
        every, one = lists[kind]
        if namespace is None:
            return _decode_list(every(label_selector=selector, _preload_content=False))
        return _decode_list(one(namespace, label_selector=selector, _preload_content=False))

    def list_job_pods(self, namespace: str, job_name: str) -> list[KubeObject]:
        """The Pods of one Job."""
        response = self.core.list_namespaced_pod(
            namespace,
            label_selector=f"batch.kubernetes.io/job-name={job_name}",
            _preload_content=False,
        )
        return _items(response)

    def patch_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        """Merge-patch the ScheduledJob's status subresource (never its spec)."""
        path = _path(
            "apis",
            v1alpha1.GROUP,
            v1alpha1.VERSION,
            "namespaces",
            namespace,
            v1alpha1.PLURAL,
            name,
            "status",
        )
        patched = self._send(
            "PATCH", path, {"status": dict(status)}, content_type="application/merge-patch+json"
        )
        self.own_writes.record(patched)
        self.seen("scheduledjobs", patched)

    def seen(self, kind: str, body: Mapping[str, Any], *, deleted: bool = False) -> None:
        """A write's response, a watch event or a listing showed `body` (`kind`: its plural).

        Nothing to do here; a Cluster with a cache takes it in (cachedcluster.CachedCluster).
        """

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
        self._send("POST", _path("api", "v1", "namespaces", metadata["namespace"], "events"), event)
