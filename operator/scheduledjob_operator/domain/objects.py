"""The Kubernetes objects the operator reads but does not model, typed by the fields it uses.

CronJobs, Jobs, Pods and the ScheduledJob bodies kopf hands over arrive as JSON; pydantic models
of whole objects would cost a parse per read of the watch-fed store, so they stay dicts, typed
here as `TypedDict`s for the metadata every reconcile reads (names, uid, owners, labels).
"""

from __future__ import annotations

from typing import Any, TypedDict


class OwnerReference(TypedDict, total=False):
    """metadata.ownerReferences[]: who owns an object (ownership is judged by `uid`)."""

    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool
    blockOwnerDeletion: bool


class ObjectMeta(TypedDict, total=False):
    """An object's metadata, as far as the operator reads it."""

    name: str
    namespace: str
    uid: str
    resourceVersion: str
    generation: int
    creationTimestamp: str
    deletionTimestamp: str
    labels: dict[str, str]
    annotations: dict[str, str]
    ownerReferences: list[OwnerReference]
    managedFields: list[dict[str, Any]]


class KubeObject(TypedDict, total=False):
    """A namespaced object as the API server returns it; spec and status stay per-kind dicts."""

    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: dict[str, Any]
    status: dict[str, Any]
