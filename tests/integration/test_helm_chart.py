"""The Helm charts lint, render to manifests the API server accepts, install and upgrade."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from scheduledjob_dev.pytest_plugin import ClusterAccess

from .helpers import tool, tool_runner, wait_for

CHARTS = Path(__file__).resolve().parents[2] / "charts"
OPERATOR_CHART = CHARTS / "scheduledjob-operator"
CRD_CHART = CHARTS / "scheduledjob-crds"
EVERY_OPTION = OPERATOR_CHART / "ci" / "every-option-values.yaml"
Run = Callable[..., str]


@pytest.fixture
def helm(kube_cluster: ClusterAccess) -> Run:
    """Run helm against the cluster under test; fails the test on a non-zero exit."""
    return tool_runner("helm", kube_cluster.kubeconfig)


@pytest.fixture
def kubectl(kube_cluster: ClusterAccess) -> Run:
    """Run kubectl against the cluster under test, optionally with standard input."""
    return tool_runner("kubectl", kube_cluster.kubeconfig)


@pytest.mark.parametrize("values", [None, EVERY_OPTION], ids=["defaults", "every-option"])
def test_charts_pass_strict_lint(helm: Run, values: Path | None) -> None:
    """`helm lint --strict` passes for both charts, with defaults and with every option set."""
    extra = ["-f", str(values)] if values else []
    helm("lint", "--strict", str(OPERATOR_CHART), *extra)
    helm("lint", "--strict", str(CRD_CHART))


@pytest.fixture
def prometheus_operator_crds(api_client: Any) -> None:
    """Stand-ins for the Prometheus Operator's CRDs (not reachable offline), schemaless.

    They let the API server admit our ServiceMonitor and PrometheusRule in a dry run; their
    real schemas are not checked here.
    """
    extensions = client.ApiextensionsV1Api(api_client)
    for kind, plural in (
        ("ServiceMonitor", "servicemonitors"),
        ("PrometheusRule", "prometheusrules"),
    ):
        body = {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.monitoring.coreos.com"},
            "spec": {
                "group": "monitoring.coreos.com",
                "scope": "Namespaced",
                "names": {"kind": kind, "plural": plural},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
        }
        try:
            extensions.create_custom_resource_definition(body)
        except ApiException as error:
            if error.status != 409:
                raise
    wait_for(
        "the stand-in CRDs to be served",
        lambda: all(
            any(
                c.type == "Established" and c.status == "True"
                for c in extensions.read_custom_resource_definition(
                    f"{p}.monitoring.coreos.com"
                ).status.conditions
                or []
            )
            for p in ("servicemonitors", "prometheusrules")
        ),
    )


@pytest.mark.parametrize("values", [None, EVERY_OPTION], ids=["defaults", "every-option"])
def test_rendered_manifests_pass_server_side_dry_run(
    helm: Run,
    kubectl: Run,
    api_client: Any,
    namespace: str,
    scheduledjob_crd: str,
    prometheus_operator_crds: None,
    values: Path | None,
) -> None:
    """Every manifest `helm template` renders is accepted by the API server (dry run)."""
    core = client.CoreV1Api(api_client)
    for watched in ("team-a", "team-b"):
        try:
            core.create_namespace({"metadata": {"name": watched}})
        except ApiException as error:
            if error.status != 409:
                raise
    extra = ["-f", str(values)] if values else []
    rendered = helm("template", "dryrun", str(OPERATOR_CHART), "-n", namespace, *extra)
    rendered += "\n---\n" + helm("template", "crds", str(CRD_CHART))
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    assert documents
    output = kubectl("apply", "--dry-run=server", "-f", "-", stdin=rendered)
    assert len(documents) == output.count("(server dry run)")
    kinds = {doc["kind"] for doc in documents}
    if values is not None:
        assert {"ServiceMonitor", "PrometheusRule", "Role", "ScheduledJob"} <= kinds
        assert 2 == sum(1 for doc in documents if doc["kind"] == "ScheduledJob")  # one disabled


def test_install_and_upgrade_the_operator(
    helm: Run, api_client: Any, namespace: str, scheduledjob_crd: str
) -> None:
    """`helm install` then `helm upgrade` change the live Deployment and RBAC."""
    release = f"op-{uuid.uuid4().hex[:5]}"
    helm("install", release, str(OPERATOR_CHART), "-n", namespace, "--set", "replicaCount=2")
    apps = client.AppsV1Api(api_client)
    name = f"{release}-scheduledjob-operator"
    assert 2 == apps.read_namespaced_deployment(name, namespace).spec.replicas
    helm(
        "upgrade",
        release,
        str(OPERATOR_CHART),
        "-n",
        namespace,
        "--set",
        "replicaCount=1",
        "--set",
        "operator.logLevel=DEBUG",
    )
    deployment = apps.read_namespaced_deployment(name, namespace)
    env = {item.name: item.value for item in deployment.spec.template.spec.containers[0].env}
    assert (1, "DEBUG") == (deployment.spec.replicas, env["SCHEDULEDJOB_LOG_LEVEL"])
    rules = client.RbacAuthorizationV1Api(api_client).read_cluster_role(name).rules
    assert all("*" not in rule.verbs and "*" not in rule.resources for rule in rules)
    helm("uninstall", release, "-n", namespace)


def test_crd_chart_upgrades_the_schema(
    helm: Run, api_client: Any, scheduledjob_crd: str, tmp_path: Path
) -> None:
    """A schema change in the CRD chart reaches the API server on `helm upgrade`."""
    changed = tmp_path / "scheduledjob-crds"
    shutil.copytree(CRD_CHART, changed)
    template = changed / "templates" / "scheduledjobs.yaml"
    text = template.read_text()
    marker = "              suspend:\n"
    assert marker in text
    template.write_text(
        text.replace(
            marker,
            "              upgradeProbe:\n                type: string\n"
            "                description: Added by the upgrade test.\n" + marker,
            1,
        )
    )
    extensions = client.ApiextensionsV1Api(api_client)

    def spec_properties() -> dict[str, Any]:
        raw = extensions.read_custom_resource_definition(scheduledjob_crd, _preload_content=False)
        schema = json.loads(raw.data)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        properties: dict[str, Any] = schema["properties"]["spec"]["properties"]
        return properties

    helm("upgrade", "--install", "--take-ownership", "sj-crds", str(CRD_CHART), "-n", "default")
    assert "upgradeProbe" not in spec_properties()
    helm("upgrade", "sj-crds", str(changed), "-n", "default")
    assert "upgradeProbe" in spec_properties()
    helm("upgrade", "sj-crds", str(CRD_CHART), "-n", "default")
    assert "upgradeProbe" not in spec_properties()
    annotations = extensions.read_custom_resource_definition(scheduledjob_crd).metadata.annotations
    assert "keep" == annotations["helm.sh/resource-policy"]


def test_values_schema_rejects_bad_values(kube_cluster: ClusterAccess) -> None:
    """values.schema.json refuses a misspelled setting with a message naming it."""
    result = subprocess.run(
        [tool("helm"), "template", "bad", str(OPERATOR_CHART), "--set", "operator.logFormat=xml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 != result.returncode
    assert "logFormat" in result.stderr
    assert (
        json.loads((OPERATOR_CHART / "values.schema.json").read_text())["additionalProperties"]
        is False
    )
