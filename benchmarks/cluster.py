"""What every cluster benchmark needs: a client, the CRD, namespaces, the operator, a watch.

The operator runs as its console script in its own process (as in production and in the
integration tests), so its memory and CPU can be read from /proc without counting ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from prometheus_client.parser import text_string_to_metric_families

from scheduledjob_api import v1alpha1
from scheduledjob_dev import workdirs
from scheduledjob_dev.demo.stack import install_crd
from scheduledjob_dev.processes import ManagedProcess

__all__ = ["ObjectWatch", "Operator", "api_client", "install_crd", "scheduledjob", "wait_until"]

REPOSITORY = Path(__file__).resolve().parents[1]
TESTS = REPOSITORY / "tests"
NEVER_SOON = "0 0 1 1 *"  # one fire time a year: the CronJob controller stays quiet
_GONE = 410


def wait_until(what: str, probe: Callable[[], Any], *, timeout: float, every: float = 0.2) -> Any:
    """Poll `probe` until it returns something truthy; TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            message = f"timed out after {timeout:.0f}s waiting for {what}"
            raise TimeoutError(message)
        time.sleep(every)


def api_client(kubeconfig: Path, *, pool_size: int = 10) -> Any:
    """A client of the kubeconfig's cluster whose connection pool fits `pool_size` threads."""
    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig), client_configuration=configuration
    )
    configuration.connection_pool_maxsize = pool_size
    return client.ApiClient(configuration)


def create_namespace(api: Any, name: str) -> None:
    """Create the namespace and wait for its `default` ServiceAccount (Pods need it)."""
    core: Any = client.CoreV1Api(api)  # JSON in, models out
    core.create_namespace({"metadata": {"name": name}})
    wait_until(
        f"the default ServiceAccount in {name}",
        lambda: (
            core.list_namespaced_service_account(name, field_selector="metadata.name=default").items
        ),
        timeout=60,
    )


def wait_served(api: Any) -> None:
    """Until ScheduledJobs can be listed: a new CRD's storage answers 429 while it starts."""

    def listed() -> bool:
        try:
            client.CustomObjectsApi(api).list_cluster_custom_object(
                v1alpha1.GROUP, v1alpha1.VERSION, v1alpha1.PLURAL, _preload_content=False
            )
        except ApiException:
            return False
        return True

    wait_until("ScheduledJobs to be served", listed, timeout=60)


def ready_for_generation(item: Mapping[str, Any]) -> bool:
    """Ready=True for the object's current generation, with a CronJob named in status (or the
    operator starting the runs itself)."""
    status = item.get("status") or {}
    generation = item["metadata"].get("generation")
    scheduled = bool(status.get("cronJobName")) or status.get("scheduledBy") == "Operator"
    return scheduled and any(
        condition.get("type") == "Ready"
        and condition.get("status") == "True"
        and condition.get("observedGeneration") == generation
        for condition in status.get("conditions") or []
    )


def wait_ready(api: Any, namespace: str, name: str, *, timeout: float) -> dict[str, Any]:
    """Until the ScheduledJob is ready for its generation; the object."""
    objects: Any = client.CustomObjectsApi(api)

    def ready() -> dict[str, Any] | None:
        item: dict[str, Any] = objects.get_namespaced_custom_object(
            v1alpha1.GROUP, v1alpha1.VERSION, namespace, v1alpha1.PLURAL, name
        )
        return item if ready_for_generation(item) else None

    found: dict[str, Any] = wait_until(f"ScheduledJob {name} Ready", ready, timeout=timeout)
    return found


def scheduledjob(name: str, job: str, **spec: Any) -> dict[str, Any]:
    """A ScheduledJob manifest: `job` on a schedule that does not fire during a benchmark."""
    return {
        "apiVersion": v1alpha1.API_VERSION,
        "kind": v1alpha1.KIND,
        "metadata": {"name": name},
        "spec": {"job": job, "schedule": NEVER_SOON, **spec},
    }


