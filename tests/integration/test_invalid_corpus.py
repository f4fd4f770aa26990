"""A corpus of invalid ScheduledJobs against the real API server and operator, in one namespace.

Every case is created at once, then all outcomes are awaited in one pass: 422 at admission, or
Ready=False with the expected reason from the operator. Valid ScheduledJobs created alongside,
the extremes of every range among them, still become Ready, injection-like data reaches the run
literally, a CronJob and a Job that are not the operator's (though labelled as if they were)
stay untouched, and the operator stays healthy without a traceback.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from basejob import contract
from scheduledjob_api import base, naming, v1alpha1
from scheduledjob_dev.nodeagent import podenv
from support import invalid_scheduledjobs as corpus

from .conftest import RunningOperator
from .helpers import ScheduledJobs, scheduledjob, wait_for

TEN_YEARS = base.MAX_SECONDS
# Admitted at the edge of every range: each must reach Ready=True, its CronJob (if it has one)
# admitted by the API server, with no overflow in the operator.
CRONJOB_VALID = {
    "valid-alongside": scheduledjob("valid-alongside"),
    corpus.LONG_VALID_NAME: scheduledjob(corpus.LONG_VALID_NAME),
    "literal-data": scheduledjob("literal-data", data=corpus.LITERAL_DATA),
    "seconds-at-maximum": scheduledjob(
        "seconds-at-maximum",
        startingDeadlineSeconds=TEN_YEARS,
        timeoutSeconds=TEN_YEARS,
        ttlSecondsAfterFinished=TEN_YEARS,
        retries=10,
        successfulRunsHistoryLimit=100,
        failedRunsHistoryLimit=100,
        tolerations=[
            {
                "key": "k",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": TEN_YEARS,
            }
        ],
    ),
    "extended-resources": scheduledjob(
        "extended-resources",
        resources={
            "limits": {"example.com/gpu": 2, "hugepages-2Mi": "4Mi", "cpu": "1", "memory": "1Gi"},
            "requests": {"example.com/gpu": "2000m", "hugepages-2Mi": "4194304", "cpu": "100m"},
        },
    ),
    "ids-at-bounds": scheduledjob(
        "ids-at-bounds",
        context={"tenantId": base.MAX_SAFE_INTEGER, "applicationUserId": "u" * 128},
    ),
}
VALID = {
    **CRONJOB_VALID,
    "misfire-at-maximum": scheduledjob(
        "misfire-at-maximum",
        jitterSeconds=3600,
        excludeDates=["1970-01-01", "2099-12-31"],
        misfire={"thresholdSeconds": 86400, "catchUpWindowSeconds": TEN_YEARS, "maxRuns": 100},
    ),
    "run-at-latest": scheduledjob(
        "run-at-latest",
        schedule=None,
        runAt="2099-12-31T23:59:59-12:00",
        ttlSecondsAfterRun=TEN_YEARS,
    ),
    # Long past, so suspended: it would otherwise start its run at once.
    "run-at-earliest": scheduledjob(
        "run-at-earliest", schedule=None, runAt="1970-01-01T00:00:00+14:00", suspend=True
    ),
    "delay-longest": scheduledjob(
        "delay-longest", schedule=None, delay="87600h", ttlSecondsAfterRun=TEN_YEARS
    ),
    "delay-longest-mixed": scheduledjob("delay-longest-mixed", schedule=None, delay="87599h59m60s"),
}
# Not the operator's: no ownerReferences, though labelled as its runs and CronJobs are.
FOREIGN_LABELS = naming.owned_labels("valid-alongside")
FOREIGN_CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "foreign-cronjob", "labels": naming.owned_labels("misfire-at-maximum")},
    "spec": {
        "schedule": "0 2 * * *",
        "suspend": True,
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "registry.local/foreign:1"}],
                    }
                }
            }
        },
    },
}
FOREIGN_JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "foreign-job", "labels": FOREIGN_LABELS},
    "spec": {
        "suspend": True,  # no Pods: only the object itself is at stake
        "template": FOREIGN_CRONJOB["spec"]["jobTemplate"]["spec"]["template"],
    },
}


@dataclass(frozen=True)
class Outcome:
    """What became of one manifest: the API server's refusal, or the object's Ready condition."""

    status: int | None = None
    message: str = ""
    ready: dict[str, Any] | None = None


@dataclass(frozen=True)
class CorpusRun:
    """The namespace the corpus was applied in and every case's outcome."""

    namespace: str
    outcomes: dict[str, Outcome]
    log_offset: int
    foreign_versions: dict[str, str]
    """kind/name -> resourceVersion of the foreign objects, before the corpus was applied."""


