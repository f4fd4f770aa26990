"""Small helpers shared by the integration tests: polling and ScheduledJob access."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scheduledjob_api import v1alpha1
from scheduledjob_dev.binaries import find_binaries
from scheduledjob_dev.errors import ControlPlaneError

T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last seen: {last!r})")


def scheduledjob(name: str, **spec: Any) -> dict[str, Any]:
    """A ScheduledJob manifest with `job` and `schedule` defaulted."""
    return {
        "apiVersion": v1alpha1.API_VERSION,
        "kind": v1alpha1.KIND,
        "metadata": {"name": name},
        # A None drops the field (schedule=None for a ScheduledJob that runs once).
        "spec": {
            key: value
            for key, value in {"job": "DataCleanupJob", "schedule": "0 2 * * *", **spec}.items()
            if value is not None
        },
    }


class ScheduledJobs:
    """CRUD on ScheduledJobs in one namespace."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self.objects = client.CustomObjectsApi(api_client)
        self.namespace = namespace

    def _args(self) -> tuple[str, str, str, str]:
        return (v1alpha1.GROUP, v1alpha1.VERSION, self.namespace, v1alpha1.PLURAL)

    def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.objects.create_namespaced_custom_object(
            *self._args(), manifest
        )
        return created

    def get(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.objects.get_namespaced_custom_object(*self._args(), name)
        return found

    def patch_spec(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        patched: dict[str, Any] = self.objects.patch_namespaced_custom_object(
            *self._args(), name, {"spec": spec}
        )
        return patched

    def delete(self, name: str) -> None:
        self.objects.delete_namespaced_custom_object(*self._args(), name)

    def condition(self, name: str, type_: str) -> dict[str, Any] | None:
        for condition in (self.get(name).get("status") or {}).get("conditions") or []:
            if condition["type"] == type_:
                found: dict[str, Any] = condition
                return found
        return None

    def wait_ready(
        self, name: str, *, status: str = "True", timeout: float = 30.0
    ) -> dict[str, Any]:
        """Wait until Ready has `status` for the current generation; return the object."""

        def ready() -> dict[str, Any] | None:
            current = self.get(name)
            generation = current["metadata"]["generation"]
            for condition in (current.get("status") or {}).get("conditions") or []:
                if (
                    condition["type"] == "Ready"
                    and condition["status"] == status
                    and condition["observedGeneration"] == generation
                ):
                    return current
            return None

        return wait_for(f"{name} Ready={status}", ready, timeout)


def read_or_none(read: Callable[[], T]) -> T | None:
    """The object `read` returns, or None on 404."""
    try:
        return read()
    except ApiException as error:
        if error.status == 404:
            return None
        raise


def events_for(api_client: Any, namespace: str, name: str) -> list[Any]:
    """Events whose involved object is the ScheduledJob `name`."""
    core = client.CoreV1Api(api_client)
    return [
        event
        for event in core.list_namespaced_event(namespace).items
        if event.involved_object.name == name and event.involved_object.kind == v1alpha1.KIND
    ]


def plain_cronjob(name: str, schedule: str = "* * * * *") -> dict[str, Any]:
    """A CronJob nobody but the test owns (for GC, RBAC and conflict tests)."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {"name": "main", "image": "busybox:1.36", "command": ["true"]}
                            ],
                        }
                    }
                }
            },
        },
    }


def tool(name: str) -> str:
    """The pinned build of `name` (kubectl, helm), else the one on PATH, else skip."""
    try:
        return str(find_binaries().path(name))
    except ControlPlaneError:
        return shutil.which(name) or pytest.skip(f"no {name} available")


def tool_runner(name: str, kubeconfig: Path) -> Callable[..., str]:
    """Run `name` against the cluster of `kubeconfig`; a non-zero exit fails the test."""

    def run(*arguments: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [tool(name), f"--kubeconfig={kubeconfig}", *arguments],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        assert 0 == result.returncode, result.stderr
        return result.stdout

    return run


def start_run(api_client: Any, namespace: str, cron_job_name: str, job_name: str) -> Any:
    """Create a Job from the CronJob's template, owned by the CronJob (a manual run)."""
    batch = client.BatchV1Api(api_client)
    cron_job = batch.read_namespaced_cron_job(cron_job_name, namespace)
    template = cron_job.spec.job_template
    job = client.V1Job(
        metadata=client.V1ObjectMeta(
            name=job_name,
            labels=template.metadata.labels,
            annotations={"cronjob.kubernetes.io/instantiate": "manual"},
            owner_references=[
                client.V1OwnerReference(
                    api_version="batch/v1",
                    kind="CronJob",
                    name=cron_job_name,
                    uid=cron_job.metadata.uid,
                    controller=True,
                )
            ],
        ),
        spec=template.spec,
    )
    return batch.create_namespaced_job(namespace, job)
