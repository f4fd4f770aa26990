"""The Python examples of docs/scheduling-from-code.md run as written against the API server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from kubernetes.config import kube_config

from scheduledjob_client import scheduling
from scheduledjob_client.scheduling import SchedulingClient
from scheduledjob_dev.pytest_plugin import ClusterAccess

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "scheduling-from-code.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


@pytest.mark.usefixtures("scheduledjob_crd")
def test_guide_examples_run_in_order(
    api_client: Any,
    namespace: str,
    kube_cluster: ClusterAccess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each example runs, in order, with the default client in the test's namespace."""
    # Where the examples' kubeconfig lookup (KUBECONFIG or ~/.kube/config) finds the cluster.
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kube_cluster.kubeconfig))
    scheduling.set_default_client(SchedulingClient(api_client, namespace=namespace))
    shared: dict[str, Any] = {}
    try:
        blocks = _python_blocks()
        assert 4 == len(blocks)
        for number, source in enumerate(blocks):
            exec(compile(source, f"{GUIDE}:{number}", "exec"), shared)  # noqa: S102 - our docs
    finally:
        scheduling.set_default_client(None)
    assert "created" == shared["reports"].change
