"""The runtime's cost per run: cold start and peak memory of `basejob run`, and push overhead.

    .venv/bin/python benchmarks/runtime_startup.py [--runs 10] [--venv /path/to/venv]

The dev virtualenv carries dev tools (rich makes structlog import slower); for the figure an
image gets, measure a plain install: `python3 -m venv /tmp/rt && /tmp/rt/bin/pip install .`
and pass `--venv /tmp/rt`.

Compares, in the same run so the ratio means something on a shared machine:
- `python -c pass` (the floor: an interpreter that does nothing),
- `basejob run` of a job that does nothing, locally (no telemetry),
- the same with a real local Pushgateway (read, add, push of the run's metrics).
Targets from the runtime issue: under 0.3 s added start-up, under 60 MB peak memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from basejob import contract
from scheduledjob_operator.localcluster.monitoring import Pushgateway

TESTS = Path(__file__).resolve().parents[1] / "tests"


_REPORT_PEAK = """
import atexit, os

def _report_peak_memory():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(os.environ["BENCHMARK_PEAK_FILE"], "w") as out:
                    out.write(line.split()[1])

atexit.register(_report_peak_memory)
"""


def measure(command: list[str], environment: Mapping[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one run of `command`.

    Peak memory is the process's own VmHWM, written at exit by a sitecustomize hook: rusage
    of a child of this (large) process would include the parent's pages it held until exec.
    """
    with tempfile.TemporaryDirectory() as hook:
        Path(hook, "sitecustomize.py").write_text(_REPORT_PEAK)
        peak_file = Path(hook, "peak")
        paths = [hook, environment.get("PYTHONPATH", "")]
        env = {
            **environment,
            "PYTHONPATH": os.pathsep.join(p for p in paths if p),
            "BENCHMARK_PEAK_FILE": str(peak_file),
        }
        started = time.perf_counter()
        completed = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            message = f"{command} exited with {completed.returncode}"
            raise RuntimeError(message)
        return elapsed, float(peak_file.read_text()) / 1024


def series(
    name: str, command: list[str], environment: Mapping[str, str], runs: int
) -> tuple[float, float]:
    """Median seconds and max peak MB over `runs` runs (after one warm-up run)."""
    measure(command, environment)
    results = [measure(command, environment) for _ in range(runs)]
    seconds = statistics.median(r[0] for r in results)
    peak = max(r[1] for r in results)
    print(f"{name:<34} median {seconds * 1000:7.1f} ms   peak RSS {peak:6.1f} MB", flush=True)
    return seconds, peak


def main() -> None:
    """Print each series and the differences against the floor."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--venv",
        type=Path,
        default=Path(sys.executable).parent.parent,
        help="virtualenv whose basejob to measure (an image-like `pip install .` is fairest)",
    )
    arguments = parser.parse_args()
    runs, bin_dir = arguments.runs, arguments.venv / "bin"
    base = {
        **os.environ,
        "PYTHONPATH": str(TESTS),
        contract.TERMINATION_MESSAGE_PATH_VARIABLE: "/dev/null",
    }
    floor, _ = series("python -c pass", [str(bin_dir / "python"), "-c", "pass"], base, runs)
    noop = [str(bin_dir / "basejob"), "run", "support.noop_job:NoOpJob"]
    local, local_peak = series("basejob run NoOpJob (local)", noop, base, runs)
    with Pushgateway() as gateway:
        pushing = {
            **base,
            contract.PUSHGATEWAY_URL: gateway.url,
            contract.RUN_UID: str(uuid.uuid4()),
            contract.SCHEDULEDJOB_NAME: "bench",
        }
        pushed, pushed_peak = series("basejob run NoOpJob (+ push)", noop, pushing, runs)
    print(
        f"added start-up: {(local - floor) * 1000:.0f} ms (target < 300 ms); "
        f"push overhead: {(pushed - local) * 1000:.0f} ms; "
        f"peak RSS: {max(local_peak, pushed_peak):.0f} MB (target < 60 MB)"
    )


if __name__ == "__main__":
    main()
