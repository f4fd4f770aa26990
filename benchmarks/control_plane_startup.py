"""How long the local control plane takes from start() to ready, and to stop.

    .venv/bin/python benchmarks/control_plane_startup.py [--runs 5] [--scheduler]

Ready means /readyz answers and the `default` ServiceAccount exists (what tests wait for).
"""

from __future__ import annotations

import argparse
import statistics
import time

from scheduledjob_dev import ControlPlane


def main() -> None:
    """Start and stop the control plane several times; print each time and the median."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scheduler", action="store_true")
    arguments = parser.parse_args()
    starts, stops = [], []
    for run in range(arguments.runs):
        plane = ControlPlane(with_scheduler=arguments.scheduler)
        plane.start()
        starts.append(plane.startup_seconds)
        stopped = time.monotonic()
        plane.stop()
        stops.append(time.monotonic() - stopped)
        print(f"run {run + 1}: ready in {starts[-1]:.2f}s, stopped in {stops[-1]:.2f}s", flush=True)
    print(
        f"startup median {statistics.median(starts):.2f}s (min {min(starts):.2f}s, "
        f"max {max(starts):.2f}s); stop median {statistics.median(stops):.2f}s"
    )


if __name__ == "__main__":
    main()
