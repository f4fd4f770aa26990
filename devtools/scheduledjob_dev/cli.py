"""`scheduledjob-localcluster`: run a local control plane in the foreground until Ctrl-C.

This is what the README's run command starts: it prints how to reach the API server and
cleans up everything when interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from scheduledjob_dev.binaries import find_binaries
from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.errors import ControlPlaneError


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scheduledjob-localcluster",
        description="Run a real local Kubernetes control plane on loopback until interrupted.",
    )
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not start kube-scheduler (Pods then stay unbound)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the control plane, print how to use it, block until SIGINT/SIGTERM."""
    arguments = _parse(argv)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        with ControlPlane(with_scheduler=not arguments.no_scheduler) as plane:
            kubectl = find_binaries().path("kubectl")
            print(
                f"Local control plane ready in {plane.startup_seconds:.1f}s at {plane.server}\n"
                f"  export KUBECONFIG={plane.kubeconfig}\n"
                f"  {kubectl} get --raw /version\n"
                f"  logs: {plane.directory}\n"
                "Press Ctrl-C to stop; everything is removed on exit.",
                flush=True,
            )
            stop_requested.wait()
            print("Stopping the local control plane.", flush=True)
    except ControlPlaneError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
