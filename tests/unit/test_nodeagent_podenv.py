"""The node agent resolves a container's environment as the kubelet does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from scheduledjob_dev.nodeagent import podenv

NAMESPACE = "team-a"


@dataclass
class References:
    """The ConfigMaps and Secrets that exist, keyed by (namespace, name)."""

    config_maps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def config_map(self, namespace: str, name: str) -> Mapping[str, str] | None:
        """The ConfigMap's data, None when there is no such ConfigMap."""
        return self.config_maps.get((namespace, name))

    def secret(self, namespace: str, name: str) -> Mapping[str, str] | None:
        """The Secret's data, None when there is no such Secret."""
        return self.secrets.get((namespace, name))


REFERENCES = References(
    config_maps={(NAMESPACE, "settings"): {"color": "blue", "size": "L"}},
    secrets={(NAMESPACE, "credentials"): {"token": "s3cret", "user": "bot"}},
)


def _pod() -> dict[str, Any]:
    return {
        "metadata": {
            "name": "run-1",
            "namespace": NAMESPACE,
            "uid": "0b5c-uid",
            "labels": {"app": "report", "team": "billing"},
            "annotations": {"owner": "ops@example.com"},
        },
        "spec": {"nodeName": "local-node", "serviceAccountName": "runner"},
        "status": {"podIP": "127.0.0.1", "hostIP": "127.0.0.1"},
    }


def _environment(
    container: Mapping[str, Any],
    *,
    references: podenv.References = REFERENCES,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    return podenv.container_environment(
        _pod(), {"name": "main", **container}, references, base=base or {}
    )


def _value_from(source: Mapping[str, Any]) -> dict[str, str]:
    """The environment of a container with one variable, X, taken from `source`."""
    return _environment({"env": [{"name": "X", "valueFrom": dict(source)}]})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("$(A)-$(B)", "1-2", id="defined names replaced"),
        pytest.param("$$(A)", "$(A)", id="double dollar escapes"),
        pytest.param("a$$b", "a$b", id="double dollar is one dollar"),
        pytest.param("$(NOPE) and $(A)", "$(NOPE) and 1", id="undefined left as is"),
        pytest.param("x $(A", "x $(A", id="unterminated reference kept"),
        pytest.param("price $", "price $", id="lone dollar at end kept"),
        pytest.param("$A", "$A", id="dollar without parenthesis kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_expand(value: str, expected: str) -> None:
    """`$(VAR)` expansion follows Kubernetes' rules for defined, escaped and unknown names."""
    assert expected == podenv.expand(value, {"A": "1", "B": "2"})


def test_base_variables_come_first() -> None:
    """The base environment is there, and the container's own variables override it."""
    environment = _environment(
        {"env": [{"name": "LANG", "value": "de_DE.UTF-8"}]},
        base={"PATH": "/usr/bin", "LANG": "C.UTF-8"},
    )
    assert {"PATH": "/usr/bin", "LANG": "de_DE.UTF-8"} == environment


def test_literal_values_expand_earlier_variables_only() -> None:
    """A literal value sees the variables defined before it, not those after it."""
    environment = _environment(
        {
            "env": [
                {"name": "A", "value": "1"},
                {"name": "B", "value": "$(A)-two"},
                {"name": "C", "value": "$(D)"},
                {"name": "D", "value": "4"},
                {"name": "E"},
            ]
        }
    )
    assert {"A": "1", "B": "1-two", "C": "$(D)", "D": "4", "E": ""} == environment


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("metadata.name", "run-1"),
        ("metadata.namespace", NAMESPACE),
        ("metadata.uid", "0b5c-uid"),
        ("metadata.labels['team']", "billing"),
        ("metadata.annotations['owner']", "ops@example.com"),
        ("metadata.labels['absent']", ""),
        ("spec.nodeName", "local-node"),
        ("spec.serviceAccountName", "runner"),
        ("status.podIP", "127.0.0.1"),
        ("status.hostIP", "127.0.0.1"),
    ],
)
def test_field_references(path: str, expected: str) -> None:
    """A downward API `fieldRef` gives the Pod's field."""
    assert {"X": expected} == _value_from({"fieldRef": {"fieldPath": path}})


def test_unsupported_field_path_is_a_config_error() -> None:
    """A `fieldRef` the agent does not know stops the container with a message naming it."""
    with pytest.raises(podenv.ContainerConfigError, match=r"unsupported fieldRef.*spec\.bogus"):
        _value_from({"fieldRef": {"fieldPath": "spec.bogus"}})


