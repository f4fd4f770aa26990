"""What each audience installs: the shipped wheels hold only their own package, and the
runtime's wheel alone, in a fresh virtualenv, has the runtime's dependency closure and runs a job.

Builds the wheels from the distributions' folders (pip, no build isolation: the project's
virtualenv has setuptools) and installs the runtime's from the package index as a job author's
image build would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SHIPPED = {
    "runtime": "basejob",
    "api": "scheduledjob_api",
    "client": "scheduledjob_client",
    "operator": "scheduledjob_operator",
    "examples": "basejob_examples",
}
# What a job author's install must not pull in: the operator's framework, the Kubernetes
# client, the example jobs' database library, the dev tools' certificates and test runner.
NOT_IN_THE_RUNTIME = {"kopf", "aiohttp", "kubernetes", "sqlalchemy", "cryptography", "pytest"}
JOB = '''
from basejob.job import BaseJob


class HelloJob(BaseJob):
    """Says hello."""

    async def execute(self, ctx):
        ctx.logger.info("Hello from the lean runtime")
'''


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One wheel per shipped distribution, built from its folder."""
    out = tmp_path_factory.mktemp("wheels")
    sources = tmp_path_factory.mktemp("sources")  # setuptools writes build/ next to the source
    folders = []
    for folder in SHIPPED:
        shutil.copytree(
            REPOSITORY / folder,
            sources / folder,
            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
        )
        folders.append(str(sources / folder))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            *folders,
        ],
        check=True,
        timeout=300,
    )
    built = {}
    for folder in SHIPPED:
        [wheel] = out.glob(f"scheduledjob_{folder}-*.whl")
        built[folder] = wheel
    return built


@pytest.mark.parametrize(("folder", "package"), SHIPPED.items())
def test_a_shipped_wheel_holds_its_own_package_and_no_dev_tooling(
    wheels: dict[str, Path], folder: str, package: str
) -> None:
    """Each wheel has one top-level package, its own; no dev tool, test or benchmark ships."""
    names = zipfile.ZipFile(wheels[folder]).namelist()
    top_level = {
        name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")
    }
    assert {package} == top_level
    assert [] == [name for name in names if "scheduledjob_dev" in name or "localcluster" in name]


def test_the_runtime_wheel_alone_has_the_runtimes_closure_and_runs_a_job(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    """pip install of the runtime's wheel into an empty venv brings none of the operator's,
    client's, examples' or dev tools' dependencies, and `basejob run` runs a job there."""
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheels["runtime"]),
        ],
        check=True,
        timeout=600,
    )
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {entry["name"].lower().replace("_", "-") for entry in json.loads(listed.stdout)}
    assert set() == installed & NOT_IN_THE_RUNTIME
    assert {"scheduledjob-runtime", "pydantic", "structlog", "prometheus-client"} <= installed
    (tmp_path / "hello_job.py").write_text(JOB)
    run = subprocess.run(
        [str(environment / "bin" / "basejob"), "run", "hello_job:HelloJob"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)},
        check=False,
    )
    assert 0 == run.returncode, run.stdout + run.stderr
    assert "Hello from the lean runtime" in run.stdout + run.stderr
