"""The reads the plugin makes: ScheduledJobs, their runs (Jobs), Pods, Events and Pod logs.

Writes (trigger, suspend, resume, run-once) go through `scheduledjob_client.scheduling`; reads
that only the plugin needs live here. Objects are decoded from JSON directly, camelCase as on
the wire, and every API failure becomes an error that says what, where and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar

import urllib3.exceptions
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_client.kubectl.errors import PluginError
from scheduledjob_client.scheduling.errors import from_api_exception

T = TypeVar("T")
_NOT_FOUND: Final = 404
_FORBIDDEN: Final = 403


class Cluster:
    """Reads from one API server."""

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client
        self.custom = client.CustomObjectsApi(api_client)
        self.batch = client.BatchV1Api(api_client)
        self.core = client.CoreV1Api(api_client)

    def list_scheduledjobs(self, namespace: str | None) -> list[dict[str, Any]]:
        """ScheduledJobs in `namespace`, or in all namespaces when None."""
        where = namespace or "<all namespaces>"
        if namespace is None:
            response = self._call(
                "list",
                where,
                "",
                lambda: self.custom.list_cluster_custom_object(
                    contract.API_GROUP,
                    contract.API_VERSION,
                    contract.PLURAL,
                    _preload_content=False,
                ),
            )
        else:
            response = self._call(
                "list",
                where,
                "",
                lambda: self.custom.list_namespaced_custom_object(
                    contract.API_GROUP,
                    contract.API_VERSION,
                    namespace,
                    contract.PLURAL,
                    _preload_content=False,
                ),
            )
        return _items(response)

    def get_scheduledjob(self, namespace: str, name: str) -> dict[str, Any]:
        """The ScheduledJob; `ScheduledJobNotFoundError` when there is none."""
        return _decode(
            self._call(
                "read",
                namespace,
                name,
                lambda: self.custom.get_namespaced_custom_object(
                    contract.API_GROUP,
                    contract.API_VERSION,
                    namespace,
                    contract.PLURAL,
                    name,
                    _preload_content=False,
                ),
            )
        )

    def runs(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """The ScheduledJob's Jobs (every run carries its label), in no particular order."""
        selector = f"{naming.SCHEDULEDJOB_LABEL}={name}"
        return _items(
            self._call(
                "list the runs of",
                namespace,
                name,
                lambda: self.batch.list_namespaced_job(
                    namespace, label_selector=selector, _preload_content=False
                ),
            )
        )

    def pods(self, namespace: str, job_name: str) -> list[dict[str, Any]]:
        """The Pods of one run (Job)."""
        selector = f"{contract.JOB_NAME_LABEL}={job_name}"
        return _items(
            self._call(
                "list the Pods of run",
                namespace,
                job_name,
                lambda: self.core.list_namespaced_pod(
                    namespace, label_selector=selector, _preload_content=False
                ),
            )
        )

    def events(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """Events about the ScheduledJob; [] when the caller may not read Events."""
        selector = f"involvedObject.name={name},involvedObject.kind={contract.KIND}"
        try:
            response = self.core.list_namespaced_event(
                namespace, field_selector=selector, _preload_content=False
            )
        except ApiException as error:
            if error.status == _FORBIDDEN:
                return []
            raise self._error(error, "list the Events of", namespace, name) from error
        return _items(response)

    def pod_log(
        self, namespace: str, pod: str, *, tail: int | None, follow: bool
    ) -> Iterator[bytes]:
        """The Pod's log as it arrives (until the container stops, with `follow`)."""
        response: Any = self._call(
            "read the log of Pod",
            namespace,
            pod,
            lambda: self.core.read_namespaced_pod_log(
                pod,
                namespace,
                tail_lines=tail,
                follow=follow,
                _preload_content=False,
            ),
        )
        try:
            yield from response.stream(4096, decode_content=True)
        finally:
            response.release_conn()

    def _call(self, action: str, namespace: str, name: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except ApiException as error:
            raise self._error(error, action, namespace, name) from error
        except urllib3.exceptions.HTTPError as error:
            host = getattr(self.api_client.configuration, "host", "?")
            message = (
                f"cannot reach the API server at {host} ({error}); check --kubeconfig and "
                "--context, and that the cluster is up"
            )
            raise PluginError(message) from error

    def _error(self, error: ApiException, action: str, namespace: str, name: str) -> Exception:
        if action in {"read", "list"}:
            return from_api_exception(error, action=action, namespace=namespace, name=name or "*")
        body = _message(error)
        if error.status == _NOT_FOUND:
            return PluginError(f"{namespace}/{name} does not exist (could not {action} it)")
        if error.status == _FORBIDDEN:
            return PluginError(
                f"not allowed to {action} {namespace}/{name}: {body}; ask for read access "
                "to Jobs, Pods and pods/log in that namespace"
            )
        return PluginError(f"could not {action} {namespace}/{name}: {error.status} {body}")


def _message(error: ApiException) -> str:
    try:
        return str(json.loads(error.body or "{}").get("message") or error.reason)
    except (TypeError, ValueError, AttributeError):
        return str(error.body or error.reason)


def _decode(response: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.data)
    return decoded


def _items(response: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _decode(response).get("items") or []
    return items
