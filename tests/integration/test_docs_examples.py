"""Every ScheduledJob example in docs/ and the README is accepted (server-side dry run)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from scheduledjob_api import v1alpha1

REPOSITORY = Path(__file__).resolve().parents[2]
PAGES = [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").rglob("*.md"))]
BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)
EXAMPLES = [
    (f"{path.relative_to(REPOSITORY)}#{number}", document)
    for path in PAGES
    for number, block in enumerate(BLOCK.findall(path.read_text()))
    for document in yaml.safe_load_all(block)
    if isinstance(document, dict) and document.get("kind") == v1alpha1.KIND
]


def test_docs_have_examples() -> None:
    """The reference shows at least one ScheduledJob."""
    assert EXAMPLES


@pytest.mark.parametrize(("where", "manifest"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_example_is_accepted(
    api_client: Any, namespace: str, scheduledjob_crd: str, where: str, manifest: dict[str, Any]
) -> None:
    """The example passes the schema and CEL rules exactly as written."""
    client.CustomObjectsApi(api_client).create_namespaced_custom_object(
        v1alpha1.GROUP, v1alpha1.VERSION, namespace, v1alpha1.PLURAL, manifest, dry_run="All"
    )
