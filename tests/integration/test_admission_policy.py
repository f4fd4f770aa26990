"""The chart's ValidatingAdmissionPolicy: no escalation through the operator, tenants per namespace.

Two users, two namespaces, against the real API server: the policy, rendered by `helm template`
and scoped to this test's namespaces by a label, asks the API server's authorizer about the
user who sends each ScheduledJob (impersonated here), and reads the namespace's tenants.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from scheduledjob_dev.pytest_plugin import ClusterAccess

from .helpers import scheduledjob, tool_runner, wait_for

OPERATOR_CHART = Path(__file__).resolve().parents[2] / "charts" / "scheduledjob-operator"
GUARDED = "scheduledjob.connectflow.io/guarded"
TEAMS = {"guard-a": "123", "guard-b": "456,789"}


def _as(api_client: Any, user: str) -> Any:
    """A client that acts as `user` (impersonation by the admin)."""
    configuration = copy.copy(api_client.configuration)
    return client.ApiClient(configuration, header_name="Impersonate-User", header_value=user)


def _rbac(api_client: Any) -> None:
    """alice: ScheduledJobs in both namespaces, Pods only in guard-a, ServiceAccount `runner`
    there; bob: ScheduledJobs and Pods in guard-b."""
    rbac = client.RbacAuthorizationV1Api(api_client)
    grants = {
        "guard-a": {
            "alice": [
                {"apiGroups": ["jobs.connectflow.io"], "resources": ["scheduledjobs"],
                 "verbs": ["create", "get", "update", "patch"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]},
                {"apiGroups": [""], "resources": ["serviceaccounts"],
                 "resourceNames": ["runner"], "verbs": ["use"]},
            ],
        },
        "guard-b": {
            "alice": [
                {"apiGroups": ["jobs.connectflow.io"], "resources": ["scheduledjobs"],
                 "verbs": ["create", "get", "update", "patch"]},
            ],
            "bob": [
                {"apiGroups": ["jobs.connectflow.io"], "resources": ["scheduledjobs"],
                 "verbs": ["create", "get", "update", "patch"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]},
            ],
        },
    }  # fmt: skip
    for namespace, users in grants.items():
        for user, rules in users.items():
            name = f"{user}-scheduledjobs"
            rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
            rbac.create_namespaced_role_binding(
                namespace,
                {
                    "metadata": {"name": name},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                "name": name},
                    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                                  "name": user}],
                },
            )  # fmt: skip


@pytest.fixture(scope="module")
def guarded(
    kube_cluster: ClusterAccess,
    api_client: Any,
    scheduledjob_crd: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """The chart's policy (scoped to labelled namespaces), two namespaces, two users."""
    values = tmp_path_factory.mktemp("policy") / "values.yaml"
    values.write_text(
        yaml.safe_dump(
            {
                "admissionPolicy": {
                    "requireServiceAccountUse": True,
                    "namespaceSelector": {"matchLabels": {GUARDED: "true"}},
                }
            }
        )
    )
    helm = tool_runner("helm", kube_cluster.kubeconfig)
    kubectl = tool_runner("kubectl", kube_cluster.kubeconfig)
    rendered = helm(
        "template", "guard-test", str(OPERATOR_CHART), "-f", str(values),
        "--show-only", "templates/admissionpolicy.yaml",
    )  # fmt: skip
    kubectl("apply", "-f", "-", stdin=rendered)
    core = client.CoreV1Api(api_client)
    for namespace, tenants in TEAMS.items():
        core.create_namespace(
            {
                "metadata": {
                    "name": namespace,
                    "labels": {GUARDED: "true"},
                    "annotations": {"jobs.connectflow.io/tenants": tenants},
                }
            }
        )
    _rbac(api_client)
    try:
        yield api_client
    finally:
        kubectl("delete", "-f", "-", "--ignore-not-found", stdin=rendered)
        for namespace in TEAMS:
            core.delete_namespace(namespace)


def _create(api_client: Any, user: str, namespace: str, **spec: Any) -> str:
    """Create a ScheduledJob as `user`: "created", or the refusal's message."""
    objects = client.CustomObjectsApi(_as(api_client, user))
    digest = hashlib.sha256(repr((user, namespace, sorted(spec.items()))).encode()).hexdigest()
    name = f"sj-{digest[:12]}"
    try:
        objects.create_namespaced_custom_object(
            "jobs.connectflow.io", "v1alpha1", namespace, "scheduledjobs",
            scheduledjob(name, **spec),
        )  # fmt: skip
    except client.exceptions.ApiException as error:
        return f"{error.status} {error.body}"
    return "created"


def test_the_policy_is_in_force(guarded: Any) -> None:
    """Within a few seconds of being applied, the policy refuses what it should."""
    outcomes: list[str] = []

    def refused() -> bool:
        outcomes.append(_create(guarded, "alice", "guard-a", context={"tenantId": 999}))
        return outcomes[-1].startswith("403")

    wait_for("the policy to refuse a foreign tenant", refused, timeout=30)


def _tenant(tenant: int | str) -> dict[str, Any]:
    return {"context": {"tenantId": tenant}}


@pytest.mark.parametrize(
    ("user", "namespace", "spec", "expected"),
    [
        ("alice", "guard-a", _tenant(123), "created"),
        ("alice", "guard-a", {}, "created"),
        ("alice", "guard-a", _tenant(456), "456 is not allowed in namespace guard-a (allowed: 123"),
        ("alice", "guard-a", _tenant("123x"), "tenantId 123x is not allowed"),
        ("alice", "guard-b", _tenant(456), "alice may not create Pods in namespace guard-b"),
        ("bob", "guard-b", _tenant(789), "created"),
        ("bob", "guard-b", _tenant(123), "123 is not allowed in namespace guard-b"),
        ("bob", "guard-a", _tenant(123), "forbidden"),
        ("alice", "guard-a", {"serviceAccountName": "runner"}, "created"),
        ("alice", "guard-a", {"serviceAccountName": "admin"}, "alice may not use ServiceAccount"),
    ],
)
def test_scheduledjobs_are_checked_for_the_user_who_sends_them(
    guarded: Any, user: str, namespace: str, spec: dict[str, Any], expected: str
) -> None:
    """Allowed as the user's own rights and the namespace's tenants say; else 403 saying why."""
    test_the_policy_is_in_force(guarded)
    outcome = _create(guarded, user, namespace, **spec)
    assert expected in outcome
    if expected != "created":
        assert outcome.startswith("403")