def _foreign_versions(batch: client.BatchV1Api, namespace: str) -> dict[str, str]:
    """The resourceVersion of each foreign object that still exists, by kind/name."""
    listed = [
        *(("CronJob", item) for item in batch.list_namespaced_cron_job(namespace).items),
        *(("Job", item) for item in batch.list_namespaced_job(namespace).items),
    ]
    foreign = {FOREIGN_CRONJOB["metadata"]["name"], FOREIGN_JOB["metadata"]["name"]}
    return {
        f"{kind}/{item.metadata.name}": item.metadata.resource_version
        for kind, item in listed
        if item.metadata.name in foreign
    }


def _create_foreign_objects(batch: client.BatchV1Api, namespace: str) -> dict[str, str]:
    """The foreign CronJob and Job, once the Job controller has recorded the Job as suspended
    (its last write of its own), with their resourceVersions."""
    batch.create_namespaced_cron_job(namespace, FOREIGN_CRONJOB)
    batch.create_namespaced_job(namespace, FOREIGN_JOB)

    def settled() -> bool:
        job = batch.read_namespaced_job("foreign-job", namespace)
        conditions = (job.status and job.status.conditions) or []
        return any(c.type == "Suspended" and c.status == "True" for c in conditions)

    wait_for("the Job controller to record the foreign Job as suspended", settled)
    return _foreign_versions(batch, namespace)


def _ready(item: dict[str, Any]) -> dict[str, Any] | None:
    """The Ready condition when it describes the current generation."""
    for condition in (item.get("status") or {}).get("conditions") or []:
        if (
            condition["type"] == "Ready"
            and condition["observedGeneration"] == item["metadata"]["generation"]
        ):
            found: dict[str, Any] = condition
            return found
    return None


@pytest.fixture(scope="module")
def corpus_run(
    api_client: Any, scheduledjob_crd: str, operator: RunningOperator
) -> Iterator[CorpusRun]:
    """Create every case and the valid ScheduledJobs in one namespace; await all outcomes."""
    core = client.CoreV1Api(api_client)
    namespace = f"invalid-corpus-{uuid.uuid4().hex[:6]}"
    core.create_namespace(
        {"metadata": {"name": namespace, "labels": {"scheduledjob.test": "true"}}}
    )
    log_offset = operator.log_path.stat().st_size
    foreign_versions = _create_foreign_objects(client.BatchV1Api(api_client), namespace)
    jobs = ScheduledJobs(api_client, namespace)
    outcomes: dict[str, Outcome] = {}
    awaited: dict[str, str] = {}  # object name -> case id
    for case in corpus.CORPUS:
        manifest = case.manifest()
        try:
            jobs.create(manifest)
        except ApiException as error:
            outcomes[case.id] = Outcome(error.status, json.loads(error.body)["message"])
            continue
        awaited[manifest["metadata"]["name"]] = case.id
    for name, manifest in VALID.items():
        jobs.create(manifest)
        awaited[name] = name

    def all_reported() -> dict[str, dict[str, Any]] | None:
        items = jobs.objects.list_namespaced_custom_object(
            v1alpha1.GROUP, v1alpha1.VERSION, namespace, v1alpha1.PLURAL
        )["items"]
        conditions = {item["metadata"]["name"]: _ready(item) for item in items}
        if all(conditions.get(name) for name in awaited):
            return {name: condition for name, condition in conditions.items() if condition}
        return None

    started = time.monotonic()
    conditions = wait_for("every admitted ScheduledJob to report Ready", all_reported, 90)
    print(f"all outcomes after {time.monotonic() - started:.1f}s")
    for name, case_id in awaited.items():
        outcomes[case_id] = Outcome(ready=conditions[name])
    try:
        yield CorpusRun(namespace, outcomes, log_offset, foreign_versions)
    finally:
        core.delete_namespace(namespace)