def operator_environment(kubeconfig: Path, **settings: str) -> dict[str, str]:
    """The operator's SCHEDULEDJOB_* settings for a benchmark (overridable by keyword)."""
    return {
        "KUBECONFIG": str(kubeconfig),
        "SCHEDULEDJOB_LEADER_ELECTION": "false",
        "SCHEDULEDJOB_METRICS_PORT": str(workdirs.free_port()),
        "SCHEDULEDJOB_HEALTH_PORT": str(workdirs.free_port()),
        "SCHEDULEDJOB_DEFAULT_IMAGE": "registry.local/scheduledjob:bench",
        "SCHEDULEDJOB_DEFAULT_ADMIN_USER_ID": "admin-0",
        "SCHEDULEDJOB_LOG_FORMAT": "json",
        # Large, so the periodic resync stays out of the idle window (its cost is measured
        # on its own, by running one pass).
        "SCHEDULEDJOB_RESYNC_SECONDS": "3600",
        **settings,
    }


class Operator:
    """`scheduledjob-operator` as a child process; a context manager."""

    def __init__(self, environment: Mapping[str, str], log_path: Path) -> None:
        self.environment = dict(environment)
        self.log_path = log_path
        self._process: ManagedProcess | None = None

    @property
    def pid(self) -> int:
        """The operator's process ID (the console script is the Python process itself)."""
        if self._process is None:
            message = "the operator is not running"
            raise RuntimeError(message)
        return self._process.pid

    def start(self, *, timeout: float = 60) -> None:
        """Start it and wait for kopf's /healthz."""
        command = [str(Path(sys.executable).parent / "scheduledjob-operator")]
        self._process = ManagedProcess(
            "scheduledjob-operator",
            command,
            self.log_path,
            environment={**os.environ, **self.environment},
        )
        health = f"http://127.0.0.1:{self.environment['SCHEDULEDJOB_HEALTH_PORT']}/healthz"
        wait_until("the operator's /healthz", lambda: self._healthy(health), timeout=timeout)

    def _healthy(self, url: str) -> bool:
        if self._process is not None and self._process.exit_code() is not None:
            message = f"the operator exited:\n{self._process.log_tail()}"
            raise RuntimeError(message)
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                return bool(response.status == 200)  # noqa: PLR2004 - HTTP OK
        except OSError:
            return False

    def metric(self, name: str) -> float:
        """The sum of one of the operator's own metrics over its labels."""
        url = f"http://127.0.0.1:{self.environment['SCHEDULEDJOB_METRICS_PORT']}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name
        )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period."""
        if self._process is not None:
            self._process.stop(grace_seconds=30)
            self._process = None

    def __enter__(self) -> Operator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ObjectWatch:
    """Lists, then watches, one kind in one namespace, handing every object to `seen`.

    `seen(event_type, object)` runs on the watch's thread with the raw JSON object, at the
    moment the event arrives; a 410 (history compacted) re-lists, as informers do.
    """

    def __init__(
        self, list_call: Callable[..., Any], *args: Any, seen: Callable[[str, Any], None]
    ) -> None:
        self._list_call = list_call
        self._args = args
        self._seen = seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._version = ""

    def _relist(self) -> None:
        listed = json.loads(self._list_call(*self._args, _preload_content=False).data)
        for item in listed["items"]:
            self._seen("LISTED", item)
        self._version = listed["metadata"]["resourceVersion"]

    def _run(self) -> None:
        while not self._stop.is_set():
            watcher = watch.Watch()  # type: ignore[no-untyped-call]
            try:
                for event in watcher.stream(  # type: ignore[no-untyped-call]
                    self._list_call,
                    *self._args,
                    resource_version=self._version,
                    timeout_seconds=30,
                    deserialize=False,
                ):
                    if self._stop.is_set():
                        break
                    self._version = event["object"]["metadata"]["resourceVersion"]
                    self._seen(event["type"], event["object"])
            except ApiException as error:
                if error.status != _GONE:
                    raise
                self._relist()
            except (urllib3.exceptions.HTTPError, OSError):
                if self._stop.is_set():  # the cluster is going away with us
                    return
                time.sleep(0.5)  # a dropped connection: list again, as informers do
                self._relist()

    def start(self) -> ObjectWatch:
        """List (synchronously, so the caller knows the start state) and start watching."""
        self._relist()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the next event or within the watch timeout (the thread is a daemon)."""
        self._stop.set()


@contextlib.contextmanager
def watching(
    list_call: Callable[..., Any], *args: Any, seen: Callable[[str, Any], None]
) -> Iterator[ObjectWatch]:
    """An ObjectWatch started for the duration of the block."""
    started = ObjectWatch(list_call, *args, seen=seen).start()
    try:
        yield started
    finally:
        started.stop()
