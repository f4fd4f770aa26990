"""Machine-readable output as kubectl writes it: `-o json`, `-o yaml`, `-o name`.

Several objects print as a `v1` `List`, one object as itself; names are
`scheduledjob.jobs.connectflow.io/NAME`, so output pipes into `kubectl` and `xargs` unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import yaml

from basejob import contract

RESOURCE: Final = f"{contract.KIND.lower()}.{contract.API_GROUP}"
MACHINE_FORMATS: Final = ("json", "yaml", "name")


def qualified_name(name: str) -> str:
    """`scheduledjob.jobs.connectflow.io/NAME`, as `kubectl ... -o name` prints it."""
    return f"{RESOURCE}/{name}"


def as_list(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Objects wrapped the way `kubectl get -o json` wraps several."""
    return {
        "apiVersion": "v1",
        "items": [dict(item) for item in items],
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }


def render_object(document: Mapping[str, Any], output: str) -> str:
    """One object (or List) in `output` (json, yaml or name)."""
    if output == "json":
        return json.dumps(document, indent=4, sort_keys=False)
    if output == "yaml":
        return yaml.safe_dump(dict(document), sort_keys=True, default_flow_style=False).rstrip()
    if output == "name":
        items = document.get("items") if document.get("kind") == "List" else [document]
        return "\n".join(qualified_name(item["metadata"]["name"]) for item in items or [])
    message = f"unknown output format {output!r}"
    raise ValueError(message)


def render_many(items: Sequence[Mapping[str, Any]], output: str) -> str:
    """Several objects in `output`: a List for json and yaml, one name a line for name."""
    return render_object(as_list(items), output)
