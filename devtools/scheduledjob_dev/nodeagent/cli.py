"""`scheduledjob-nodeagent`: run the local node agent against a cluster until Ctrl-C.

Tests and the demo start it as a child process (so a run's processes die with it); it can also
be pointed at any development cluster whose API server accepts a Node without a kubelet.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from scheduledjob_dev.nodeagent.agent import NodeAgent
from scheduledjob_dev.nodeagent.nodeapi import NodeApi
from scheduledjob_operator.telemetry import logs

DEFAULT_NODE_NAME = "local-node"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scheduledjob-nodeagent",
        description=(
            "Play the kubelet's part for a local control plane: register a Node and run the "
            "Pods bound to it as local processes. A development tool, not a kubelet."
        ),
    )
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig of the cluster")
    parser.add_argument("--node-name", default=DEFAULT_NODE_NAME, help="the Node to register")
    parser.add_argument(
        "--directory",
        type=Path,
        default=None,
        help="where Pods' logs and volumes live (default: a new temporary directory)",
    )
    parser.add_argument(
        "--keep-node", action="store_true", help="leave the Node registered on exit"
    )
    return parser.parse_args(argv)


def base_environment() -> dict[str, str]:
    """What every container starts with: this interpreter's bin directory first on PATH."""
    interpreter_bin = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", os.defpath)
    return {"PATH": f"{interpreter_bin}{os.pathsep}{path}", "LANG": "C.UTF-8"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the agent until SIGINT or SIGTERM."""
    arguments = _parse(argv)
    logs.configure("json" if not sys.stderr.isatty() else "console")
    from kubernetes import config  # noqa: PLC0415 - only once arguments are valid

    api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=arguments.kubeconfig
    )
    api_client.configuration.connection_pool_maxsize = 16
    directory = arguments.directory or Path(tempfile.mkdtemp(prefix="scheduledjob-nodeagent-"))
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    agent = NodeAgent(
        NodeApi(api_client),
        node_name=arguments.node_name,
        directory=directory,
        base_environment=base_environment(),
    )
    agent.start()
    print(f"Node agent running as Node {arguments.node_name}; Pods under {directory}", flush=True)
    stop_requested.wait()
    agent.stop(delete_node=not arguments.keep_node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
