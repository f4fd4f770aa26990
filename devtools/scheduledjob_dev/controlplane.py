"""Starts and stops a real Kubernetes control plane on loopback, in a temporary directory.

etcd, kube-apiserver (secure serving, RBAC, the default admission plugins including
ServiceAccount and PodSecurity, a service-account issuer), kube-controller-manager (so CronJobs
create Jobs, Jobs create Pods, garbage collection and namespace deletion work) and optionally
kube-scheduler. `stop()` leaves no process and no file behind; the context manager calls it
on every exit path, including Ctrl-C and test failures.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from scheduledjob_dev import certificates, kubeconfig, workdirs
from scheduledjob_dev.binaries import Binaries, find_binaries
from scheduledjob_dev.errors import ControlPlaneError
from scheduledjob_dev.processes import ManagedProcess

SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
DIRECTORY_PREFIX = "scheduledjob-cp-"
_POLL_SECONDS = 0.1


class ControlPlane:
    """A local Kubernetes control plane; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        with_scheduler: bool = False,
        binaries: Binaries | None = None,
        startup_timeout_seconds: float = 120.0,
    ) -> None:
        self.with_scheduler = with_scheduler
        self.startup_timeout_seconds = startup_timeout_seconds
        self._binaries = binaries
        self._processes: list[ManagedProcess] = []
        self._directory: Path | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self.server = ""
        self.startup_seconds = 0.0

    # -- public surface -------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        """The temporary directory holding certificates, data and logs."""
        if self._directory is None:
            message = "the control plane is not started"
            raise ControlPlaneError(message)
        return self._directory

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (credentials embedded, `system:masters`)."""
        return self.directory / "admin.kubeconfig"

    def start(self) -> None:
        """Start every component and return once the API serves and `default` SA exists."""
        started = time.monotonic()
        workdirs.remove_stale_directories(DIRECTORY_PREFIX)
        binaries = self._binaries or find_binaries()
        self._directory = workdirs.owned_directory(DIRECTORY_PREFIX)
        try:
            self._start_components(binaries, deadline=started + self.startup_timeout_seconds)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def stop(self) -> None:
        """Stop all components (the reverse of their start order) and delete every file."""
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def logs(self) -> dict[str, Path]:
        """Each running component's log file, by component name."""
        return {process.name: process.log_path for process in self._processes}

    def pids(self) -> dict[str, int]:
        """Each running component's process ID, by component name."""
        return {process.name: process.pid for process in self._processes}

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def restart(self, name: str, *, down_seconds: float = 0.0) -> None:
        """Stop one component (`etcd`, `kube-apiserver`, ...) and start it again unchanged.

        For fault tests: the same command (ports, data, certificates), a fresh log file, and
        back only once the API server answers /readyz again.
        """
        index = next((i for i, process in enumerate(self._processes) if process.name == name), None)
        if index is None:
            message = f"no component {name!r} runs in this control plane"
            raise ControlPlaneError(message)
        old = self._processes[index]
        old.stop()
        time.sleep(down_seconds)
        log_path = old.log_path.with_name(f"{name}-{time.monotonic_ns()}.log")
        self._processes[index] = ManagedProcess(name, old.command, log_path)
        deadline = time.monotonic() + self.startup_timeout_seconds
        self._wait_until("kube-apiserver /readyz", self._api_ready, deadline=deadline)

    # -- components -----------------------------------------------------------------------

    def _start_components(self, binaries: Binaries, *, deadline: float) -> None:
        directory = self.directory
        pki = certificates.generate_pki(directory)
        self._ssl_context = ssl.create_default_context(cafile=str(pki.ca_cert))
        self._ssl_context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))

        etcd_url = self._start_etcd(binaries, deadline=deadline)
        api_port = workdirs.free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        self._spawn(
            "kube-apiserver",
            [
                str(binaries.path("kube-apiserver")),
                f"--etcd-servers={etcd_url}",
                f"--secure-port={api_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                # Kubernetes refuses loopback addresses in the `kubernetes` Service's
                # endpoints; nothing in-cluster can reach a loopback API server anyway.
                "--endpoint-reconciler-type=none",
                f"--cert-dir={directory}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                # Privileged Pods are allowed by the API in general, so that Pod Security
                # admission (not this flag) is what refuses them in restricted namespaces.
                "--allow-privileged=true",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                f"--service-account-issuer={self.server}",
                f"--service-account-key-file={pki.service_account_public_key}",
                f"--service-account-signing-key-file={pki.service_account_key}",
                "--profiling=false",
            ],
        )
        self._wait_until("kube-apiserver /readyz", self._api_ready, deadline=deadline)
        kubeconfig.write_admin_kubeconfig(self.kubeconfig, server=self.server, pki=pki)

        self._spawn(
            "kube-controller-manager",
            [
                str(binaries.path("kube-controller-manager")),
                *self._client_flags(),
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={pki.service_account_key}",
                f"--root-ca-file={pki.ca_cert}",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                "--controllers=*",
            ],
        )
        if self.with_scheduler:
            self._spawn(
                "kube-scheduler",
                [
                    str(binaries.path("kube-scheduler")),
                    *self._client_flags(),
                    "--leader-elect=false",
                ],
            )
        self._wait_until(
            "the default ServiceAccount", self._default_service_account_exists, deadline=deadline
        )

    def _start_etcd(self, binaries: Binaries, *, deadline: float) -> str:
        client_url = f"http://127.0.0.1:{workdirs.free_port()}"
        peer_url = f"http://127.0.0.1:{workdirs.free_port()}"
        self._spawn(
            "etcd",
            [
                str(binaries.path("etcd")),
                f"--data-dir={self.directory / 'etcd'}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                # A throwaway test store: durability is not worth the fsync latency.
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
        )

        def etcd_healthy() -> bool:
            body = self._get_json(f"{client_url}/health", tls=False)
            return body is not None and body.get("health") == "true"

        self._wait_until("etcd /health", etcd_healthy, deadline=deadline)
        return client_url

    def _client_flags(self) -> list[str]:
        """Flags a controller needs to talk to, and authenticate callers against, the API."""
        config = str(self.kubeconfig)
        return [
            f"--kubeconfig={config}",
            f"--authentication-kubeconfig={config}",
            f"--authorization-kubeconfig={config}",
            "--bind-address=127.0.0.1",
            f"--secure-port={workdirs.free_port()}",
        ]

    def _spawn(self, name: str, command: list[str]) -> None:
        log_path = self.directory / f"{name}.log"
        self._processes.append(ManagedProcess(name, command, log_path))

    # -- readiness ------------------------------------------------------------------------

    def _get_json(self, url: str, *, tls: bool = True) -> dict[str, object] | None:
        """GET `url` and decode JSON; None while the server is not (yet) answering 200."""
        context = self._ssl_context if tls else None
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310
                body = response.read()
        except (OSError, urllib.error.URLError):
            return None
        with contextlib.suppress(ValueError):
            decoded = json.loads(body)
            if isinstance(decoded, dict):
                return decoded
        return {"raw": body.decode("utf-8", errors="replace")}

    def _api_ready(self) -> bool:
        return self._get_json(f"{self.server}/readyz") is not None

    def _default_service_account_exists(self) -> bool:
        url = f"{self.server}/api/v1/namespaces/default/serviceaccounts/default"
        return self._get_json(url) is not None

    def _wait_until(self, what: str, ready: Callable[[], bool], *, deadline: float) -> None:
        while True:
            for process in self._processes:
                code = process.exit_code()
                if code is not None:
                    message = (
                        f"{process.name} exited with code {code} while waiting for {what}; "
                        f"last output:\n{process.log_tail()}"
                    )
                    raise ControlPlaneError(message)
            if ready():
                return
            if time.monotonic() > deadline:
                message = f"timed out waiting for {what} after {self.startup_timeout_seconds}s"
                raise ControlPlaneError(message)
            time.sleep(_POLL_SECONDS)
