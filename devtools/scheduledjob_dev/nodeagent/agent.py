"""The node agent: plays the kubelet's part for the local control plane, with local processes.

A development and test tool, not a kubelet: no images, no isolation, no probes, one container
per Pod. It registers a Node, keeps its Lease fresh, watches the Pods bound to it and, for each,
runs the container's command as a local process, reports Running and then Succeeded or Failed
with the exit code and termination message, enforces `activeDeadlineSeconds`, and on deletion
stops the process (SIGTERM, grace period, SIGKILL) before removing the Pod. The Job and CronJob
controllers then act on real outcomes.

Level-triggered like a controller: a watch keeps the latest copy of every Pod; one loop compares
each Pod with its local process and does what is missing, so a lost write is redone next pass.
"""

from __future__ import annotations

import datetime
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from scheduledjob_dev.nodeagent import containers, node, podenv, podstatus
from scheduledjob_dev.nodeagent.logserver import ContainerLog, LogServer
from scheduledjob_dev.nodeagent.nodeapi import NodeApi

_log = structlog.get_logger("scheduledjob.nodeagent")
_TERMINAL = {"Succeeded", "Failed"}
_LOOP_SECONDS = 1.0
_LEASE_SECONDS = 10.0
_NODE_STATUS_SECONDS = 60.0
_WATCH_SECONDS = 60
_DEFAULT_GRACE_SECONDS = 30
_LOST_EXIT_CODE = 137


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class _PodRun:
    """What the agent knows and has done for one Pod."""

    pod: dict[str, Any]
    directory: Path
    container: containers.LocalContainer | None = None
    reported: str = ""  # the last status written: waiting:<message>, running, terminated
    deleted: bool = False


