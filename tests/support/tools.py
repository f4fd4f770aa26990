"""Command-line tools the unit tests run without a cluster: promtool and helm.

A missing tool skips the test that needs it, with the reason, rather than failing it.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

import pytest

from scheduledjob_dev.binaries import find_binaries
from scheduledjob_dev.errors import ControlPlaneError


@functools.cache
def _pinned_helm() -> str | None:
    try:
        return str(find_binaries().path("helm"))
    except (ControlPlaneError, subprocess.CalledProcessError):
        return None


def promtool() -> str:
    """Prometheus' promtool from PATH (Debian's `prometheus` package), else skip."""
    return shutil.which("promtool") or pytest.skip(
        "promtool is not installed (apt-get install prometheus)"
    )


def helm() -> str:
    """The helm that scripts/build-control-plane.sh pinned, else the one on PATH, else skip."""
    return (
        _pinned_helm()
        or shutil.which("helm")
        or pytest.skip("helm is not built (scripts/build-control-plane.sh) nor on PATH")
    )


def run(*arguments: str) -> str:
    """Run a tool; fail the test with its output when it exits non-zero."""
    result = subprocess.run(arguments, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert 0 == result.returncode, f"{' '.join(arguments)} failed:\n{output}"
    return result.stdout
