"""Runs one container as a local process: its command, environment, log and termination message.

There is no container runtime here, so the container's `command` and `args` run directly from
the local environment, where the image's entrypoint (`basejob`) is installed. Each container
gets a directory holding its log (what `kubectl logs` serves), its termination-message file and
its emptyDir volumes. Stopping follows the container runtime's contract: SIGTERM to the main
process, SIGKILL to the whole process group once the grace period is over.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from basejob import contract
from scheduledjob_dev.nodeagent import podenv, podstatus
from scheduledjob_dev.processes import die_with_parent

TERMINATION_MESSAGE_LIMIT = 4096
FALLBACK_LOG_LINES = 80
FALLBACK_LOG_BYTES = 2048


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def exit_code_of(returncode: int) -> int:
    """A process's exit code as a container runtime reports it (128 + signal when killed)."""
    return 128 - returncode if returncode < 0 else returncode


def _tail(path: Path, *, lines: int, limit: int) -> str:
    with contextlib.suppress(OSError):
        text = path.read_bytes()[-64 * 1024 :].decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])[-limit:]
    return ""


class LocalContainer:
    """One container of a Pod, run as a process in its own session."""

    def __init__(self, pod: Mapping[str, Any], container: Mapping[str, Any], directory: Path):
        self.name = str(container["name"])
        self.directory = directory
        self.argv = [*container.get("command", []), *container.get("args", [])]
        self.working_dir = container.get("workingDir") or str(directory)
        self.termination_message_path = directory / "termination-log"
        self.fallback_to_logs = container.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        self.volumes = {
            mount["mountPath"]: directory / "volumes" / mount["name"]
            for mount in container.get("volumeMounts") or []
            if any(
                volume["name"] == mount["name"] and "emptyDir" in volume
                for volume in pod["spec"].get("volumes") or []
            )
        }
        self.started_at: datetime.datetime | None = None
        self.finished_at: datetime.datetime | None = None
        self.stop_reason = ""
        self._kill_at: float | None = None
        self._popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """The container's combined stdout and stderr."""
        return self.directory / f"{self.name}.log"

    def start(self, environment: Mapping[str, str], *, on_exit: Callable[[], None]) -> None:
        """Start the process; `on_exit` is called from a watcher thread when it ends.

        Raises OSError (the command cannot run: StartError) and ValueError (no command).
        """
        if not self.argv:
            message = (
                "the container has no command; the local agent cannot read an image's "
                "entrypoint, so set `command` (ScheduledJob containers run `basejob run`)"
            )
            raise ValueError(message)
        environment = dict(environment)
        self.argv = [podenv.expand(argument, environment) for argument in self.argv]
        for mount_path, volume in self.volumes.items():
            volume.mkdir(parents=True, exist_ok=True)
            if mount_path == "/tmp":  # noqa: S108 - the emptyDir mounted at /tmp in the Pod
                environment["TMPDIR"] = str(volume)
        # The agent cannot mount a file at terminationMessagePath (/dev/termination-log), so
        # it points the runtime at the container's own file through the contract's override.
        environment[contract.TERMINATION_MESSAGE_PATH_VARIABLE] = str(self.termination_message_path)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.started_at = _now()
        try:
            self._popen = subprocess.Popen(  # the Pod's own command, by design
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                cwd=self.working_dir,
                env=environment,
                executable=self._resolve(self.argv[0], environment),
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
                start_new_session=True,
            )
        except BaseException:
            self._log.close()
            raise
        threading.Thread(target=self._watch, args=(self._popen, on_exit), daemon=True).start()

    @staticmethod
    def _resolve(command: str, environment: Mapping[str, str]) -> str:
        """`command` looked up on the container's PATH, as a runtime does."""
        if "/" in command:
            return command
        for directory in environment.get("PATH", os.defpath).split(os.pathsep):
            candidate = Path(directory) / command
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
        message = f'exec: "{command}": executable file not found in $PATH'
        raise FileNotFoundError(message)

    def _watch(self, popen: subprocess.Popen[bytes], on_exit: Callable[[], None]) -> None:
        popen.wait()
        self.finished_at = _now()
        if self._log is not None:
            self._log.close()
        on_exit()

    @property
    def running(self) -> bool:
        """Whether the process has started and not ended."""
        return self._popen is not None and self.finished_at is None

    @property
    def stopping(self) -> bool:
        """Whether stop() was called and the process has not ended yet."""
        return self._kill_at is not None and self.running

    def stop(self, grace_seconds: float, *, reason: str = "") -> None:
        """Send SIGTERM now; `tick()` sends SIGKILL when `grace_seconds` have passed."""
        if self._popen is None or not self.running or self._kill_at is not None:
            return
        self.stop_reason = reason
        self._kill_at = time.monotonic() + max(grace_seconds, 0)
        with contextlib.suppress(ProcessLookupError):
            self._popen.send_signal(signal.SIGTERM)

    def tick(self) -> None:
        """SIGKILL the process group if its grace period is over."""
        if self._popen is not None and self.stopping and time.monotonic() >= (self._kill_at or 0):
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group at once."""
        if self._popen is not None and self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._popen.pid, signal.SIGKILL)

    def termination(self) -> podstatus.Termination | None:
        """How it ended, once it has (None while it runs)."""
        if self._popen is None or self.finished_at is None or self.started_at is None:
            return None
        code = exit_code_of(self._popen.returncode)
        return podstatus.Termination(
            exit_code=code,
            started_at=self.started_at,
            finished_at=self.finished_at,
            message=self._termination_message(code),
            pod_reason=self.stop_reason,
        )

    def _termination_message(self, code: int) -> str:
        message = ""
        with contextlib.suppress(OSError):
            raw = self.termination_message_path.read_bytes()[:TERMINATION_MESSAGE_LIMIT]
            message = raw.decode("utf-8", errors="replace")
        if not message and code != 0 and self.fallback_to_logs:
            message = _tail(self.log_path, lines=FALLBACK_LOG_LINES, limit=FALLBACK_LOG_BYTES)
        return message


def start_error(error: BaseException) -> podstatus.Termination:
    """The termination a runtime reports for a container that could not start (exit 128)."""
    moment = _now()
    return podstatus.Termination(
        exit_code=podstatus.EXIT_START_ERROR,
        started_at=moment,
        finished_at=moment,
        message=str(error),
        reason="StartError",
    )
