"""Unit tests for where a scheduling client connects and which namespace it defaults to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scheduledjob_client.scheduling import SchedulingClient, SchedulingError


def _kubeconfig(path: Path, **namespaces: str) -> Path:
    """A kubeconfig with one context per keyword (name → namespace, "" for none)."""
    contexts = []
    for name, namespace in namespaces.items():
        context = {"cluster": "c", "user": "u"}
        if namespace:
            context["namespace"] = namespace
        contexts.append({"name": name, "context": context})
    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": contexts,
        "current-context": next(iter(namespaces)),
    }
    path.write_text(yaml.safe_dump(document))
    return path


def test_current_context_namespace_is_the_default(tmp_path: Path) -> None:
    """The current context's namespace is where calls go when they name none."""
    config = _kubeconfig(tmp_path / "config", main="team-a", other="team-b")
    with SchedulingClient.from_kubeconfig(config) as client:
        assert ("team-a", "https://127.0.0.1:1") == (
            client.namespace,
            client.api_client.configuration.host,
        )


def test_chosen_context_namespace_and_default(tmp_path: Path) -> None:
    """--context picks another context; one without a namespace means `default`."""
    config = _kubeconfig(tmp_path / "config", main="team-a", bare="")
    with SchedulingClient.from_kubeconfig(config, context="bare") as client:
        assert "default" == client.namespace


def test_unknown_context_is_named_with_the_known_ones(tmp_path: Path) -> None:
    """A context the kubeconfig lacks is refused, listing the contexts it has."""
    config = _kubeconfig(tmp_path / "config", main="team-a")
    with pytest.raises(
        SchedulingError, match=r"context 'nope' is not in the kubeconfig \(contexts: main\)"
    ):
        SchedulingClient.from_kubeconfig(config, context="nope")


def test_missing_kubeconfig_says_what_to_do(tmp_path: Path) -> None:
    """A kubeconfig that does not exist is a SchedulingError pointing at KUBECONFIG."""
    with pytest.raises(SchedulingError, match="Point KUBECONFIG"):
        SchedulingClient.from_kubeconfig(tmp_path / "absent")
