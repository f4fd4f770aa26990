"""The runtime's cost per run: cold start and peak memory of `basejob run`, and push overhead.

    .venv/bin/python benchmarks/runtime_startup.py [--runs 10] [--venv /path/to/venv]

What a Pod runs is an image's plain install, so that is what is measured by default: a
virtualenv like the runtime image's (`python -m venv` + `pip install` of the runtime
distribution, runtime/, non-editable), created on first use and cached under
~/.cache/scheduledjob/ per runtime/pyproject.toml (`image_like_venv`). The dev virtualenv
carries dev tools (rich alone makes structlog's import ~100 ms slower); pass `--venv .venv` to
measure it anyway.

Compares, in the same run so the ratio means something on a shared machine:
- `python -c pass` (the floor: an interpreter that does nothing),
- `basejob run` of a job that does nothing, locally (no telemetry),
- the same with a real local Pushgateway (read, add, push of the run's metrics).
Targets from the runtime issue: under 0.3 s added start-up, under 60 MB peak memory.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from basejob import contract
from scheduledjob_dev.monitoring import Pushgateway

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
CACHE = Path.home() / ".cache" / "scheduledjob"
# The runtime distribution, what the runtime image installs: a change of its sources
# reinstalls it into the cached venv (not its dependencies: only its pyproject.toml changes
# those, and that file's hash names the venv).
RUNTIME = ROOT / "runtime"
_SOURCES = ("runtime/pyproject.toml", "runtime/basejob")


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


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _source_files() -> list[Path]:
    found: list[Path] = []
    for name in _SOURCES:
        path = ROOT / name
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def image_like_venv(say: Callable[[str], None] = print) -> Path:
    """A venv like the runtime image's: the runtime distribution installed non-editable.

    Cached as ~/.cache/scheduledjob/bench-runtime-venv-<hash of runtime/pyproject.toml>; the
    runtime is reinstalled (without touching its dependencies) when its sources changed, so
    the measured code is always this checkout's.
    """
    venv = CACHE / f"bench-runtime-venv-{_digest([RUNTIME / 'pyproject.toml'])}"
    stamp = venv / "installed-sources"
    sources = _digest(_source_files())
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-input"]
    if not (venv / "bin" / "basejob").exists():
        say(f"runtime: creating the image-like venv {venv} (pip install, a few minutes)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([*pip, str(RUNTIME)], check=True)
    elif not stamp.exists() or stamp.read_text() != sources:
        say(f"runtime: reinstalling this checkout into {venv}")
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(RUNTIME)], check=True)
    stamp.write_text(sources)
    return venv


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
        help="virtualenv whose basejob to measure (default: the cached image-like one)",
    )
    arguments = parser.parse_args()
    venv = arguments.venv or image_like_venv()
    print(f"venv: {venv}" + ("" if arguments.venv else " (image-like, cached by the benchmark)"))
    runs, bin_dir = arguments.runs, venv / "bin"
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
