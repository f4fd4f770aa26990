"""Child processes of the local control plane never outlive it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scheduledjob_dev import binaries, workdirs
from scheduledjob_dev.errors import ControlPlaneError
from scheduledjob_dev.processes import ManagedProcess


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def _wait_dead(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_stop_escalates_to_sigkill_when_sigterm_is_ignored(tmp_path: Path) -> None:
    """A child that ignores SIGTERM is killed after the grace period."""
    ignore_term = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    )
    process = ManagedProcess("stubborn", [sys.executable, "-c", ignore_term], tmp_path / "log")
    time.sleep(0.3)  # let it install the handler
    started = time.monotonic()
    process.stop(grace_seconds=0.5)
    assert process.exit_code() == -9
    assert time.monotonic() - started < 5


def test_children_die_when_the_parent_is_killed(tmp_path: Path) -> None:
    """A SIGKILLed parent (a crashed test run) takes its control-plane children with it."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from scheduledjob_dev.processes import ManagedProcess
        child = ManagedProcess("sleeper", ["sleep", "60"], Path({str(tmp_path / "log")!r}))
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    parent.kill()
    parent.wait()
    assert _wait_dead(child_pid)


def test_log_tail_returns_the_end_of_the_output(tmp_path: Path) -> None:
    """Error messages can quote what a dead component printed last."""
    process = ManagedProcess("echo", ["sh", "-c", "echo first; echo last-line"], tmp_path / "log")
    deadline = time.monotonic() + 10
    while process.exit_code() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.stop()
    assert process.log_tail().endswith("last-line\n")


def test_missing_binary_says_how_to_build_it(tmp_path: Path) -> None:
    """Asking for an unbuilt binary names the build script."""
    with pytest.raises(ControlPlaneError, match=r"build-control-plane\.sh"):
        binaries.Binaries(tmp_path).path("kube-apiserver")


def test_stale_directories_of_dead_owners_are_removed(tmp_path: Path) -> None:
    """Left-overs of a killed run are cleaned; a live owner's directory is kept."""
    stale = tmp_path / "scheduledjob-cp-stale"
    stale.mkdir()
    (stale / "owner.pid").write_text("999999999")
    live = tmp_path / "scheduledjob-cp-live"
    live.mkdir()
    (live / "owner.pid").write_text(str(os.getpid()))
    assert [stale] == workdirs.remove_stale_directories("scheduledjob-cp-", tmp_path)
    assert live.exists()
