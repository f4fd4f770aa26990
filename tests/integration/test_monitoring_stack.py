"""The local monitoring stack is real: pushed metrics reach Prometheus, persistence survives."""

from __future__ import annotations

import re
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from scheduledjob_dev import workdirs
from scheduledjob_dev.errors import ControlPlaneError
from scheduledjob_dev.monitoring import (
    Prometheus,
    Pushgateway,
    QueryResult,
    ScrapeTarget,
)
from scheduledjob_dev.pytest_plugin import MonitoringStack

pytestmark = pytest.mark.monitoring
METRIC = "scheduledjob_test_value"


def _push(pushgateway: Pushgateway, job: str, value: float) -> None:
    """Push one gauge under `job`, from a fresh registry, the way a job run does."""
    registry = CollectorRegistry()
    Gauge(METRIC, "A value pushed by a test.", registry=registry).set(value)
    push_to_gateway(pushgateway.url, job=job, registry=registry)


def _unique_job() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _gateway_exposition(pushgateway: Pushgateway) -> str:
    """The Pushgateway's own /metrics text."""
    with urllib.request.urlopen(f"{pushgateway.url}/metrics", timeout=5) as response:  # noqa: S310
        text: str = response.read().decode()
        return text


def _wait_persisted(pushgateway: Pushgateway, job: str, timeout: float = 10.0) -> None:
    """Wait until the persistence file holds `job` (written at most every second)."""
    persistence_file = pushgateway.persistence_file
    assert persistence_file is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if persistence_file.exists() and job.encode() in persistence_file.read_bytes():
            return
        time.sleep(0.2)
    pytest.fail(f"{job} not in {persistence_file} after {timeout}s")


def test_prometheus_stack_tests_are_marked_monitoring(
    prometheus_stack: MonitoringStack, request: pytest.FixtureRequest
) -> None:
    """Using `prometheus_stack` marks a test `monitoring`."""
    assert "monitoring" in {marker.name for marker in request.node.iter_markers()}


def test_pushed_metric_is_scraped_with_its_own_job_label(
    prometheus_stack: MonitoringStack,
) -> None:
    """A gauge pushed to the Pushgateway is queryable in Prometheus under the pushed job."""
    job = _unique_job()
    _push(prometheus_stack.pushgateway, job, 42)

    result = prometheus_stack.prometheus.wait_for_query(f'{METRIC}{{job="{job}"}}', bool)

    assert 1 == len(result)
    assert job == result[0]["metric"]["job"]  # honor_labels: not the scrape job "pushgateway"
    assert "42" == result[0]["value"][1]


def test_pushgateway_is_scraped_up(prometheus_stack: MonitoringStack) -> None:
    """Prometheus scrapes the Pushgateway target successfully (`up` is 1)."""
    target = prometheus_stack.pushgateway.address

    result = prometheus_stack.prometheus.query(f'up{{instance="{target}"}}')

    assert [("pushgateway", "1")] == [(r["metric"]["job"], r["value"][1]) for r in result]


def test_restart_with_persistence_keeps_the_group(prometheus_stack: MonitoringStack) -> None:
    """A pushed group survives a Pushgateway restart on the same port, and is scraped again."""
    pushgateway, prometheus = prometheus_stack.pushgateway, prometheus_stack.prometheus
    job = _unique_job()
    url_before = pushgateway.url
    _push(pushgateway, job, 7)
    _wait_persisted(pushgateway, job)

    pushgateway.restart()
    restarted_at = time.time()

    assert url_before == pushgateway.url
    assert f'{METRIC}{{instance="",job="{job}"}} 7' in _gateway_exposition(pushgateway)

    def scraped_after_restart(result: QueryResult) -> bool:
        return bool(result) and float(result[0]["value"][1]) > restarted_at

    prometheus.wait_for_query(f'timestamp({METRIC}{{job="{job}"}})', scraped_after_restart)


def test_restart_without_persistence_forgets_groups() -> None:
    """Without persistence nothing survives a restart (Debian's default file is not used)."""
    job = _unique_job()
    with Pushgateway() as pushgateway:
        _push(pushgateway, job, 1)
        assert job in _gateway_exposition(pushgateway)

        pushgateway.restart()

        assert job not in _gateway_exposition(pushgateway)
        assert None is pushgateway.persistence_file


def test_stop_leaves_no_process_and_no_directory() -> None:
    """stop() ends both servers and deletes both directories."""
    with Pushgateway(persistence=True) as pushgateway:
        prometheus = Prometheus([pushgateway.scrape_target()])
        prometheus.start()
        started = {pushgateway.pid: pushgateway.directory, prometheus.pid: prometheus.directory}
        prometheus.stop()
    pushgateway.stop()  # a second stop is harmless

    assert [] == [pid for pid in started if workdirs.pid_alive(pid)]
    assert [] == [directory for directory in started.values() if directory.exists()]


def test_exception_inside_the_block_still_cleans_up() -> None:
    """Leaving the `with` block by an exception stops the process and removes the directory."""
    seen: list[tuple[int, Path]] = []

    def fail_inside() -> None:
        with Pushgateway() as pushgateway:
            seen.append((pushgateway.pid, pushgateway.directory))
            message = "boom"
            raise RuntimeError(message)

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()

    ((pid, directory),) = seen
    assert (False, False) == (workdirs.pid_alive(pid), directory.exists())


def test_early_exit_reports_the_log_tail() -> None:
    """A server that exits while starting raises ControlPlaneError with its last output."""
    broken = Prometheus([ScrapeTarget("nothing", "127.0.0.1:1")], scrape_interval="banana")

    with pytest.raises(ControlPlaneError, match="exited with code") as raised:
        broken.start()

    config_file = re.search(r"--config\.file=(\S+?)\)", str(raised.value))
    assert config_file is not None
    assert 'not a valid duration string: \\"banana\\"' in str(raised.value)
    assert False is Path(config_file.group(1)).parent.exists()


def test_missing_binaries_name_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the binaries on PATH the error says which Debian packages to install."""
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(
        ControlPlaneError, match="apt-get install prometheus prometheus-pushgateway"
    ):
        Pushgateway().start()


def test_query_error_raises_with_the_api_message(prometheus_stack: MonitoringStack) -> None:
    """A bad PromQL expression raises ControlPlaneError carrying Prometheus's error."""
    with pytest.raises(ControlPlaneError, match="bad_data"):
        prometheus_stack.prometheus.query("sum(")


def test_wait_for_query_times_out_with_the_last_result(prometheus_stack: MonitoringStack) -> None:
    """wait_for_query gives up after its timeout and says what it last saw."""
    with pytest.raises(ControlPlaneError, match=r"timed out after 0\.5s.*last result: \[\]"):
        prometheus_stack.prometheus.wait_for_query('absent_metric{job="x"}', bool, timeout=0.5)
