"""The chart's RBAC is enough and no more: the operator runs on its ServiceAccount's token.

A control plane of its own, so no other operator (the suite's runs as admin) can do the work
and hide a missing permission.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from basejob import contract
from scheduledjob_dev import ControlPlane
from scheduledjob_dev.binaries import find_binaries

from .conftest import RunningOperator, start_operator, stop_operator, wait_healthy
from .helpers import ScheduledJobs, events_for, plain_cronjob, scheduledjob, wait_for

pytestmark = pytest.mark.cluster
CHARTS = Path(__file__).resolve().parents[2] / "charts"


@dataclass(frozen=True)
class Isolated:
    """A private control plane with the CRD chart installed."""

    kubeconfig: Path
    api_client: Any

    def helm(self, *arguments: str) -> str:
        result = subprocess.run(
            [str(find_binaries().path("helm")), f"--kubeconfig={self.kubeconfig}", *arguments],
            capture_output=True,
            text=True,
            check=False,
        )
        assert 0 == result.returncode, result.stderr
        return result.stdout

    def namespace(self, name: str) -> str:
        client.CoreV1Api(self.api_client).create_namespace({"metadata": {"name": name}})
        return name

    def install_and_start_operator(
        self, release: str, tmp_path: Path, *helm_flags: str, **settings: str
    ) -> tuple[RunningOperator, Path]:
        """Install the operator chart as `release` and run the operator on its SA's token."""
        release_namespace = self.namespace(f"ops-{release}")
        self.helm(
            "install",
            release,
            str(CHARTS / "scheduledjob-operator"),
            "-n",
            release_namespace,
            *helm_flags,
        )
        account = f"{release}-scheduledjob-operator"
        kubeconfig = self.service_account_kubeconfig(
            release_namespace, account, tmp_path / "sa.kubeconfig"
        )
        operator = start_operator(
            kubeconfig,
            tmp_path / "operator.log",
            SCHEDULEDJOB_LEADER_ELECTION="true",
            SCHEDULEDJOB_LEADER_ELECTION_NAMESPACE=release_namespace,
            SCHEDULEDJOB_LEADER_ELECTION_NAME=account,
            POD_NAME=f"{release}-0",
            **settings,
        )
        return operator, kubeconfig

    def service_account_kubeconfig(self, namespace: str, account: str, path: Path) -> Path:
        """A kubeconfig that authenticates with a TokenRequest token of `account`."""
        token = (
            client.CoreV1Api(self.api_client)
            .create_namespaced_service_account_token(
                account, namespace, {"spec": {"expirationSeconds": 3600}}
            )
            .status.token
        )
        document = yaml.safe_load(self.kubeconfig.read_text())
        document["users"] = [{"name": "admin", "user": {"token": token}}]
        path.write_text(yaml.safe_dump(document))
        return path


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Isolated]:
    """A second, private control plane for this module."""
    with ControlPlane() as plane:
        api = config.new_client_from_config(config_file=str(plane.kubeconfig))
        world = Isolated(plane.kubeconfig, api)
        world.helm(
            "install", "scheduledjob-crds", str(CHARTS / "scheduledjob-crds"), "-n", "default"
        )
        yield world
        api.close()


def _as(kubeconfig: Path) -> Any:
    return config.new_client_from_config(config_file=str(kubeconfig))


def test_cluster_wide_operator_reconciles_on_its_service_account(
    isolated: Isolated, tmp_path: Path
) -> None:
    """Installed cluster-wide, the operator's own token creates CronJobs, status and Events."""
    operator, _ = isolated.install_and_start_operator("wide", tmp_path)
    try:
        wait_healthy(operator)
        team = isolated.namespace(f"team-{uuid.uuid4().hex[:5]}")
        jobs = ScheduledJobs(isolated.api_client, team)
        jobs.create(scheduledjob("nightly", schedule="0 0 2 * * ?"))
        ready = jobs.wait_ready("nightly", timeout=60)
        assert "nightly" == ready["status"]["cronJobName"]
        assert client.BatchV1Api(isolated.api_client).read_namespaced_cron_job("nightly", team)
        assert "CreatedCronJob" in [
            e.reason for e in events_for(isolated.api_client, team, "nightly")
        ]
        # Runs the operator starts itself: a trigger (Job owned by the CronJob), a one-shot
        # (Job owned by the ScheduledJob) that deletes itself, and a switch to run-once
        # (the CronJob deleted).
        jobs.objects.patch_namespaced_custom_object(
            *jobs._args(),
            "nightly",
            {"metadata": {"annotations": {contract.TRIGGER_ANNOTATION: "rbac"}}},
        )
        jobs.create(scheduledjob("once", schedule=None, delay="0s", ttlSecondsAfterRun=0))
        batch = client.BatchV1Api(isolated.api_client)
        wait_for(
            "the triggered and the one-shot Jobs",
            lambda: len(batch.list_namespaced_job(team).items) == 2,
            timeout=60,
        )
        jobs.patch_spec("nightly", {"schedule": None, "runAt": "2099-01-01T00:00:00Z"})
        wait_for(
            "the CronJob to go",
            lambda: not batch.list_namespaced_cron_job(team).items,
            timeout=60,
        )
    finally:
        assert 0 == stop_operator(operator), operator.log_path.read_text()[-3000:]
    assert "Forbidden" not in operator.log_path.read_text()


def test_namespaced_operator_cannot_touch_other_namespaces(
    isolated: Isolated, tmp_path: Path
) -> None:
    """With watchNamespaces, the token works in those namespaces and is refused elsewhere."""
    watched = isolated.namespace(f"watched-{uuid.uuid4().hex[:5]}")
    other = isolated.namespace(f"other-{uuid.uuid4().hex[:5]}")
    operator, kubeconfig = isolated.install_and_start_operator(
        "narrow",
        tmp_path,
        "--set",
        f"watchNamespaces={{{watched}}}",
        SCHEDULEDJOB_NAMESPACES=watched,
    )
    try:
        wait_healthy(operator)
        ScheduledJobs(isolated.api_client, watched).create(scheduledjob("inside"))
        ScheduledJobs(isolated.api_client, other).create(scheduledjob("outside"))
        ScheduledJobs(isolated.api_client, watched).wait_ready("inside", timeout=60)
        time.sleep(3)
        assert "status" not in ScheduledJobs(isolated.api_client, other).get("outside")
    finally:
        assert 0 == stop_operator(operator), operator.log_path.read_text()[-3000:]
    with _as(kubeconfig) as as_operator:
        batch = client.BatchV1Api(as_operator)
        with pytest.raises(ApiException) as refused:
            batch.create_namespaced_cron_job(other, plain_cronjob("sneaky"))
        assert 403 == refused.value.status
        with pytest.raises(ApiException) as cluster_wide:
            client.CustomObjectsApi(as_operator).list_cluster_custom_object(
                "jobs.connectflow.io", "v1alpha1", "scheduledjobs"
            )
        assert 403 == cluster_wide.value.status