@dataclass
class _Heartbeat:
    lease_due: float = 0.0
    status_due: float = 0.0
    boot_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class NodeAgent:
    """Runs the Pods bound to one Node; `start()` then `stop()`, or use as a context manager."""

    def __init__(
        self,
        api: NodeApi,
        *,
        node_name: str,
        directory: Path,
        base_environment: Mapping[str, str],
    ) -> None:
        self.api = api
        self.node_name = node_name
        self.directory = directory
        self.base_environment = dict(base_environment)
        self._pods: dict[str, dict[str, Any]] = {}
        self._runs: dict[str, _PodRun] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._heartbeat = _Heartbeat()
        directory.mkdir(parents=True, exist_ok=True)
        self._log_server = LogServer(self._find_log, directory)
        self._threads = [
            threading.Thread(target=self._watch_forever, name="pod-watch", daemon=True),
            threading.Thread(target=self._loop_forever, name="pod-sync", daemon=True),
        ]

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Register the Node, serve logs, and start watching and running Pods."""
        self._log_server.start()
        self.api.ensure_node(node.node_manifest(self.node_name))
        self._beat(force=True)
        for thread in self._threads:
            thread.start()
        _log.info("Registered Node", node=self.node_name, log_port=self._log_server.port)

    def stop(self, *, delete_node: bool = True) -> None:
        """Kill every process, stop the threads, and (by default) remove the Node."""
        self._stopped.set()
        self._wake.set()
        for thread in self._threads:
            if thread.is_alive() and thread.name == "pod-sync":
                thread.join(timeout=10)
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if run.container is not None:
                run.container.kill()
        self._log_server.stop()
        if delete_node:
            try:
                self.api.delete_node(self.node_name)
            except Exception:  # noqa: BLE001 - best effort on the way out
                _log.warning("Could not delete Node", node=self.node_name, exc_info=True)

    def __enter__(self) -> NodeAgent:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the watch --------------------------------------------------------------------------

    def _watch_forever(self) -> None:
        while not self._stopped.is_set():
            try:
                items, version = self.api.list_pods(self.node_name)
                with self._lock:
                    self._pods = {pod["metadata"]["uid"]: pod for pod in items}
                self._wake.set()
                while not self._stopped.is_set():
                    for type_, pod in self.api.watch_pods(
                        self.node_name, version, timeout_seconds=_WATCH_SECONDS
                    ):
                        _relist_on_error(type_)
                        version = pod["metadata"]["resourceVersion"]
                        if type_ != "BOOKMARK":
                            self._remember(type_, pod)
            except _Relist:
                continue
            except Exception:  # noqa: BLE001 - the API server may be restarting; relist
                if not self._stopped.is_set():
                    _log.warning("Pod watch failed; relisting", exc_info=True)
                    self._stopped.wait(1.0)

    def _remember(self, type_: str, pod: dict[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        with self._lock:
            if type_ == "DELETED":
                self._pods.pop(uid, None)
            else:
                self._pods[uid] = pod
        self._wake.set()

    # -- the sync loop ----------------------------------------------------------------------

    def _loop_forever(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(_LOOP_SECONDS)
            self._wake.clear()
            if self._stopped.is_set():
                return
            self._sync_all()
            try:
                self._beat()
            except Exception:  # noqa: BLE001 - retried next pass
                _log.warning("Could not renew the node heartbeat", exc_info=True)

    def _sync_all(self) -> None:
        with self._lock:
            pods = dict(self._pods)
        for uid, pod in pods.items():
            try:
                self._sync(uid, pod)
            except Exception:  # noqa: BLE001 - one Pod's failure must not stop the others
                _log.warning("Could not sync Pod", pod=pod["metadata"]["name"], exc_info=True)
        for uid in set(self._runs) - set(pods):
            self._forget(uid)

    def _sync(self, uid: str, pod: dict[str, Any]) -> None:
        run = self._runs.get(uid)
        if run is None:
            run = _PodRun(pod=pod, directory=self.directory / "pods" / uid)
            with self._lock:
                self._runs[uid] = run
        run.pod = pod
        container = run.container
        if container is not None:
            container.tick()
        phase = (pod.get("status") or {}).get("phase")
        if pod["metadata"].get("deletionTimestamp"):
            self._sync_deleted(run)
        elif phase in _TERMINAL:
            if container is not None:
                container.kill()
        elif container is None:
            if run.reported != "terminated":  # a start error is final, as for restartPolicy Never
                self._start(run)
        elif container.running:
            # Redone until it lands: a failed write of Running must not leave the Pod Pending.
            started = container.started_at or _now()
            self._write(run, podstatus.running(pod, started=started), "running")
            self._enforce_deadline(run, container)
        else:
            self._report_end(run)

    def _sync_deleted(self, run: _PodRun) -> None:
        container = run.container
        if container is not None and container.running:
            grace = run.pod["metadata"].get("deletionGracePeriodSeconds")
            container.stop(_DEFAULT_GRACE_SECONDS if grace is None else grace)
            return
        if container is not None and (run.pod.get("status") or {}).get("phase") not in _TERMINAL:
            self._report_end(run)
        if not run.deleted:
            self.api.delete_pod_now(run.pod)
            run.deleted = True
            _log.info("Removed Pod", pod=run.pod["metadata"]["name"])

    def _start(self, run: _PodRun) -> None:
        pod = run.pod
        status = pod.get("status") or {}
        if status.get("phase") == "Running":  # ours before an agent restart: the process is gone
            self._lost(run)
            return
        spec = pod["spec"]
        if len(spec["containers"]) != 1 or spec.get("initContainers"):
            error = ValueError("the local node agent runs Pods with exactly one container")
            self._write(run, podstatus.terminated(pod, containers.start_error(error)), "terminated")
            return
        definition = spec["containers"][0]
        try:
            environment = podenv.container_environment(
                pod, definition, self.api, base=self._base_environment(pod)
            )
        except podenv.ContainerConfigError as error:
            waiting = podstatus.waiting(
                pod, reason="CreateContainerConfigError", message=str(error), now=_now()
            )
            self._write(run, waiting, f"waiting:{error}")
            return
        container = containers.LocalContainer(pod, definition, run.directory)
        try:
            container.start(environment, on_exit=self._wake.set)
        except (OSError, ValueError) as error:
            self._write(run, podstatus.terminated(pod, containers.start_error(error)), "terminated")
            return
        run.container = container
        _log.info("Started container", pod=pod["metadata"]["name"], command=container.argv)
        self._write(run, podstatus.running(pod, started=container.started_at or _now()), "running")

    def _enforce_deadline(self, run: _PodRun, container: containers.LocalContainer) -> None:
        deadline = run.pod["spec"].get("activeDeadlineSeconds")
        started = container.started_at
        if deadline is None or started is None or container.stopping:
            return
        if (_now() - started).total_seconds() >= deadline:
            grace = run.pod["spec"].get("terminationGracePeriodSeconds", _DEFAULT_GRACE_SECONDS)
            container.stop(grace, reason=podstatus.DEADLINE_REASON)
            _log.info("Stopped container at its deadline", pod=run.pod["metadata"]["name"])

    def _report_end(self, run: _PodRun) -> None:
        termination = run.container.termination() if run.container is not None else None
        if termination is not None and run.reported != "terminated":
            self._write(run, podstatus.terminated(run.pod, termination), "terminated")
            _log.info(
                "Container ended", pod=run.pod["metadata"]["name"], exit_code=termination.exit_code
            )

    def _lost(self, run: _PodRun) -> None:
        moment = _now()
        termination = podstatus.Termination(
            exit_code=_LOST_EXIT_CODE,
            started_at=moment,
            finished_at=moment,
            message="the node agent restarted and the container's process is gone",
            reason="ContainerStatusUnknown",
        )
        self._write(run, podstatus.terminated(run.pod, termination), "terminated")

    def _write(self, run: _PodRun, status: Mapping[str, Any], reported: str) -> None:
        """Write the status unless it is what we last wrote; on failure the next pass retries."""
        if run.reported == reported:
            return
        self.api.patch_pod_status(run.pod, status)
        run.reported = reported

    def _forget(self, uid: str) -> None:
        with self._lock:
            run = self._runs.pop(uid, None)
        if run is None:
            return
        if run.container is not None:
            run.container.kill()
        shutil.rmtree(run.directory, ignore_errors=True)

    # -- environment, logs, heartbeat -------------------------------------------------------

    def _base_environment(self, pod: Mapping[str, Any]) -> dict[str, str]:
        """What an image and the kubelet would set before the Pod's own variables."""
        return {
            **self.base_environment,
            "HOSTNAME": pod["metadata"]["name"],
            "HOME": str(self.directory / "pods" / pod["metadata"]["uid"]),
        }

    def _find_log(self, namespace: str, name: str, container: str) -> ContainerLog | None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            metadata = run.pod["metadata"]
            local = run.container
            if (
                local is not None
                and local.name == container
                and (metadata["namespace"], metadata["name"]) == (namespace, name)
            ):
                return ContainerLog(local.log_path, _running_probe(local))
        return None

    def _beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now >= self._heartbeat.lease_due:
            self.api.renew_lease(node.lease_manifest(self.node_name, now=_now()))
            self._heartbeat.lease_due = now + _LEASE_SECONDS
        if force or now >= self._heartbeat.status_due:
            status = node.node_status(
                log_port=self._log_server.port,
                now=_now(),
                boot_id=self._heartbeat.boot_id,
                machine_id=uuid.uuid5(uuid.NAMESPACE_DNS, self.node_name).hex,
            )
            self.api.patch_node_status(self.node_name, status)
            self._heartbeat.status_due = now + _NODE_STATUS_SECONDS


def _relist_on_error(event_type: str) -> None:
    if event_type == "ERROR":
        raise _Relist


def _running_probe(container: containers.LocalContainer) -> Callable[[], bool]:
    return lambda: container.running


class _Relist(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The watch reported an error event (usually 410 Gone): list again."""
