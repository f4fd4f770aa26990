"""Starts `scheduledjob-nodeagent` as a child process and waits until its Node is Ready.

Tests and the demo run the agent in its own process so that the processes it starts for Pods
die with it (each is tied to the agent by PDEATHSIG) and a crash in one cannot take the other
down.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from scheduledjob_dev.errors import ControlPlaneError
from scheduledjob_dev.nodeagent.cli import DEFAULT_NODE_NAME
from scheduledjob_dev.processes import ManagedProcess

_POLL_SECONDS = 0.2


def _agent_command() -> str:
    beside_interpreter = Path(sys.executable).parent / "scheduledjob-nodeagent"
    return str(beside_interpreter) if beside_interpreter.exists() else "scheduledjob-nodeagent"


class NodeAgentProcess:
    """The agent running against `kubeconfig`; a context manager."""

    def __init__(
        self,
        kubeconfig: Path,
        *,
        node_name: str = DEFAULT_NODE_NAME,
        startup_timeout_seconds: float = 30.0,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.node_name = node_name
        self.startup_timeout_seconds = startup_timeout_seconds
        self.directory = Path(tempfile.mkdtemp(prefix="scheduledjob-nodeagent-"))
        self._process: ManagedProcess | None = None

    @property
    def log_path(self) -> Path:
        """The agent's own log (JSON lines)."""
        return self.directory / "agent.log"

    def start(self) -> None:
        """Start the agent and return once the API server shows its Node Ready."""
        self._process = ManagedProcess(
            "scheduledjob-nodeagent",
            [
                _agent_command(),
                f"--kubeconfig={self.kubeconfig}",
                f"--node-name={self.node_name}",
                f"--directory={self.directory / 'work'}",
            ],
            self.log_path,
        )
        try:
            self._wait_ready(self._process)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM the agent (it kills its Pods' processes and deletes its Node)."""
        if self._process is not None:
            self._process.stop(grace_seconds=15)
            self._process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self) -> str:
        """The end of the agent's log, for failure messages."""
        return self._process.log_tail() if self._process is not None else ""

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

    def _wait_ready(self, process: ManagedProcess) -> None:
        from kubernetes import client, config  # noqa: PLC0415 - keep import time low

        api: Any = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(self.kubeconfig)
        )
        core = client.CoreV1Api(api)
        deadline = time.monotonic() + self.startup_timeout_seconds
        try:
            while not self._node_ready(core):
                code = process.exit_code()
                if code is not None:
                    message = f"the node agent exited with {code}:\n{process.log_tail()}"
                    raise ControlPlaneError(message)
                if time.monotonic() > deadline:
                    message = (
                        f"Node {self.node_name} was not Ready after "
                        f"{self.startup_timeout_seconds}s:\n{process.log_tail()}"
                    )
                    raise ControlPlaneError(message)
                time.sleep(_POLL_SECONDS)
        finally:
            api.close()

    def _node_ready(self, core: Any) -> bool:
        nodes = core.list_node(field_selector=f"metadata.name={self.node_name}").items
        conditions = (nodes[0].status.conditions or []) if nodes else []
        return any(c.type == "Ready" and c.status == "True" for c in conditions)
