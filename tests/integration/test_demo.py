"""The README's run command: the demo brings everything up, runs the samples, and cleans up.

It starts its own control plane, monitoring, node agent and operator (independent of the
test session's), so this runs it exactly as a user would, bounded by `--duration`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SUCCEEDING = (
    "data-cleanup",
    "report-generation-monthly",
    "report-generation-weekly",
    "subscription-grace-period",
)


def _process_mentions(text: str) -> list[str]:
    """Command lines and environments of live processes that contain `text`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        for part in ("cmdline", "environ"):
            try:
                content = (proc / part).read_bytes().decode(errors="replace")
            except OSError:
                continue
            if text in content:
                found.append(f"{proc.name}: {content[:200]}")
    return found


@pytest.mark.cluster
def test_the_demo_runs_the_samples_and_leaves_nothing_behind() -> None:
    """Every sample is Ready, the first runs succeed, and on exit no process or file remains."""
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "scheduledjob-demo"), "--duration", "40"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert 0 == completed.returncode, completed.stderr[-3000:]
    output = completed.stdout
    final_table = output.split("ScheduledJobs in namespace demo at")[-1].split("\n\n")[0]
    rows = {line.split()[0]: line for line in final_table.splitlines()[2:]}
    for name in SUCCEEDING:
        assert re.search(rf"{name}-demo .* Succeeded", rows[name]), final_table
    assert all(" True " in row for row in rows.values()), final_table
    assert "Stopped; nothing is left running." in output
    [kubeconfig] = re.findall(r"export KUBECONFIG=(\S+)", output)
    directory = Path(kubeconfig).parent
    assert not directory.exists()
    assert [] == _process_mentions(str(directory))
