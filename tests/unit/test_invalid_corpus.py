"""The operator's side of the invalid-ScheduledJob corpus, and data that must pass literally.

The integration test sends the whole corpus to a real API server; here the cases admission lets
through are planned directly, so a wrong reason or a vague message fails in seconds.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from typing import Any

import pydantic
import pytest

from basejob import contract
from scheduledjob_api import v1alpha1
from scheduledjob_dev.nodeagent import podenv
from scheduledjob_operator.domain import planning
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.domain.errors import InvalidSpecError
from support import invalid_scheduledjobs as corpus

SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test")
REPORTED = [case for case in corpus.CORPUS if isinstance(case.expected, corpus.Reported)]


class _NoReferences:
    def config_map(self, namespace: str, name: str) -> Mapping[str, str] | None:
        return None

    def secret(self, namespace: str, name: str) -> Mapping[str, str] | None:
        return None


def _body(case: corpus.Case) -> dict[str, Any]:
    manifest = case.manifest()
    manifest["metadata"].update(namespace="team-a", uid="uid-1", generation=1)
    return manifest


def test_the_corpus_covers_both_outcomes() -> None:
    """At least 50 cases, with unique ids usable as names, some refused and some reported."""
    ids = [case.id for case in corpus.CORPUS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 50
    assert {"refused", "reported"} == {kind for kind, count in corpus.by_kind().items() if count}


@pytest.mark.parametrize("case", REPORTED, ids=[case.id for case in REPORTED])
def test_operator_reports_each_case_precisely(case: corpus.Case) -> None:
    """Planning refuses the spec with the expected reason and a message naming the problem."""
    assert isinstance(case.expected, corpus.Reported)
    with pytest.raises(InvalidSpecError) as refused:
        planning.plan(_body(case), SETTINGS)
    assert case.expected.reason == refused.value.reason
    assert case.expected.fragment in refused.value.message
    assert len(refused.value.message) < 1000, "a message must not grow with the input"
    assert "\n" not in refused.value.message


def _run_environment(template: Mapping[str, Any]) -> dict[str, str]:
    """The job container's environment as the kubelet resolves it (the node agent's rules)."""
    pod = {
        **template["spec"]["template"],
        "metadata": {**template["spec"]["template"]["metadata"], "namespace": "team-a"},
    }
    container = pod["spec"]["containers"][0]
    return podenv.container_environment(pod, container, _NoReferences(), base={})


def test_injection_like_data_reaches_the_job_literally() -> None:
    """Data values and IDs with `$(...)`, quotes, templates and newlines arrive unexpanded."""
    case = corpus.Case(
        "literal",
        {"data": corpus.LITERAL_DATA, "context": {"tenantId": "$(BASEJOB_JOB)"}},
        corpus.Reported("", ""),
    )
    plan = planning.plan(_body(case), SETTINGS)
    environment = _run_environment(plan.template)
    assert corpus.LITERAL_DATA == json.loads(environment[contract.DATA])
    assert (
        json.dumps(corpus.LITERAL_DATA, sort_keys=True, separators=(",", ":"))
        == (environment[contract.DATA])
    )
    assert "$(BASEJOB_JOB)" == environment[contract.TENANT_ID]


# Kubernetes formats and the API's bounds, checked twice: by the schema and CEL at admission,
# and by the model in the operator (which reports what admission somehow let through).
MIRRORED = [
    case
    for case in (
        *corpus.POD_FIELDS,
        *corpus.EXCLUDE_DATES,
        *corpus.JOBS_AND_ENV,
        *corpus.BOUNDS,
        *corpus.RESOURCES,
        *corpus.OWNED_KEYS,
        *corpus.CONTEXT,
    )
    if case.id != "env-reserved"  # CEL only: an admission rule across the env list
]


@pytest.mark.parametrize("case", MIRRORED, ids=[case.id for case in MIRRORED])
def test_the_model_refuses_what_admission_refuses(case: corpus.Case) -> None:
    """The pydantic model, the CRD's source, refuses the same Kubernetes-format mistakes."""
    with pytest.raises(pydantic.ValidationError):
        v1alpha1.ScheduledJobSpec.model_validate(case.manifest()["spec"])


@pytest.mark.parametrize("case", MIRRORED, ids=[case.id for case in MIRRORED])
def test_planning_reports_what_admission_would_refuse(case: corpus.Case) -> None:
    """Should admission let one through, planning reports InvalidSpec in one short line."""
    with pytest.raises(InvalidSpecError) as refused:
        planning.plan(_body(case), SETTINGS)
    assert "InvalidSpec" == refused.value.reason
    assert len(refused.value.message) < 1000, "a message must not grow with the input"
    assert "\n" not in refused.value.message


def test_host_zone_files_are_not_time_zones() -> None:
    """The zones planning accepts hold the IANA names and none of the host's own zone files."""
    for name in ("UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "US/Eastern"):
        assert name == str(v1alpha1.ScheduledJobSpec.canonical_time_zone(name))
    host_files = [case.spec["timeZone"] for case in corpus.ZONES]
    for name in host_files:
        with pytest.raises(zoneinfo.ZoneInfoNotFoundError):
            v1alpha1.ScheduledJobSpec.canonical_time_zone(name)
