"""Finds the control-plane binaries that `scripts/build-control-plane.sh` built and cached.

The build script is the single place that pins versions and names the cache directory; we ask
it (`--print-bin-dir`) rather than repeat that logic, unless `SCHEDULEDJOB_BIN_DIR` names a
directory explicitly.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scheduledjob_dev.errors import ControlPlaneError

BIN_DIR_VARIABLE = "SCHEDULEDJOB_BIN_DIR"
_REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = _REPOSITORY_ROOT / "scripts" / "build-control-plane.sh"


@dataclass(frozen=True)
class Binaries:
    """Paths of the executables a local control plane runs."""

    directory: Path

    def path(self, name: str) -> Path:
        """The executable `name`, or a ControlPlaneError that says how to build it."""
        candidate = self.directory / name
        if not os.access(candidate, os.X_OK):
            message = (
                f"{name} is not built in {self.directory}: run {BUILD_SCRIPT} "
                f"(or point {BIN_DIR_VARIABLE} at a directory holding it)"
            )
            raise ControlPlaneError(message)
        return candidate


def find_binaries() -> Binaries:
    """The directory of built binaries, from the environment or from the build script."""
    explicit = os.environ.get(BIN_DIR_VARIABLE)
    if explicit:
        return Binaries(Path(explicit))
    if not BUILD_SCRIPT.is_file():
        message = (
            f"cannot locate control-plane binaries: set {BIN_DIR_VARIABLE} "
            f"(no build script at {BUILD_SCRIPT})"
        )
        raise ControlPlaneError(message)
    completed = subprocess.run(
        ["bash", str(BUILD_SCRIPT), "--print-bin-dir"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Binaries(Path(completed.stdout.strip()))
