"""The API calls the node agent makes, as plain dicts, through the official client.

Kept apart from the agent's logic so that logic reads as "what a kubelet does" and this reads as
"which request that is". Responses are decoded from JSON (no model objects); 404 on read is None.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

NOT_FOUND = 404
CONFLICT = 409
NODE_LEASE_NAMESPACE = "kube-node-lease"
# A JSON merge patch replaces lists whole; the client would pick strategic merge for a dict.
_MERGE_PATCH = "application/merge-patch+json"


def _decode(response: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.data)
    return decoded


def _drained(response: Any) -> None:
    """Read a response we do not need: only a fully read response gives its connection back
    to the pool; one left unread keeps its socket and the next request opens (and TLS
    handshakes) a new one."""
    response.data  # noqa: B018 - reading is the point


class NodeApi:
    """Reads and writes Nodes, Leases, Pods and the Secrets/ConfigMaps Pods refer to."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.core = client.CoreV1Api(api_client)
        self.coordination = client.CoordinationV1Api(api_client)

    # -- the Node and its Lease -------------------------------------------------------------

    def ensure_node(self, manifest: Mapping[str, Any]) -> None:
        """Create the Node, or leave an existing one (a restarted agent) in place."""
        try:
            _drained(self.core.create_node(dict(manifest), _preload_content=False))  # type: ignore[arg-type]
        except ApiException as error:
            if error.status != CONFLICT:
                raise

    def patch_node_status(self, name: str, status: Mapping[str, Any]) -> None:
        """Merge `status` into the Node's status."""
        _drained(
            self.core.patch_node_status(
                name, {"status": dict(status)}, _content_type=_MERGE_PATCH, _preload_content=False
            )
        )

    def delete_node(self, name: str) -> None:
        """Remove the Node (agent shutdown); a missing one is fine."""
        try:
            _drained(self.core.delete_node(name, _preload_content=False))
        except ApiException as error:
            if error.status != NOT_FOUND:
                raise

    def renew_lease(self, manifest: Mapping[str, Any]) -> None:
        """Create or replace the node's heartbeat Lease."""
        name = manifest["metadata"]["name"]
        try:
            _drained(
                self.coordination.patch_namespaced_lease(
                    name,
                    NODE_LEASE_NAMESPACE,
                    {"spec": manifest["spec"]},
                    _content_type=_MERGE_PATCH,
                    _preload_content=False,
                )
            )
        except ApiException as error:
            if error.status != NOT_FOUND:
                raise
            _drained(
                self.coordination.create_namespaced_lease(
                    NODE_LEASE_NAMESPACE,
                    dict(manifest),  # type: ignore[arg-type] # the client sends dicts as JSON
                    _preload_content=False,
                )
            )

    # -- Pods -------------------------------------------------------------------------------

    def list_pods(self, node: str) -> tuple[list[dict[str, Any]], str]:
        """The Pods bound to `node` and the list's resourceVersion (to watch from)."""
        listed = _decode(
            self.core.list_pod_for_all_namespaces(
                field_selector=f"spec.nodeName={node}", _preload_content=False
            )
        )
        return listed.get("items", []), listed["metadata"]["resourceVersion"]

    def watch_pods(
        self, node: str, resource_version: str, *, timeout_seconds: int
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(event type, Pod) for Pods bound to `node`, from `resource_version` on."""
        stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
            self.core.list_pod_for_all_namespaces,
            field_selector=f"spec.nodeName={node}",
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
            allow_watch_bookmarks=True,
        )
        for event in stream:
            yield event["type"], event["raw_object"]

    def patch_pod_status(self, pod: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        """Merge `status` into the Pod's status (lists such as conditions are replaced)."""
        metadata = pod["metadata"]
        _drained(
            self.core.patch_namespaced_pod_status(
                metadata["name"],
                metadata["namespace"],
                {"status": dict(status)},
                _content_type=_MERGE_PATCH,
                _preload_content=False,
            )
        )

    def delete_pod_now(self, pod: Mapping[str, Any]) -> None:
        """Remove a Pod whose containers have stopped (the kubelet's final grace-0 delete)."""
        metadata = pod["metadata"]
        try:
            _drained(
                self.core.delete_namespaced_pod(
                    metadata["name"],
                    metadata["namespace"],
                    body=client.V1DeleteOptions(
                        grace_period_seconds=0,
                        preconditions=client.V1Preconditions(uid=metadata["uid"]),
                    ),
                    _preload_content=False,
                )
            )
        except ApiException as error:
            if error.status not in {NOT_FOUND, CONFLICT}:
                raise

    # -- what Pods refer to -----------------------------------------------------------------

    def config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        """The ConfigMap's data, or None if it does not exist."""
        try:
            found = _decode(
                self.core.read_namespaced_config_map(name, namespace, _preload_content=False)
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise
        data: dict[str, str] = found.get("data") or {}
        return data

    def secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """The Secret's data, decoded, or None if it does not exist."""
        try:
            found = _decode(
                self.core.read_namespaced_secret(name, namespace, _preload_content=False)
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise
        return {
            key: base64.b64decode(value).decode("utf-8", errors="replace")
            for key, value in (found.get("data") or {}).items()
        }
