"""Starts and stops a real Prometheus and Pushgateway on loopback, in temporary directories.

Jobs push their metrics to a Pushgateway and Prometheus scrapes it; mocking either side would
hide the parts that go wrong in production (grouping keys, `honor_labels`, persistence across
a Pushgateway restart, scrape timing). So tests and the local demo run the real servers from
the Debian packages `prometheus` and `prometheus-pushgateway`, as `ControlPlane` runs a real
Kubernetes. Each server gets a free loopback port and its own directory (config, data, log),
never the system service's files or port. `stop()` leaves no process and no file behind.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from scheduledjob_dev import workdirs
from scheduledjob_dev.errors import ControlPlaneError
from scheduledjob_dev.processes import ManagedProcess

PUSHGATEWAY_BINARY = "prometheus-pushgateway"
PROMETHEUS_BINARY = "prometheus"
PUSHGATEWAY_JOB = "pushgateway"
_DIRECTORY_PREFIX = "scheduledjob-monitoring-"
_POLL_SECONDS = 0.1
_HTTP_TIMEOUT_SECONDS = 5.0

QueryResult = list[dict[str, Any]]


def remove_stale_directories(parent: Path | None = None) -> list[Path]:
    """Delete directories left by monitoring servers whose owning process was killed outright."""
    return workdirs.remove_stale_directories(_DIRECTORY_PREFIX, parent)


def find_binary(name: str) -> Path:
    """The executable `name` on PATH, or a ControlPlaneError saying how to install it."""
    found = shutil.which(name)
    if found is None:
        message = (
            f"{name} is not on PATH; install the Debian packages with "
            "`apt-get install prometheus prometheus-pushgateway` (or run scripts/setup.sh)"
        )
        raise ControlPlaneError(message)
    return Path(found)


def _http_ok(url: str) -> bool:
    """True when GET `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our loopback URL
            return bool(response.status == HTTPStatus.OK)
    except OSError:
        return False


class _LocalServer:
    """One server process on a loopback port, with its own directory; a context manager."""

    name = ""
    binary = ""

    def __init__(self, *, startup_timeout_seconds: float) -> None:
        self.startup_timeout_seconds = startup_timeout_seconds
        self.startup_seconds = 0.0
        self.port = 0
        self._directory: Path | None = None
        self._process: ManagedProcess | None = None

    # -- public surface -------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        """The temporary directory holding this server's configuration, data and log."""
        if self._directory is None:
            message = f"{self.name} is not started"
            raise ControlPlaneError(message)
        return self._directory

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`, the form Prometheus scrape targets take."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://{self.address}"

    @property
    def log_path(self) -> Path:
        """The server's combined stdout and stderr."""
        return self.directory / f"{self.name}.log"

    @property
    def pid(self) -> int:
        """The server's process ID."""
        if self._process is None:
            message = f"{self.name} is not running"
            raise ControlPlaneError(message)
        return self._process.pid

    def start(self) -> None:
        """Start the server on a free port and return once it reports ready."""
        binary = find_binary(self.binary)
        remove_stale_directories()
        self._directory = workdirs.owned_directory(f"{_DIRECTORY_PREFIX}{self.name}-")
        self.port = workdirs.free_port()
        self._run(binary)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and delete the directory."""
        self._stop_process()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- for subclasses -------------------------------------------------------------------

    def _command(self, binary: Path) -> list[str]:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Write whatever files the command refers to (before every process start)."""

    # -- process --------------------------------------------------------------------------

    def _run(self, binary: Path) -> None:
        """Start the process in the current directory and port; clean up fully on failure."""
        started = time.monotonic()
        try:
            self._prepare()
            self._process = ManagedProcess(self.name, self._command(binary), self.log_path)
            self._wait_ready(self._process, deadline=started + self.startup_timeout_seconds)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def _stop_process(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def _wait_ready(self, process: ManagedProcess, *, deadline: float) -> None:
        while True:
            code = process.exit_code()
            if code is not None:
                message = (
                    f"{self.name} exited with code {code} before {self.url}/-/ready answered; "
                    f"last output:\n{process.log_tail()}"
                )
                raise ControlPlaneError(message)
            if _http_ok(f"{self.url}/-/ready"):
                return
            if time.monotonic() > deadline:
                message = (
                    f"timed out waiting for {self.name} at {self.url}/-/ready after "
                    f"{self.startup_timeout_seconds}s; last output:\n{process.log_tail()}"
                )
                raise ControlPlaneError(message)
            time.sleep(_POLL_SECONDS)


@dataclass(frozen=True)
class ScrapeTarget:
    """One `host:port` for Prometheus to scrape under `job` (`honor_labels` for gateways)."""

    job: str
    address: str
    honor_labels: bool = False


class Pushgateway(_LocalServer):
    """A local Pushgateway; use as a context manager or call start()/stop()."""

    name = "pushgateway"
    binary = PUSHGATEWAY_BINARY

    def __init__(self, *, persistence: bool = False, startup_timeout_seconds: float = 30.0) -> None:
        super().__init__(startup_timeout_seconds=startup_timeout_seconds)
        self.persistence = persistence

    @property
    def persistence_file(self) -> Path | None:
        """Where pushed groups survive a restart, when constructed with `persistence=True`."""
        return self.directory / "pushgateway.data" if self.persistence else None

    def scrape_target(self, job: str = PUSHGATEWAY_JOB) -> ScrapeTarget:
        """This gateway as a Prometheus target, keeping the pushed `job`/`instance` labels."""
        return ScrapeTarget(job, self.address, honor_labels=True)

    def restart(self) -> None:
        """Stop and start again on the same port and persistence file (an outage, recovered)."""
        self.pause()
        self.resume()

    def pause(self) -> None:
        """Stop the server but keep its port, directory and persistence file (an outage)."""
        if self._directory is None:
            message = "the pushgateway is not started, so there is nothing to pause"
            raise ControlPlaneError(message)
        self._stop_process()

    def resume(self) -> None:
        """Start the paused server again on the same port (the outage is over)."""
        if self._directory is None:
            message = "the pushgateway is not started, so there is nothing to resume"
            raise ControlPlaneError(message)
        self._run(find_binary(self.binary))

    def _command(self, binary: Path) -> list[str]:
        # Debian's build defaults --persistence.file to /var/lib/prometheus/pushgateway.data,
        # the system service's file: always pass it, empty meaning "in memory only".
        persistence = self.persistence_file
        return [
            str(binary),
            f"--web.listen-address={self.address}",
            f"--persistence.file={persistence or ''}",
            "--persistence.interval=1s",
        ]


class Prometheus(_LocalServer):
    """A local Prometheus scraping `targets`; use as a context manager or call start()/stop()."""

    name = "prometheus"
    binary = PROMETHEUS_BINARY

    def __init__(
        self,
        targets: Sequence[ScrapeTarget],
        *,
        scrape_interval: str = "1s",
        rule_files: Sequence[Path] = (),
        startup_timeout_seconds: float = 60.0,
    ) -> None:
        super().__init__(startup_timeout_seconds=startup_timeout_seconds)
        self.targets = list(targets)
        self.scrape_interval = scrape_interval
        self.rule_files = [path.resolve() for path in rule_files]

    @property
    def config_file(self) -> Path:
        """The generated prometheus.yml."""
        return self.directory / "prometheus.yml"

    def query(self, promql: str) -> QueryResult:
        """Evaluate an instant query now; the API's `data.result` (a vector or a matrix)."""
        body = self._api_get("/api/v1/query", {"query": promql})
        data = body.get("data") or {}
        if data.get("resultType") not in {"vector", "matrix"}:
            message = (
                f"{promql!r} gave a {data.get('resultType')} result, not a list of series; "
                "wrap a scalar in vector(...)"
            )
            raise ControlPlaneError(message)
        result: QueryResult = data["result"]
        return result

    def wait_for_query(
        self,
        promql: str,
        predicate: Callable[[QueryResult], bool],
        timeout: float = 30.0,
    ) -> QueryResult:
        """Poll `query(promql)` until `predicate(result)` holds; return that result."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(promql)
            if predicate(result):
                return result
            if time.monotonic() > deadline:
                message = f"timed out after {timeout}s waiting on {promql!r}; last result: {result}"
                raise ControlPlaneError(message)
            time.sleep(_POLL_SECONDS * 2)

    def wait_for_first_scrapes(self, timeout: float = 30.0) -> QueryResult:
        """Wait until every target has been scraped once; the `up` series, one per target.

        Prometheus is ready well before it scrapes: its service discovery hands targets to the
        scrape manager at most every 5 seconds, so the first scrape comes 5-6 s after start.
        """
        expected = {(target.job, target.address) for target in self.targets}

        def all_scraped(result: QueryResult) -> bool:
            seen = {(series["metric"]["job"], series["metric"]["instance"]) for series in result}
            return expected <= seen

        return self.wait_for_query("up", all_scraped, timeout)

    def _api_get(self, path: str, parameters: dict[str, str]) -> dict[str, Any]:
        """GET an HTTP API path; the decoded body, or a ControlPlaneError with the API's error."""
        url = f"{self.url}{path}?{urllib.parse.urlencode(parameters)}"
        try:
            with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:  # 400/422/503 carry a JSON error body
            raw = error.read()
        except OSError as error:
            message = f"{self.name} at {self.url} did not answer {path}: {error}"
            raise ControlPlaneError(message) from error
        body = self._decode(raw, path)
        if body.get("status") != "success":
            message = (
                f"{self.name} {path} {parameters}: {body.get('errorType')}: {body.get('error')}"
            )
            raise ControlPlaneError(message)
        return body

    def _decode(self, raw: bytes, path: str) -> dict[str, Any]:
        with contextlib.suppress(ValueError):
            decoded = json.loads(raw)
            if isinstance(decoded, dict):
                return decoded
        message = f"{self.name} {path} answered something other than a JSON object: {raw[:200]!r}"
        raise ControlPlaneError(message)

    def _prepare(self) -> None:
        self.config_file.write_text(json.dumps(self._config(), indent=2) + "\n")

    def _config(self) -> dict[str, Any]:
        """The configuration (JSON, which is YAML too): static targets, rules, no alerting."""
        return {
            "rule_files": [str(path) for path in self.rule_files],
            "global": {
                "scrape_interval": self.scrape_interval,
                "scrape_timeout": self.scrape_interval,
                "evaluation_interval": self.scrape_interval,
            },
            "scrape_configs": [
                {
                    "job_name": job,
                    "honor_labels": honor_labels,
                    "static_configs": [{"targets": addresses}],
                }
                for (job, honor_labels), addresses in self._jobs().items()
            ],
        }

    def _jobs(self) -> dict[tuple[str, bool], list[str]]:
        """Target addresses grouped by job (Prometheus refuses a job name given twice)."""
        jobs: dict[tuple[str, bool], list[str]] = {}
        for target in self.targets:
            jobs.setdefault((target.job, target.honor_labels), []).append(target.address)
        names = [job for job, _ in jobs]
        if len(names) != len(set(names)):
            message = f"a job name appears with and without honor_labels: {self.targets}"
            raise ControlPlaneError(message)
        return jobs

    def _command(self, binary: Path) -> list[str]:
        # Every path is given, so nothing of the system service's (/etc/prometheus, /var/lib)
        # is read or written; the config has no alertmanagers, remote write or service discovery,
        # so the only connections Prometheus makes are scrapes of the given targets.
        return [
            str(binary),
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.directory / 'data'}",
            "--storage.tsdb.retention.time=1d",
            f"--web.listen-address={self.address}",
            f"--web.external-url={self.url}/",
            f"--web.console.templates={self.directory / 'consoles'}",
            f"--web.console.libraries={self.directory / 'console_libraries'}",
        ]
