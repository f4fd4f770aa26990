"""Generates the ScheduledJob CustomResourceDefinition from the pydantic models.

The models are the single source of truth. Pydantic's JSON Schema is turned into the
structural OpenAPI v3 schema Kubernetes requires: references inlined, `Optional` unions and
`null` defaults dropped (absent means unset), titles removed, and the int-or-string and
preserve-unknown-fields extensions in place of the unions they stand for.

    python -m scheduledjob_api.crd write   # (re)writes crds/
    python -m scheduledjob_api.crd check   # exits 1 when crds/ is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from scheduledjob_api import v1alpha1
from scheduledjob_api.base import cel

_REPOSITORY = Path(__file__).resolve().parents[2]
CRD_FILE = _REPOSITORY / "crds" / f"{v1alpha1.GROUP}_{v1alpha1.PLURAL}.yaml"
CHART_TEMPLATE = (
    _REPOSITORY / "charts" / "scheduledjob-crds" / "templates" / f"{v1alpha1.PLURAL}.yaml"
)
_DROPPED_KEYS = frozenset({"title", "additionalProperties", "$defs"})
_EXTENSIONS = ("x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields")
# What an extension node keeps besides its description and default: bounds on the string form
# (maxLength also bounds CEL's cost estimate), on the integer form, null, and CEL rules.
_EXTENSION_VALIDATIONS = ("maxLength", "minimum", "maximum", "nullable", "x-kubernetes-validations")
# The name ends up in label values (63 characters at most) on every CronJob, Job and Pod.
_NAME_RULES = [
    cel(
        "self.metadata.name.size() <= 63",
        "ScheduledJob names are at most 63 characters: they are used as label values",
    ),
    cel(
        "self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
        "ScheduledJob names are DNS labels: lower-case letters, digits and '-' (no dots)",
    ),
]


def _resolve(node: Any, definitions: Mapping[str, Any]) -> Any:
    """Inline `$ref`s and rewrite pydantic's schema into a structural one, recursively."""
    if isinstance(node, list):
        return [_resolve(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(merged, definitions)
    extension = next((key for key in _EXTENSIONS if node.get(key)), None)
    if extension is not None:
        # A union Kubernetes cannot type: the extension alone stands for it.
        wanted = ("description", "default", extension, *_EXTENSION_VALIDATIONS)
        kept = {k: v for k, v in node.items() if k in wanted}
        return {
            k: _description(v) if k == "description" else _resolve(v, definitions)
            for k, v in kept.items()
        }
    if "anyOf" in node:
        choices = [choice for choice in node["anyOf"] if choice.get("type") != "null"]
        if len(choices) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return _resolve({**choices[0], **rest}, definitions)
    node = _map_key_constraints(node)
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS or (key == "default" and value is None):
            continue
        if key == "description":
            result[key] = _description(value)
        elif key == "properties":
            result[key] = {name: _resolve(sub, definitions) for name, sub in value.items()}
        else:
            result[key] = _resolve(value, definitions)
    if node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict):
        result["additionalProperties"] = _resolve(node["additionalProperties"], definitions)
    return result


def _map_key_constraints(node: dict[str, Any]) -> dict[str, Any]:
    """Constrained map keys: Kubernetes has no patternProperties or propertyNames, so use CEL."""
    if "patternProperties" not in node and "propertyNames" not in node:
        return node
    node = dict(node)
    rules = [*node.get("x-kubernetes-validations", [])]
    for pattern, value_schema in node.pop("patternProperties", {}).items():
        node["additionalProperties"] = value_schema
        rules.append(cel(f"self.all(k, k.matches('{pattern}'))", f"keys must match {pattern}"))
    max_length = node.pop("propertyNames", {}).get("maxLength")
    if max_length is not None:
        rules.append(
            cel(
                f"self.all(k, k.size() <= {max_length})",
                f"keys are at most {max_length} characters",
            )
        )
    untyped = node.get("additionalProperties", {}).get("x-kubernetes-preserve-unknown-fields")
    if rules and not untyped:  # CEL cannot declare a map of untyped values: checked in the operator
        node["x-kubernetes-validations"] = rules
    return node


def _description(text: str) -> str:
    """Docstring text as one line per paragraph, the way `kubectl explain` wraps it best."""
    paragraphs = [" ".join(part.split()) for part in text.split("\n\n")]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def openapi_schema() -> dict[str, Any]:
    """The structural schema of a ScheduledJob object."""
    raw = v1alpha1.ScheduledJob.model_json_schema(by_alias=True, mode="validation")
    definitions = raw.get("$defs", {})
    body = _resolve(raw, definitions)
    properties = body["properties"]
    return {
        "type": "object",
        "description": body.get("description", ""),
        "required": ["spec"],
        "properties": {
            "apiVersion": {
                "type": "string",
                "description": "API version: jobs.connectflow.io/v1alpha1.",
            },
            "kind": {"type": "string", "description": "Kind: ScheduledJob."},
            "metadata": {"type": "object"},
            "spec": properties["spec"],
            "status": properties["status"],
        },
        "x-kubernetes-validations": _NAME_RULES,
    }


_PRINTER_COLUMNS = [
    {"name": "Job", "type": "string", "jsonPath": ".spec.job"},
    {"name": "Schedule", "type": "string", "jsonPath": ".spec.schedule"},
    {"name": "Suspended", "type": "boolean", "jsonPath": ".spec.suspend"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
    },
    {"name": "Last Run", "type": "date", "jsonPath": ".status.lastScheduleTime"},
    {"name": "Result", "type": "string", "jsonPath": ".status.lastRun.result"},
    {"name": "Next Run", "type": "date", "jsonPath": ".status.nextScheduleTime"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {
        "name": "Reason",
        "type": "string",
        "priority": 1,
        "jsonPath": '.status.conditions[?(@.type=="Ready")].reason',
    },
]


def custom_resource_definition() -> dict[str, Any]:
    """The whole CustomResourceDefinition manifest."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{v1alpha1.PLURAL}.{v1alpha1.GROUP}"},
        "spec": {
            "group": v1alpha1.GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": v1alpha1.KIND,
                "listKind": f"{v1alpha1.KIND}List",
                "plural": v1alpha1.PLURAL,
                "singular": v1alpha1.SINGULAR,
                "shortNames": list(v1alpha1.SHORT_NAMES),
                "categories": ["all", "connectflow"],
            },
            "versions": [
                {
                    "name": v1alpha1.VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": openapi_schema()},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": _PRINTER_COLUMNS,
                }
            ],
        },
    }


def render() -> str:
    """The CRD file's text, as checked in under crds/."""
    header = (
        "# Generated from api/scheduledjob_api by\n"
        "# `python -m scheduledjob_api.crd write`. Do not edit by hand.\n"
    )
    return header + yaml.safe_dump(custom_resource_definition(), sort_keys=False, width=100)


def render_chart_template() -> str:
    """The same CRD as a Helm template of the CRD chart (kept on uninstall unless told not to)."""
    body = yaml.safe_dump(custom_resource_definition(), sort_keys=False, width=100)
    if "{{" in body:
        message = "the CRD contains '{{', which Helm would read as a template action"
        raise ValueError(message)
    name_line = f"  name: {v1alpha1.PLURAL}.{v1alpha1.GROUP}\n"
    keep = (
        name_line + "  {{- if .Values.keepOnUninstall }}\n"
        "  annotations:\n    helm.sh/resource-policy: keep\n  {{- end }}\n"
    )
    header = (
        "{{- /* Generated from api/scheduledjob_api by\n"
        "`python -m scheduledjob_api.crd write`. Do not edit by hand. */}}\n"
    )
    return header + body.replace(name_line, keep, 1)


def main(argv: Sequence[str] | None = None) -> int:
    """`write` the CRD file and the CRD chart's template, or `check` that both are current."""
    parser = argparse.ArgumentParser(prog="python -m scheduledjob_api.crd")
    parser.add_argument("action", choices=["write", "check"])
    parser.add_argument("--path", type=Path, default=CRD_FILE)
    parser.add_argument("--chart-template", type=Path, default=CHART_TEMPLATE)
    arguments = parser.parse_args(argv)
    outputs = {arguments.path: render(), arguments.chart_template: render_chart_template()}
    if arguments.action == "write":
        for path, text in outputs.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return 0
    stale = [
        path for path, text in outputs.items() if not path.exists() or path.read_text() != text
    ]
    for path in stale:
        print(
            f"{path} is out of date: run python -m scheduledjob_api.crd write",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
