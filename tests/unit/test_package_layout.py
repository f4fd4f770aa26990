"""Each package comes from its distribution's folder; the standard library keeps `operator`."""

from __future__ import annotations

import importlib
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from kubernetes import client
from tests.support.memory_cluster import MemoryCluster

from scheduledjob_operator.machinery.kube import Cluster as KubeCluster
from scheduledjob_operator.reconcile.cluster import Cluster

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


PACKAGES = {
    "basejob": "runtime",
    "scheduledjob_api": "api",
    "scheduledjob_client": "client",
    "scheduledjob_operator": "operator",
    "basejob_examples": "examples",
    "scheduledjob_dev": "devtools",
}


@pytest.mark.parametrize(("package", "folder"), PACKAGES.items())
def test_each_package_comes_from_its_distributions_folder(package: str, folder: str) -> None:
    """Every import package lives in the folder of the distribution that ships it."""
    module = importlib.import_module(package)
    assert REPOSITORY / folder / package == Path(str(module.__file__)).parent
    assert (REPOSITORY / folder / "pyproject.toml").is_file()


def test_the_import_contracts_are_kept() -> None:
    """The import-linter contracts (which package may import which) are all kept."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == result.returncode, result.stdout + result.stderr
    assert "The runtime imports none of the other packages KEPT" in result.stdout
    assert "Nothing shipped imports the dev tools or the examples KEPT" in result.stdout
    assert (
        "The operator's layers: entry points, reconcile, machinery and telemetry, domain KEPT"
        in (result.stdout)
    )
    assert "Reconcile does not import the concrete API client or its cache KEPT" in result.stdout


def test_the_operator_layers_contract_names_every_operator_module() -> None:
    """Every module of the operator sits in one of the layers the import contract orders."""
    package = importlib.import_module("scheduledjob_operator")
    layered = {"main", "handlers", "controller", "settings"}
    folders = {"domain", "reconcile", "machinery", "telemetry"}
    top = {path.stem for path in Path(str(package.__file__)).parent.glob("*.py")} - {"__init__"}
    subpackages = {
        path.name for path in Path(str(package.__file__)).parent.iterdir() if path.is_dir()
    } - {"__pycache__"}
    assert layered == top
    assert folders == subpackages


def test_the_real_and_the_in_memory_cluster_both_fit_reconciles_protocol() -> None:
    """Reconcile's `Cluster` Protocol is what both the API client and the unit tests' fake give."""
    assert isinstance(MemoryCluster(), Cluster)
    assert isinstance(KubeCluster(client.ApiClient()), Cluster)
    assert not isinstance(object(), Cluster)
