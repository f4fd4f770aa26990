"""Measure 5: the runtime's cold start, peak memory and telemetry overhead per run.

Reuses `runtime_startup.measure` (wall time and the child's own VmHWM, written at exit by a
sitecustomize hook). Series, each a median over `runs` rounds (every command once per round,
so load changes on a shared machine hit all alike) after one warm-up round:

- `python -c pass`: the floor, an interpreter that does nothing;
- `basejob run` of the no-op job locally (flags, no telemetry): the added start-up;
- the same as a Pod runs it (the environment contract's variables as the operator sets them,
  schedule included, a run UID) with telemetry off, with a push to a real local Pushgateway,
  with span export to an OTLP/HTTP receiver, and with both: the telemetry overhead.

By default the commands are those of the cached image-like venv (`runtime_startup`), as in
the runtime image; the report names the venv.

The job is `support.noop_job:NoOpJob`, alone in its module (PYTHONPATH=tests), so nothing but
the runtime is imported; `support.sample_jobs:NoOpJob` would add that module's imports.
"""

from __future__ import annotations

import os
import statistics
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from basejob import contract
from benchmarks import runtime_startup
from scheduledjob_dev.monitoring import Pushgateway

TESTS = Path(__file__).resolve().parents[1] / "tests"
JOB = "support.noop_job:NoOpJob"


@dataclass(frozen=True)
class Series:
    """Median seconds and peak RSS (MB, the largest over the runs) of one command."""

    name: str
    median_seconds: float
    peak_mb: float


@dataclass(frozen=True)
class RuntimeResult:
    """Every series, by key: floor, local, pod, push, trace, both."""

    runs: int
    series: dict[str, Series]
    interpreter: str

    def added(self, key: str, base: str) -> float:
        """Median seconds of `key` minus those of `base`."""
        return self.series[key].median_seconds - self.series[base].median_seconds


@dataclass(frozen=True)
class _Command:
    key: str
    name: str
    command: list[str]
    environment: Mapping[str, str]


def _interleaved(commands: list[_Command], runs: int) -> dict[str, Series]:
    """Each command once per round, `runs` rounds after a warm-up round.

    Round-robin rather than one series after another, so that a change in the load of a
    shared machine during the measurement shifts every series alike and the differences hold.
    """
    for command in commands:  # warm-up: page cache, .pyc files
        runtime_startup.measure(command.command, command.environment)
    samples: dict[str, list[tuple[float, float]]] = {command.key: [] for command in commands}
    for _ in range(runs):
        for command in commands:
            samples[command.key].append(
                runtime_startup.measure(command.command, command.environment)
            )
    return {
        command.key: Series(
            name=command.name,
            median_seconds=statistics.median(seconds for seconds, _ in samples[command.key]),
            peak_mb=max(peak for _, peak in samples[command.key]),
        )
        for command in commands
    }


def _pod_environment(base: Mapping[str, str]) -> dict[str, str]:
    """What the operator's Job template sets (builders.pod), for a run of the no-op job.

    The schedule too: every scheduled run parses it for its log lines' NextFireTime.
    """
    return {
        **base,
        contract.JOB: JOB,
        contract.SCHEDULEDJOB_NAMESPACE: "bench",
        contract.SCHEDULEDJOB_NAME: "noop",
        contract.CORRELATION_PREFIX: "noop",
        contract.SCHEDULE: "*/5 * * * *",
        contract.TIME_ZONE: "UTC",
        contract.POD_NAME: "noop-29000000-abcde",
        contract.RUN_NAME: "noop-29000000",
        contract.RUN_UID: str(uuid.uuid4()),
        contract.OTEL_SERVICE_NAME: "basejob",
        contract.OTEL_RESOURCE_ATTRIBUTES: (
            "k8s.namespace.name=bench,k8s.cronjob.name=noop,k8s.job.name=noop-29000000,"
            "k8s.pod.name=noop-29000000-abcde,scheduledjob.name=noop"
        ),
    }


def measure(runs: int, *, say: Callable[[str], None], venv: Path | None = None) -> RuntimeResult:
    """Every series, `runs` runs each, with the `python` and `basejob` of `venv`.

    The default is what a Pod runs: the cached image-like venv of `runtime_startup`, this
    checkout installed without dev extras (the dev venv's tools, rich above all, make
    structlog's import slower than any image's).
    """
    if venv is None:
        venv = runtime_startup.image_like_venv(say)
        say(f"runtime: measuring the image-like venv {venv}")
    else:
        say(f"runtime: measuring the given venv {venv}")
    sys.path.insert(0, str(TESTS))
    from support.otlp import (  # type: ignore[import-not-found]  # noqa: PLC0415
        OtlpReceiver,  # tests/ is not a package root: found through sys.path
    )

    bin_dir = venv / "bin"
    base = {
        key: value for key, value in os.environ.items() if not key.startswith(("BASEJOB_", "OTEL_"))
    }
    base.update({"PYTHONPATH": str(TESTS), contract.TERMINATION_MESSAGE_PATH_VARIABLE: "/dev/null"})
    basejob = [str(bin_dir / "basejob"), "run"]
    pod = _pod_environment(base)
    with Pushgateway() as gateway, OtlpReceiver() as receiver:
        push = {**pod, contract.PUSHGATEWAY_URL: gateway.url}
        trace = {**pod, contract.OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint}
        commands = [
            _Command("floor", "python -c pass", [str(bin_dir / "python"), "-c", "pass"], base),
            _Command("local", "basejob run (local, flags)", [*basejob, JOB], base),
            _Command("pod", "basejob run (Pod, telemetry off)", basejob, pod),
            _Command("push", "basejob run (Pod, + push)", basejob, push),
            _Command("trace", "basejob run (Pod, + span export)", basejob, trace),
            _Command("both", "basejob run (Pod, + push + span export)", basejob, {**push, **trace}),
        ]
        say(f"runtime: {len(commands)} commands, {runs} interleaved rounds")
        found = _interleaved(commands, runs)
        if not receiver.spans():
            message = "the OTLP receiver got no spans: the span export did not happen"
            raise RuntimeError(message)
    for series in found.values():
        say(f"runtime: {series.name}: {series.median_seconds * 1000:.0f} ms")
    return RuntimeResult(runs=runs, series=found, interpreter=str(bin_dir / "python"))
