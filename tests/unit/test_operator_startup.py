"""The operator refuses to start on bad configuration with a clear message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

OPERATOR = str(Path(sys.executable).parent / "scheduledjob-operator")


@pytest.mark.parametrize(
    ("environment", "fragment"),
    [
        ({"KUBECONFIG": "/nonexistent/kubeconfig"}, "no cluster credentials"),
        ({"SCHEDULEDJOB_METRICS_PORT": "eighty"}, "SCHEDULEDJOB_METRICS_PORT"),
    ],
    ids=["no-credentials", "bad-setting"],
)
def test_bad_configuration_exits_2_with_an_explanation(
    environment: dict[str, str], fragment: str
) -> None:
    """Exit code 2 and a message naming what is wrong."""
    completed = subprocess.run(
        [OPERATOR],
        env={
            **os.environ,
            "KUBECONFIG": "/nonexistent/kubeconfig",
            "SCHEDULEDJOB_METRICS_PORT": "0",
            "SCHEDULEDJOB_HEALTH_PORT": "0",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == completed.returncode
    assert fragment in completed.stderr
    assert "Traceback" not in completed.stderr
