"""`scheduledjob-operator`: the operator process (settings, logging, leadership, kopf).

Start-up order: read settings (a bad one stops us with its name), configure logs, wait for
leadership if enabled, then run kopf with our handlers until SIGTERM or lost leadership.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import sys
import threading
from collections.abc import Sequence

import kopf
import structlog
from kubernetes import config as kube_config

from scheduledjob_operator import handlers
from scheduledjob_operator import settings as settings_module
from scheduledjob_operator.controller import Controller
from scheduledjob_operator.domain.errors import ConfigurationError
from scheduledjob_operator.handlers import RECONCILE_THREADS
from scheduledjob_operator.machinery import cachedcluster, ownedwatch
from scheduledjob_operator.machinery.cachedcluster import CachedCluster
from scheduledjob_operator.machinery.leader import LeaderElector, LeaseConfig
from scheduledjob_operator.reconcile.reconciler import Reconciler
from scheduledjob_operator.settings import OperatorSettings
from scheduledjob_operator.telemetry import logs
from scheduledjob_operator.telemetry.metrics import OperatorMetrics
from scheduledjob_operator.telemetry.pushgateway import PushgatewayGroups

_log = structlog.get_logger(__name__)
EXIT_CONFIGURATION = 2
EXIT_LOST_LEADERSHIP = 3


def _api_client(namespaces: tuple[str, ...]) -> object:
    """A client from the in-cluster service account, or from KUBECONFIG outside a cluster."""
    try:
        kube_config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kube_config.ConfigException:
        try:
            kube_config.load_kube_config()  # type: ignore[no-untyped-call]
        except (kube_config.ConfigException, OSError) as error:
            message = (
                "no cluster credentials: not running in a Pod with a ServiceAccount, and the "
                f"kubeconfig (KUBECONFIG or ~/.kube/config) could not be loaded: {error}"
            )
            raise ConfigurationError(message) from error
    from kubernetes import client  # noqa: PLC0415 - configured just above

    configuration = client.Configuration.get_default_copy()
    # One connection per reconcile thread (handlers.configure_kopf sets 16), per Event thread
    # and per owned-object watch (CronJobs and Jobs, per watched namespace or for all), so
    # concurrent requests do not discard and reopen (and TLS-handshake) connections.
    watches = len(ownedwatch.OWNED_KINDS) * max(1, len(namespaces))
    configuration.connection_pool_maxsize = (
        RECONCILE_THREADS + cachedcluster.EVENT_THREADS + watches
    )
    return client.ApiClient(configuration)


async def _run_kopf(settings: OperatorSettings, memo: kopf.Memo, lost: threading.Event) -> None:
    """kopf until SIGTERM/SIGINT (kopf handles those) or until leadership is lost."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def stop_when_lost() -> None:
        lost.wait()
        loop.call_soon_threadsafe(stop.set)

    # An asyncio.Event: kopf waits for a threading.Event or concurrent Future in an executor
    # thread, and that thread would keep the process alive after SIGTERM.
    threading.Thread(target=stop_when_lost, name="leadership-watch", daemon=True).start()
    await kopf.operator(
        clusterwide=not settings.namespaces,
        namespaces=list(settings.namespaces),
        standalone=True,
        liveness_endpoint=(
            f"http://0.0.0.0:{settings.health_port}/healthz" if settings.health_port else None
        ),
        memo=memo,
        stop_flag=stop,
    )


class _StandbyHealth:
    """Answers /healthz while this replica waits for the Lease, so liveness probes pass.

    kopf serves /healthz once it runs; a standby runs no kopf yet. The port is handed over to
    kopf when leadership is acquired.
    """

    def __init__(self, port: int) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/healthz" else 404)
                self.end_headers()
                self.wfile.write(b"standby")

            def log_message(self, *_: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop answering and free the port."""
        self._server.shutdown()
        self._server.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the operator until stopped; the exit code says why it stopped."""
    _parse_arguments(argv)
    try:
        settings = settings_module.load()
    except ConfigurationError as error:
        print(f"scheduledjob-operator: invalid configuration: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION
    logs.configure(settings.log_format, settings.log_level)
    try:
        api_client = _api_client(settings.namespaces)
    except ConfigurationError as error:
        print(f"scheduledjob-operator: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION
    controller = _controller(settings, api_client)
    stop = threading.Event()
    lost = threading.Event()
    elector = _leader_elector(settings, api_client) if settings.leader_election else None
    if elector is not None and not _lead(elector, settings.health_port, stop=stop, lost=lost):
        return 0
    return _operate(settings, controller, elector, stop=stop, lost=lost)


def _parse_arguments(argv: Sequence[str] | None) -> None:
    """The command line takes no options; parsing it answers --help and rejects anything else."""
    parser = argparse.ArgumentParser(
        prog="scheduledjob-operator",
        description="Run the ScheduledJob operator until SIGTERM or SIGINT.",
        epilog="Configured by environment variables only (SCHEDULEDJOB_*, KUBECONFIG): see "
        "docs/operator.md.",
    )
    parser.parse_args(argv)


def _controller(settings: OperatorSettings, api_client: object) -> Controller:
    """The controller with its cache, reconciler and metrics (served here if enabled)."""
    cluster = CachedCluster(api_client)  # type: ignore[arg-type]
    metrics = OperatorMetrics.create()
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)
    reconciler = Reconciler(
        cluster,
        settings.run,
        scheduledjobs=metrics.scheduledjobs,
        run_counters=metrics.run_counters,
    )
    gateway = settings.run.pushgateway_url
    return Controller(
        reconciler,
        cluster,
        metrics,
        namespaces=settings.namespaces,
        pushgateway=PushgatewayGroups(gateway) if gateway else None,
    )


def _leader_elector(settings: OperatorSettings, api_client: object) -> LeaderElector:
    """The elector for this replica's Lease, as the settings name it."""
    return LeaderElector(
        api_client,  # type: ignore[arg-type]
        LeaseConfig(
            namespace=settings.leader_election_namespace,
            name=settings.leader_election_name,
            identity=settings.identity,
        ),
    )


def _lead(
    elector: LeaderElector, health_port: int, *, stop: threading.Event, lost: threading.Event
) -> bool:
    """Wait for the Lease, answering /healthz meanwhile, then keep renewing it in the background.

    False if `stop` was set before the Lease was acquired: this replica never led.
    """
    standby = _StandbyHealth(health_port) if health_port else None
    try:
        if not elector.acquire(stop):
            return False
    finally:
        if standby is not None:
            standby.close()
    elector.hold(lost, stop)
    return True


def _operate(
    settings: OperatorSettings,
    controller: Controller,
    elector: LeaderElector | None,
    *,
    stop: threading.Event,
    lost: threading.Event,
) -> int:
    """Run kopf until it stops, then give up the Lease unless it was lost already."""
    _log.info(
        "Starting operator",
        namespaces=list(settings.namespaces) or "all",
        handlers=handlers.__name__,
    )
    memo = kopf.Memo(controller=controller, resync_seconds=settings.resync_seconds)
    asyncio.run(_run_kopf(settings, memo, lost))
    if lost.is_set():
        return EXIT_LOST_LEADERSHIP
    stop.set()
    if elector is not None:
        elector.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
