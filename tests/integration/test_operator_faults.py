"""Faults under the operator: SIGKILL during churn, kube-apiserver and etcd restarts.

A private control plane per module (its components are restarted here), no node agent: these
tests are about ScheduledJobs and CronJobs converging, not about runs.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from scheduledjob_api import naming
from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.demo.stack import install_crd

from .conftest import RunningOperator, start_operator, stop_operator, wait_healthy
from .helpers import ScheduledJobs, scheduledjob, wait_for

SCHEDULES = ("0 1 * * *", "0 2 * * *", "0 0 3 ? * MON", "*/30 * * * *")
CHURN_SIZE = 500
KILLS = 5


@dataclass
class Plane:
    """The control plane, a client, and the operator under test (restartable)."""

    plane: ControlPlane
    api_client: Any
    log_dir: Path
    operator: RunningOperator | None = None

    def start_operator(self) -> RunningOperator:
        log = self.log_dir / f"operator-{time.monotonic_ns()}.log"
        self.operator = start_operator(self.plane.kubeconfig, log)
        wait_healthy(self.operator)
        return self.operator

    def kill_operator(self) -> None:
        assert self.operator is not None
        self.operator.process.kill()
        self.operator.process.wait()
        self.operator = None


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plane]:
    """Control plane and CRD for this module, with a running operator."""
    with ControlPlane() as control_plane:
        api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(control_plane.kubeconfig)
        )
        install_crd(api_client)
        state = Plane(control_plane, api_client, tmp_path_factory.mktemp("fault-operators"))
        state.start_operator()
        try:
            yield state
        finally:
            if state.operator is not None:
                stop_operator(state.operator)
            api_client.close()


def _namespace(plane: Plane, name: str) -> ScheduledJobs:
    client.CoreV1Api(plane.api_client).create_namespace({"metadata": {"name": name}})
    return ScheduledJobs(plane.api_client, name)


def _converged(jobs: ScheduledJobs, expected: dict[str, str]) -> bool:
    """Every expected ScheduledJob Ready for its generation with its CronJob on its schedule;
    no other CronJob in the namespace."""
    listed = jobs.objects.list_namespaced_custom_object(*jobs._args())["items"]
    by_name = {item["metadata"]["name"]: item for item in listed}
    if set(by_name) != set(expected):
        return False
    for name, item in by_name.items():
        status = item.get("status") or {}
        ready = [
            c
            for c in status.get("conditions") or []
            if c["type"] == "Ready"
            and c["status"] == "True"
            and c["observedGeneration"] == item["metadata"]["generation"]
        ]
        if not ready or status.get("cronJobName") != naming.cronjob_name(name):
            return False
    cronjobs = client.BatchV1Api(jobs.objects.api_client).list_namespaced_cron_job(jobs.namespace)
    schedules = {cj.metadata.name: cj.spec.schedule for cj in cronjobs.items}
    wanted = {naming.cronjob_name(name): expected[name] for name in expected}
    return schedules == wanted


def _cron(schedule: str) -> str:
    """The CronJob schedule of one of SCHEDULES."""
    return "0 3 * * MON" if schedule == "0 0 3 ? * MON" else schedule


def test_sigkill_during_churn_leaves_exactly_the_right_cronjobs(plane: Plane) -> None:
    """500 ScheduledJobs created, changed and deleted while the operator is SIGKILLed 5 times."""
    jobs = _namespace(plane, "churn")
    rng = random.Random(7)  # noqa: S311 - reproducible test choices, not secrets
    expected: dict[str, str] = {}
    lock = threading.Lock()
    done = threading.Event()

    def churn() -> None:
        for index in range(CHURN_SIZE):
            name = f"sj-{index:03d}"
            schedule = rng.choice(SCHEDULES)
            jobs.create(scheduledjob(name, schedule=schedule))
            with lock:
                expected[name] = _cron(schedule)
            if index % 5 == 4:  # change an earlier one's schedule
                target = f"sj-{rng.randrange(index):03d}"
                with lock:
                    alive = target in expected
                if alive:
                    schedule = rng.choice(SCHEDULES)
                    jobs.patch_spec(target, {"schedule": schedule})
                    with lock:
                        expected[target] = _cron(schedule)
            if index % 7 == 6:  # delete an earlier one
                target = f"sj-{rng.randrange(index):03d}"
                with lock:
                    alive = expected.pop(target, None) is not None
                if alive:
                    jobs.delete(target)
        done.set()

    worker = threading.Thread(target=churn, daemon=True)
    started = time.monotonic()
    worker.start()
    for _ in range(KILLS):
        time.sleep(rng.uniform(1.0, 4.0))
        plane.kill_operator()
        time.sleep(rng.uniform(0.0, 1.0))
        plane.start_operator()
    worker.join(timeout=300)
    assert done.is_set(), "the churn did not finish"
    churn_seconds = time.monotonic() - started
    wait_for(
        "every live ScheduledJob with exactly its CronJob",
        lambda: _converged(jobs, expected),
        timeout=180,
    )
    assert len(expected) > CHURN_SIZE * 3 // 4
    assert churn_seconds < 300


@pytest.mark.parametrize("component", ["kube-apiserver", "etcd"])
def test_operator_rides_out_a_restart_of(plane: Plane, component: str) -> None:
    """Changes made after the restart converge; the operator process was never restarted."""
    jobs = _namespace(plane, f"restart-{component}")
    jobs.create(scheduledjob("before", schedule="0 1 * * *"))
    jobs.wait_ready("before")
    assert plane.operator is not None
    pid = plane.operator.process.pid

    plane.plane.restart(component, down_seconds=5)

    jobs.create(scheduledjob("after", schedule="0 2 * * *"))
    jobs.patch_spec("before", {"schedule": "0 4 * * *"})
    wait_for(
        "both converged",
        lambda: _converged(jobs, {"before": "0 4 * * *", "after": "0 2 * * *"}),
        timeout=120,
    )
    assert (pid, None) == (plane.operator.process.pid, plane.operator.process.poll())
    wait_healthy(plane.operator)