def test_unsupported_value_from_is_a_config_error() -> None:
    """A `valueFrom` of an unknown kind stops the container with a message naming the variable."""
    with pytest.raises(podenv.ContainerConfigError, match="environment variable X"):
        _value_from({"fileKeyRef": {"path": "a", "key": "b"}})


@pytest.mark.parametrize(
    ("resource", "expected"),
    [("limits.cpu", "500m"), ("requests.memory", "64Mi"), ("limits.memory", "0")],
)
def test_resource_field_references(resource: str, expected: str) -> None:
    """A `resourceFieldRef` gives the container's request or limit as written, 0 if unset."""
    container = {
        "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
        "env": [{"name": "X", "valueFrom": {"resourceFieldRef": {"resource": resource}}}],
    }
    assert {"X": expected} == _environment(container)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            {"configMapKeyRef": {"name": "settings", "key": "color"}}, {"X": "blue"}, id="cm"
        ),
        pytest.param(
            {"secretKeyRef": {"name": "credentials", "key": "token"}}, {"X": "s3cret"}, id="secret"
        ),
        pytest.param(
            {"configMapKeyRef": {"name": "gone", "key": "color", "optional": True}},
            {},
            id="optional missing cm",
        ),
        pytest.param(
            {"secretKeyRef": {"name": "gone", "key": "token", "optional": True}},
            {},
            id="optional missing secret",
        ),
        pytest.param(
            {"configMapKeyRef": {"name": "settings", "key": "gone", "optional": True}},
            {},
            id="optional missing cm key",
        ),
        pytest.param(
            {"secretKeyRef": {"name": "credentials", "key": "gone", "optional": True}},
            {},
            id="optional missing secret key",
        ),
    ],
)
def test_key_references(source: dict[str, Any], expected: dict[str, str]) -> None:
    """ConfigMap and Secret keys give their value; optional missing ones leave the name unset."""
    assert expected == _value_from(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            {"configMapKeyRef": {"name": "gone", "key": "color"}},
            'configmap "gone" not found',
            id="missing cm",
        ),
        pytest.param(
            {"secretKeyRef": {"name": "gone", "key": "token"}},
            'secret "gone" not found',
            id="missing secret",
        ),
        pytest.param(
            {"configMapKeyRef": {"name": "settings", "key": "shape"}},
            f"couldn't find key shape in ConfigMap {NAMESPACE}/settings",
            id="missing cm key",
        ),
        pytest.param(
            {"secretKeyRef": {"name": "credentials", "key": "password"}},
            f"couldn't find key password in Secret {NAMESPACE}/credentials",
            id="missing secret key",
        ),
    ],
)
def test_missing_required_references_use_the_kubelets_words(
    source: dict[str, Any], message: str
) -> None:
    """A missing required ConfigMap, Secret or key is a config error worded as the kubelet's."""
    with pytest.raises(podenv.ContainerConfigError) as raised:
        _value_from(source)
    assert message == str(raised.value)


def test_env_from_brings_in_every_key_with_its_prefix() -> None:
    """`envFrom` adds each key (prefixed), later sources win, and `env` wins over `envFrom`."""
    container = {
        "envFrom": [
            {"configMapRef": {"name": "settings"}, "prefix": "CFG_"},
            {"secretRef": {"name": "credentials"}},
            {"configMapRef": {"name": "gone", "optional": True}},
            {"secretRef": {"name": "gone", "optional": True}},
            {"configMapRef": {"name": "settings"}, "prefix": "LATER_"},
            {"secretRef": {"name": "credentials"}, "prefix": "CFG_"},
        ],
        "env": [
            {"name": "user", "value": "human"},
            {"name": "SUMMARY", "value": "$(CFG_color)/$(token)"},
        ],
    }
    assert {
        "CFG_color": "blue",
        "CFG_size": "L",
        "CFG_token": "s3cret",
        "CFG_user": "bot",
        "LATER_color": "blue",
        "LATER_size": "L",
        "token": "s3cret",
        "user": "human",
        "SUMMARY": "blue/s3cret",
    } == _environment(container)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"configMapRef": {"name": "gone"}}, 'configmap "gone" not found'),
        ({"secretRef": {"name": "gone"}}, 'secret "gone" not found'),
    ],
)
def test_env_from_a_missing_required_source_is_a_config_error(
    source: dict[str, Any], message: str
) -> None:
    """A required `envFrom` ConfigMap or Secret that does not exist stops the container."""
    with pytest.raises(podenv.ContainerConfigError) as raised:
        _environment({"envFrom": [source]})
    assert message == str(raised.value)
