"""Resolves a container's environment the way the kubelet does, from the Pod and its references.

Pure apart from the lookups handed in: literal values with `$(VAR)` expansion, `envFrom`
ConfigMaps and Secrets (with prefix and `optional`), `valueFrom` field references (metadata,
labels, annotations, node and IPs), resource field references, ConfigMap and Secret keys. A
missing required reference is a `ContainerConfigError` whose message matches the kubelet's, so
the Pod shows `CreateContainerConfigError` as it would on a real node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from scheduledjob_dev.errors import ControlPlaneError

_LABEL_FIELD = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


class ContainerConfigError(ControlPlaneError):
    """The container cannot start because its configuration refers to something missing."""


class References(Protocol):
    """Reads the objects a Pod's environment may refer to (None when they do not exist)."""

    def config_map(self, namespace: str, name: str) -> Mapping[str, str] | None:
        """The ConfigMap's data."""

    def secret(self, namespace: str, name: str) -> Mapping[str, str] | None:
        """The Secret's data, base64-decoded."""


def expand(value: str, defined: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: defined names are replaced, `$$` escapes, others stay."""
    out: list[str] = []
    index = 0
    while index < len(value):
        character = value[index]
        if character != "$" or index + 1 == len(value):
            out.append(character)
            index += 1
            continue
        following = value[index + 1]
        if following == "$":
            out.append("$")
            index += 2
        elif following == "(":
            close = value.find(")", index + 2)
            if close == -1:
                out.append(value[index:])
                break
            name = value[index + 2 : close]
            out.append(defined.get(name, value[index : close + 1]))
            index = close + 1
        else:
            out.append(character)
            index += 1
    return "".join(out)


def field_value(pod: Mapping[str, Any], path: str) -> str:
    """A downward API `fieldRef` value."""
    metadata = pod.get("metadata") or {}
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    simple = {
        "metadata.name": metadata.get("name"),
        "metadata.namespace": metadata.get("namespace"),
        "metadata.uid": metadata.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.hostIP": status.get("hostIP"),
        "status.hostIPs": ",".join(ip["ip"] for ip in status.get("hostIPs") or []),
        "status.podIP": status.get("podIP"),
        "status.podIPs": ",".join(ip["ip"] for ip in status.get("podIPs") or []),
    }
    if path in simple:
        return str(simple[path] or "")
    match = _LABEL_FIELD.match(path)
    if match:
        return str((metadata.get(match.group(1)) or {}).get(match.group(2), ""))
    message = f"unsupported fieldRef fieldPath {path!r}"
    raise ContainerConfigError(message)


def _resource_value(container: Mapping[str, Any], reference: Mapping[str, Any]) -> str:
    """A `resourceFieldRef`: the container's limit or request as written (no divisor maths)."""
    kind, _, resource = str(reference["resource"]).partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(resource)
    return str(value) if value is not None else "0"


def _keyed(
    references: References,
    namespace: str,
    reference: Mapping[str, Any],
    kind: str,
) -> str | None:
    """The value of a ConfigMap or Secret key reference; None when optional and missing."""
    name = reference.get("name", "")
    optional = bool(reference.get("optional"))
    data = (
        references.config_map(namespace, name)
        if kind == "ConfigMap"
        else references.secret(namespace, name)
    )
    if data is None:
        if optional:
            return None
        message = f'{kind.lower()} "{name}" not found'
        raise ContainerConfigError(message)
    key = reference["key"]
    if key not in data:
        if optional:
            return None
        message = f"couldn't find key {key} in {kind} {namespace}/{name}"
        raise ContainerConfigError(message)
    return data[key]


def _from_sources(
    references: References, namespace: str, container: Mapping[str, Any]
) -> dict[str, str]:
    """Every variable `envFrom` brings in, prefixed, later sources winning."""
    resolved: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            reference = source.get(field)
            if reference is None:
                continue
            name = reference.get("name", "")
            data = (
                references.config_map(namespace, name)
                if kind == "ConfigMap"
                else references.secret(namespace, name)
            )
            if data is None:
                if reference.get("optional"):
                    continue
                message = f'{kind.lower()} "{name}" not found'
                raise ContainerConfigError(message)
            resolved.update({prefix + key: value for key, value in data.items()})
    return resolved


def container_environment(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    references: References,
    *,
    base: Mapping[str, str],
) -> dict[str, str]:
    """The container's environment: `base` (what the image would set), envFrom, then env."""
    namespace = pod["metadata"]["namespace"]
    # $(VAR) sees only the container's own variables, as on a node (not the image's PATH etc.).
    declared = _from_sources(references, namespace, container)
    for variable in container.get("env") or []:
        name = variable["name"]
        source = variable.get("valueFrom")
        if source is None:
            declared[name] = expand(variable.get("value", ""), declared)
            continue
        value: str | None
        if "fieldRef" in source:
            value = field_value(pod, source["fieldRef"]["fieldPath"])
        elif "resourceFieldRef" in source:
            value = _resource_value(container, source["resourceFieldRef"])
        elif "configMapKeyRef" in source:
            value = _keyed(references, namespace, source["configMapKeyRef"], "ConfigMap")
        elif "secretKeyRef" in source:
            value = _keyed(references, namespace, source["secretKeyRef"], "Secret")
        else:
            message = f"environment variable {name} has an unsupported valueFrom: {source}"
            raise ContainerConfigError(message)
        if value is not None:
            declared[name] = value
    return {**base, **declared}
