"""Free loopback ports and owned temporary directories, shared by every local server we run.

Each server (control plane, Pushgateway, Prometheus) works in a temp directory that records
the owning process; a directory whose owner was killed outright (SIGKILL, so no cleanup ran)
is removed by the next start.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

OWNER_FILE = "owner.pid"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pid_alive(pid: int) -> bool:
    """Whether a process with this ID exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owned_directory(prefix: str) -> Path:
    """A fresh temp directory marked as owned by this process."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    (directory / OWNER_FILE).write_text(str(os.getpid()))
    return directory


def remove_stale_directories(prefix: str, parent: Path | None = None) -> list[Path]:
    """Delete `prefix*` directories whose owning process is gone; return what was removed."""
    parent = parent or Path(tempfile.gettempdir())
    removed = []
    for directory in parent.glob(f"{prefix}*"):
        try:
            pid = int((directory / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not pid_alive(pid):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed
