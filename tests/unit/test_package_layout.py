"""The two source roots resolve, and the standard library keeps the name `operator`."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import basejob
import scheduledjob_operator

REPOSITORY = Path(__file__).resolve().parents[2]


def test_import_operator_gives_the_standard_library_from_the_repository_root() -> None:
    """`import operator` run from the repository root is the standard library module."""
    result = subprocess.run(
        [sys.executable, "-c", "import operator; print(operator.__file__, operator.itemgetter)"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    assert str(stdlib / "operator.py") == result.stdout.split()[0]


def test_both_import_packages_come_from_their_source_roots() -> None:
    """`scheduledjob_operator` lives under operator/ and `basejob` under runtime/."""
    assert (
        REPOSITORY / "operator" / "scheduledjob_operator"
        == Path(scheduledjob_operator.__file__).parent
    )
    assert REPOSITORY / "runtime" / "basejob" == Path(basejob.__file__).parent


def test_runtime_never_imports_the_operator() -> None:
    """The import-linter contract (basejob must not import scheduledjob_operator) is kept."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == result.returncode, result.stdout + result.stderr
    assert "The runtime never imports the operator KEPT" in result.stdout
