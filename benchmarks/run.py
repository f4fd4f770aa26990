"""The scale and cost benchmark of the operator and the runtime: one command, one report.

    .venv/bin/python -m benchmarks.run [--sizes 100,1000,5000] [--idle-seconds 300]
        [--latency-runs 100] [--output benchmarks/results.md] [--chart benchmarks/scale.png]

Needs the `bench` extra (`pip install -e '.[dev,bench]'`), the control-plane binaries
(scripts/setup.sh) and the Debian `prometheus-pushgateway`. Measures, against the real local
control plane and with each cost beside its limit from the same run:

1. reconcile throughput at each N against creating the same CronJobs directly (`scale.py`,
   its steps in `scale_phases.py`);
2. API writes per ScheduledJob, while idle and per resync pass (`scale.py`);
3. operator memory and CPU (`scale.py`);
4. status latency from a Job's completion to `status.lastRun` (`latency.py`);
5. the runtime's start-up, memory and telemetry overhead (`runtime.py`);
6. how late the operator starts runs of the schedules it triggers itself (`precision.py`).

A full run (5000, 300 s idle, 3 rounds) took 36 minutes on two cores; for development
use `--sizes 100 --idle-seconds 20 --latency-runs 10 --repeat 1`. Writes the markdown report
and the chart.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import tempfile
import traceback
from pathlib import Path

from benchmarks import latency, precision, report, runtime, scale

HERE = Path(__file__).resolve().parent
MEASURES = ("scale", "latency", "runtime", "precision")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated N values")
    parser.add_argument("--idle-seconds", type=float, default=300.0)
    parser.add_argument("--latency-runs", type=int, default=100)
    parser.add_argument(
        "--latency-concurrency", type=int, default=3, help="runs in flight at a time"
    )
    parser.add_argument("--runtime-runs", type=int, default=10)
    parser.add_argument(
        "--precision-scheduledjobs", type=int, default=100, help="sub-minute schedules at once"
    )
    parser.add_argument("--precision-seconds", type=float, default=150.0)
    parser.add_argument(
        "--runtime-venv",
        type=Path,
        help="virtualenv whose basejob to time (default: an image-like venv, "
        "`python -m venv` + `pip install .` without dev extras, cached under "
        "~/.cache/scheduledjob/bench-runtime-venv-<hash of pyproject.toml>)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="client threads creating objects"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timing rounds per size (each on a fresh control plane); the median ratio is reported",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    parser.add_argument("--chart", type=Path, default=HERE / "scale.png")
    parser.add_argument(
        "--measures", default=",".join(MEASURES), help=f"subset of {','.join(MEASURES)}"
    )
    parser.add_argument(
        "--logs", type=Path, help="keep the operator logs here (default: a temporary directory)"
    )
    return parser


def _say(message: str) -> None:
    print(f"{datetime.datetime.now():%H:%M:%S} {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen measures; write the report even when one of them fails."""
    arguments = _parser().parse_args(argv)
    measures = {part.strip() for part in arguments.measures.split(",") if part.strip()}
    sizes = [int(part) for part in arguments.sizes.split(",") if part.strip()]
    results = report.Results(
        command=shlex.join([".venv/bin/python", "-m", "benchmarks.run", *sys.argv[1:]]),
        started=datetime.datetime.now(datetime.UTC),
    )
    with tempfile.TemporaryDirectory(prefix="scheduledjob-bench-") as temporary:
        logs = arguments.logs or Path(temporary)
        logs.mkdir(parents=True, exist_ok=True)
        if "scale" in measures:
            for size in sizes:
                try:
                    results.scale.append(
                        scale.measure(
                            size,
                            concurrency=arguments.concurrency,
                            idle_seconds=arguments.idle_seconds,
                            workdir=logs,
                            say=_say,
                            repeat=arguments.repeat,
                        )
                    )
                except Exception as error:  # noqa: BLE001 - report it, go on with the rest
                    traceback.print_exc()
                    results.errors[f"scale N={size}"] = f"{type(error).__name__}: {error}"
        if "latency" in measures:
            try:
                results.latency = latency.measure(
                    arguments.latency_runs,
                    concurrency=arguments.latency_concurrency,
                    workdir=logs,
                    say=_say,
                )
            except Exception as error:  # noqa: BLE001
                traceback.print_exc()
                results.errors["latency"] = f"{type(error).__name__}: {error}"
        if "runtime" in measures:
            try:
                results.runtime = runtime.measure(
                    arguments.runtime_runs, say=_say, venv=arguments.runtime_venv
                )
            except Exception as error:  # noqa: BLE001
                traceback.print_exc()
                results.errors["runtime"] = f"{type(error).__name__}: {error}"
        if "precision" in measures:
            try:
                results.precision = precision.measure(
                    arguments.precision_scheduledjobs,
                    window_seconds=arguments.precision_seconds,
                    workdir=logs,
                    say=_say,
                )
            except Exception as error:  # noqa: BLE001
                traceback.print_exc()
                results.errors["precision"] = f"{type(error).__name__}: {error}"
    chart = arguments.chart if results.scale else None
    if chart is not None:
        report.write_chart(results.scale, chart)
    report.write_markdown(results, arguments.output, chart)
    _say(f"Wrote {arguments.output}" + (f" and {chart}" if chart else ""))
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