@pytest.mark.parametrize("case", corpus.CORPUS, ids=[case.id for case in corpus.CORPUS])
def test_invalid_scheduledjob_is_refused_or_reported(
    corpus_run: CorpusRun, case: corpus.Case
) -> None:
    """Each invalid ScheduledJob ends as its corpus entry says: 422, or Ready=False and reason."""
    outcome = corpus_run.outcomes[case.id]
    if isinstance(case.expected, corpus.Refused):
        assert 422 == outcome.status, outcome
        assert case.expected.fragment in outcome.message
    else:
        assert outcome.ready is not None, outcome
        assert ("False", case.expected.reason) == (outcome.ready["status"], outcome.ready["reason"])
        assert case.expected.fragment in outcome.ready["message"]


def test_valid_scheduledjobs_alongside_are_ready(api_client: Any, corpus_run: CorpusRun) -> None:
    """The valid ScheduledJobs, the extremes of every range among them, are Ready, a name above
    52 characters gets a hashed CronJob, and only the valid ones have CronJobs."""
    statuses = {name: (corpus_run.outcomes[name].ready or {}).get("status") for name in VALID}
    assert dict.fromkeys(VALID, "True") == statuses, {
        name: corpus_run.outcomes[name].ready for name in VALID
    }
    cron_jobs = client.BatchV1Api(api_client).list_namespaced_cron_job(corpus_run.namespace).items
    expected = {naming.cronjob_name(name) for name in CRONJOB_VALID} | {"foreign-cronjob"}
    assert expected == {cron_job.metadata.name for cron_job in cron_jobs}
    assert naming.cronjob_name(corpus.LONG_VALID_NAME) != corpus.LONG_VALID_NAME


def test_injection_like_data_reaches_the_run_literally(
    api_client: Any, corpus_run: CorpusRun
) -> None:
    """BASEJOB_DATA in the CronJob resolves, with the kubelet's `$(VAR)` rules, to the data as
    written: shell, SQL and template text is data, never interpreted."""
    cron_job = client.BatchV1Api(api_client).read_namespaced_cron_job(
        "literal-data", corpus_run.namespace, _preload_content=False
    )
    template = json.loads(cron_job.data)["spec"]["jobTemplate"]["spec"]["template"]
    container = template["spec"]["containers"][0]
    declared: dict[str, str] = {}
    for variable in container["env"]:
        if "value" in variable:
            declared[variable["name"]] = podenv.expand(variable["value"], declared)
    written = json.dumps(corpus.LITERAL_DATA, sort_keys=True, separators=(",", ":"))
    assert written == declared[contract.DATA]


def test_foreign_objects_are_left_alone(api_client: Any, corpus_run: CorpusRun) -> None:
    """A CronJob and a Job labelled as ours but not owned by us are not modified nor deleted."""
    assert 2 == len(corpus_run.foreign_versions)
    after = _foreign_versions(client.BatchV1Api(api_client), corpus_run.namespace)
    assert corpus_run.foreign_versions == after


def test_operator_stays_healthy_without_tracebacks(
    corpus_run: CorpusRun, operator: RunningOperator
) -> None:
    """After the corpus, /healthz and /metrics answer and the log since holds no traceback."""
    for url in (operator.health_url, operator.metrics_url):
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            assert 200 == response.status
    assert operator.process.poll() is None
    with operator.log_path.open("rb") as log:
        log.seek(corpus_run.log_offset)
        written = log.read().decode(errors="replace")
    assert "Traceback" not in written, written[-4000:]
