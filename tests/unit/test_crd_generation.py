"""The checked-in CRD is exactly what the models generate, and it is a structural schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scheduledjob_api import crd


def test_checked_in_crd_matches_the_models(tmp_path: Path) -> None:
    """`crd check` passes on the repository and fails on a stale copy."""
    assert 0 == crd.main(["check"])
    stale = tmp_path / "stale.yaml"
    stale.write_text(crd.render().replace("ScheduledJob", "OldJob", 1))
    assert 1 == crd.main(["check", "--path", str(stale)])
    stale_template = tmp_path / "stale-template.yaml"
    stale_template.write_text("old")
    assert 1 == crd.main(["check", "--chart-template", str(stale_template)])


def _nodes(schema: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    yield path, schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from _nodes(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _nodes(schema["additionalProperties"], f"{path}{{}}")


SCHEMA = crd.openapi_schema()
SPEC_AND_STATUS = [
    (path, node) for path, node in _nodes(SCHEMA) if path.startswith((".spec", ".status"))
]


@pytest.mark.parametrize(("path", "node"), SPEC_AND_STATUS, ids=[p for p, _ in SPEC_AND_STATUS])
def test_every_field_is_typed_and_described(path: str, node: dict[str, Any]) -> None:
    """Each node has a type (or an int-or-string/preserve extension) and a description."""
    extensions = {"x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields"}
    assert "type" in node or extensions & set(node), path
    assert {"$ref", "anyOf", "title", "patternProperties", "propertyNames"}.isdisjoint(node), path
    if not path.endswith(("{}", "[]")):
        assert node.get("description"), f"{path} has no description"


def test_defaults_are_in_the_schema() -> None:
    """Defaults users rely on are applied by the API server, not only by the operator."""
    spec = SCHEMA["properties"]["spec"]["properties"]
    assert "Forbid" == spec["concurrencyPolicy"]["default"]
    assert False is spec["suspend"]["default"]
    assert 0 == spec["retries"]["default"]
    assert 3 == spec["successfulRunsHistoryLimit"]["default"]
