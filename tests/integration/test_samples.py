"""The samples in crds/samples (the seed's five jobs) apply cleanly and become Ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import ScheduledJobs

pytestmark = pytest.mark.usefixtures("operator")
SAMPLES = sorted((Path(__file__).resolve().parents[2] / "crds" / "samples").glob("*.yaml"))


def test_every_seed_job_has_a_sample() -> None:
    """DataCleanup, SubscriptionGracePeriod, ReportGeneration, TestMetrics and LongRunning."""
    jobs = {yaml.safe_load(path.read_text())["spec"]["job"] for path in SAMPLES}
    assert {
        "DataCleanupJob",
        "SubscriptionGracePeriodJob",
        "ReportGenerationJob",
        "TestMetricsJob",
        "LongRunningJob",
    } == jobs


@pytest.mark.parametrize("sample", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_sample_applies_and_becomes_ready(api_client: Any, namespace: str, sample: Path) -> None:
    """The sample is admitted and the operator reports Ready=True for it."""
    manifest = yaml.safe_load(sample.read_text())
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(manifest)
    ready = jobs.wait_ready(manifest["metadata"]["name"])
    assert ready["status"]["cronJobName"]
