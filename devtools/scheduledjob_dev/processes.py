"""Starting and stopping the control plane's child processes without leaving any behind.

Each child logs to its own file, dies with its parent (Linux `PR_SET_PDEATHSIG`, so even a
SIGKILLed test run leaves no server behind), and is stopped with SIGTERM, a grace period,
then SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1
_LOG_TAIL_BYTES = 4000


def die_with_parent() -> None:
    """Runs in the child between fork and exec: ask the kernel to kill us when the parent dies."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ManagedProcess:
    """One child process whose output goes to `log_path`."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log_path: Path,
        *,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self._popen = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=None if environment is None else dict(environment),
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            start_new_session=True,  # Ctrl-C reaches us, and we stop children in order
        )

    @property
    def pid(self) -> int:
        """The child's process ID."""
        return self._popen.pid

    def exit_code(self) -> int | None:
        """The exit code if the process has ended, else None."""
        return self._popen.poll()

    def log_tail(self) -> str:
        """The last few kilobytes of the process's output, for error messages."""
        with contextlib.suppress(OSError), self.log_path.open("rb") as log:
            log.seek(0, 2)
            size = log.tell()
            log.seek(max(0, size - _LOG_TAIL_BYTES))
            return log.read().decode("utf-8", errors="replace")
        return ""

    def stop(self, grace_seconds: float = 10.0) -> None:
        """SIGTERM, wait up to `grace_seconds`, then SIGKILL; always reaps the child."""
        if self._popen.poll() is None:
            self._popen.send_signal(signal.SIGTERM)
            try:
                self._popen.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
        self._log.close()
