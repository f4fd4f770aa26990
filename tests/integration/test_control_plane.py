"""The local control plane is a real Kubernetes: CRDs, controllers, GC, admission and RBAC work."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scheduledjob_dev.pytest_plugin import ClusterAccess

from .helpers import plain_cronjob, wait_for

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build-control-plane.sh"


def test_version_is_the_pinned_release(kube_cluster: ClusterAccess, api_client: Any) -> None:
    """/version reports a real release, the pinned one when the cluster is local."""
    version = client.VersionApi(api_client).get_code()
    assert not version.git_version.startswith("v0.0.0")
    if kube_cluster.mode == "local":
        pinned = re.search(r'^KUBERNETES_VERSION="(v[^"]+)"', BUILD_SCRIPT.read_text(), re.M)
        assert pinned is not None
        assert pinned.group(1) == version.git_version


@pytest.fixture
def widget_crd(api_client: Any) -> Iterator[tuple[str, str]]:
    """A namespaced CRD with a status subresource, unique to the test, deleted afterwards."""
    extensions = client.ApiextensionsV1Api(api_client)
    group = f"t{uuid.uuid4().hex[:8]}.example.com"
    name = f"widgets.{group}"
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
        },
    }
    extensions.create_custom_resource_definition(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
            "spec": {
                "group": group,
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": schema},
                        "subresources": {"status": {}},
                    }
                ],
            },
        }
    )

    def established() -> bool:
        crd = extensions.read_custom_resource_definition(name)
        return any(
            c.type == "Established" and c.status == "True" for c in crd.status.conditions or []
        )

    wait_for("the CRD to be established", established)
    try:
        yield group, "widgets"
    finally:
        extensions.delete_custom_resource_definition(name)


def test_custom_object_status_goes_through_the_status_subresource(
    api_client: Any, namespace: str, widget_crd: tuple[str, str]
) -> None:
    """A custom object is created, its status set via /status, and a spec write ignores status."""
    group, plural = widget_crd
    objects = client.CustomObjectsApi(api_client)
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": "one"},
        "spec": {"size": 3},
        "status": {"ready": True},
    }
    # The collection may take a moment to be served after the CRD is established.
    wait_for(
        "the custom resource to be served",
        lambda: _create_or_none(objects, group, namespace, plural, body),
    )
    created = objects.get_namespaced_custom_object(group, "v1", namespace, plural, "one")
    assert "status" not in created  # status in a create body is dropped

    objects.patch_namespaced_custom_object_status(
        group, "v1", namespace, plural, "one", {"status": {"ready": True}}
    )
    objects.patch_namespaced_custom_object(
        group, "v1", namespace, plural, "one", {"spec": {"size": 4}, "status": {"ready": False}}
    )
    stored = objects.get_namespaced_custom_object(group, "v1", namespace, plural, "one")
    assert {"size": 4} == stored["spec"]
    assert {"ready": True} == stored["status"]


def _create_or_none(
    objects: Any, group: str, namespace: str, plural: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    try:
        created: dict[str, Any] = objects.create_namespaced_custom_object(
            group, "v1", namespace, plural, body
        )
    except ApiException as error:
        if error.status == 404:
            return None
        raise
    return created


def test_cronjob_creates_job_and_pod_and_deletion_collects_them(
    api_client: Any, namespace: str
) -> None:
    """An every-minute CronJob yields a Job and a Pending Pod; deleting it garbage-collects both."""
    batch = client.BatchV1Api(api_client)
    core = client.CoreV1Api(api_client)
    batch.create_namespaced_cron_job(namespace, plain_cronjob("tick"))

    jobs = wait_for(
        "the CronJob controller to create a Job",
        lambda: batch.list_namespaced_job(namespace).items,
        timeout=90,
    )
    assert "tick" == jobs[0].metadata.owner_references[0].name
    pods = wait_for(
        "the Job controller to create a Pod",
        lambda: core.list_namespaced_pod(namespace).items,
        timeout=30,
    )
    assert "Pending" == pods[0].status.phase  # no kubelet here: nothing runs it
    assert jobs[0].metadata.name == pods[0].metadata.labels["batch.kubernetes.io/job-name"]

    batch.delete_namespaced_cron_job("tick", namespace, propagation_policy="Background")
    wait_for(
        "the garbage collector to delete the Job and Pod",
        lambda: (
            not batch.list_namespaced_job(namespace).items
            and not core.list_namespaced_pod(namespace).items
        ),
        timeout=60,
    )


def _privileged_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged"},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "busybox:1.36",
                    "securityContext": {"privileged": True},
                }
            ]
        },
    }


def test_restricted_namespace_rejects_a_privileged_pod(api_client: Any, namespace: str) -> None:
    """Pod Security admission refuses a privileged Pod where `enforce=restricted` is set."""
    core = client.CoreV1Api(api_client)
    # The same Pod is admitted (dry run) before the namespace is labelled...
    core.create_namespaced_pod(namespace, _privileged_pod(), dry_run="All")
    core.patch_namespace(
        namespace, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    )
    # ... and refused after, by PodSecurity (which reads namespace labels from a cache, so
    # the label takes effect a moment after the patch).

    def refusal() -> str | None:
        try:
            core.create_namespaced_pod(namespace, _privileged_pod(), dry_run="All")
        except ApiException as error:
            if error.status == 403:
                message: str = json.loads(error.body)["message"]
                return message
            raise
        return None

    message = wait_for("PodSecurity to enforce the namespace label", refusal)
    assert 'violates PodSecurity "restricted:latest"' in message
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(namespace, _privileged_pod())
    assert 403 == refused.value.status


def test_service_account_without_rbac_is_refused(
    kube_cluster: ClusterAccess, api_client: Any, namespace: str
) -> None:
    """A ServiceAccount token is authenticated, yet refused until a RoleBinding allows it."""
    core = client.CoreV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "nobody"}})
    token = core.create_namespaced_service_account_token(
        "nobody", namespace, {"spec": {"expirationSeconds": 600}}
    ).status.token

    configuration = client.Configuration()
    configuration.host = api_client.configuration.host
    configuration.ssl_ca_cert = api_client.configuration.ssl_ca_cert
    configuration.api_key = {"authorization": f"Bearer {token}"}
    with client.ApiClient(configuration) as as_nobody:
        pods_as_nobody = client.CoreV1Api(as_nobody)
        with pytest.raises(ApiException) as refused:
            pods_as_nobody.list_namespaced_pod(namespace)
        assert 403 == refused.value.status
        assert f"system:serviceaccount:{namespace}:nobody" in refused.value.body

        rbac.create_namespaced_role(
            namespace,
            {
                "metadata": {"name": "read-pods"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
            },
        )
        rbac.create_namespaced_role_binding(
            namespace,
            {
                "metadata": {"name": "nobody-reads-pods"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "read-pods",
                },
                "subjects": [{"kind": "ServiceAccount", "name": "nobody", "namespace": namespace}],
            },
        )
        wait_for(
            "the RoleBinding to take effect",
            lambda: _can_list_pods(pods_as_nobody, namespace),
        )


def _can_list_pods(pods: Any, namespace: str) -> bool:
    try:
        pods.list_namespaced_pod(namespace)
    except ApiException as error:
        if error.status == 403:
            return False
        raise
    return True
