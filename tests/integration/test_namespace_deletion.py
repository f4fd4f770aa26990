"""Deleting a namespace full of ScheduledJobs: the operator lets them go without a warning."""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from scheduledjob_api import naming, v1alpha1

from .conftest import RunningOperator
from .helpers import ScheduledJobs, read_or_none, scheduledjob, wait_for

SCHEDULED = 40
ONCE = 10  # runAt in the past: each starts its run at once
# After the namespace is gone: long enough for the last watch events to be handled and for a
# backoff retry (the first comes after 1 s, the second 2 s later) to have logged.
_SETTLE_SECONDS = 5.0
# The modules that write on a ScheduledJob's behalf: a warning of theirs that names no
# namespace may be about this one (Event posting named none before it learned to).
_WRITERS = ("scheduledjob_operator.controller", "scheduledjob_operator.machinery.cachedcluster")


@pytest.fixture
def doomed_namespace(api_client: Any) -> Iterator[str]:
    """A namespace the test deletes itself (deleted afterwards should the test not get to it)."""
    core = client.CoreV1Api(api_client)
    name = f"doomed-{uuid.uuid4().hex[:6]}"
    core.create_namespace(
        client.V1Namespace(
            metadata=client.V1ObjectMeta(name=name, labels={"scheduledjob.test": "true"})
        )
    )
    yield name
    read_or_none(lambda: core.delete_namespace(name))


def _log_since(path: Path, offset: int) -> list[dict[str, Any]]:
    """The operator's log lines after `offset`, decoded (a line that is not JSON, such as a
    traceback, is kept as {"level": "unknown", "line": ...})."""
    entries = []
    for line in path.read_bytes()[offset:].decode(errors="replace").splitlines():
        try:
            decoded = json.loads(line)
        except ValueError:
            decoded = None
        entries.append(decoded if isinstance(decoded, dict) else {"level": "unknown", "line": line})
    return entries


def _all_reconciled(api_client: Any, jobs: ScheduledJobs) -> bool:
    items = client.CustomObjectsApi(api_client).list_namespaced_custom_object(
        v1alpha1.GROUP, v1alpha1.VERSION, jobs.namespace, v1alpha1.PLURAL
    )["items"]
    reported = [item for item in items if (item.get("status") or {}).get("conditions")]
    runs = (
        client.BatchV1Api(api_client)
        .list_namespaced_job(jobs.namespace, label_selector=naming.SCHEDULEDJOB_LABEL)
        .items
    )
    return len(reported) == SCHEDULED + ONCE and len(runs) >= ONCE


def test_deleting_a_namespace_of_scheduledjobs_logs_no_warning(
    api_client: Any, operator: RunningOperator, doomed_namespace: str
) -> None:
    """Writes refused because the namespace is terminating are neither warned about nor retried."""
    jobs = ScheduledJobs(api_client, doomed_namespace)
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    for index in range(SCHEDULED):
        jobs.create(scheduledjob(f"nightly-{index:02d}"))
    for index in range(ONCE):
        jobs.create(
            scheduledjob(
                f"once-{index:02d}", schedule=None, runAt=past.strftime("%Y-%m-%dT%H:%M:%SZ")
            )
        )
    wait_for(
        "every ScheduledJob to have a status and each one-shot its run",
        lambda: _all_reconciled(api_client, jobs),
        timeout=60,
    )
    offset = operator.log_path.stat().st_size
    core = client.CoreV1Api(api_client)
    core.delete_namespace(doomed_namespace)
    wait_for(
        "the namespace to be gone",
        lambda: read_or_none(lambda: core.read_namespace(doomed_namespace)) is None,
        timeout=180,
    )
    time.sleep(_SETTLE_SECONDS)
    loud = [
        entry
        for entry in _log_since(operator.log_path, offset)
        if entry.get("level") not in {"debug", "info"} and _maybe_about(entry, doomed_namespace)
    ]
    assert [] == loud


def _maybe_about(entry: dict[str, Any], namespace: str) -> bool:
    """Whether a log entry is, or may be, about `namespace`."""
    if namespace in json.dumps(entry):
        return True
    return "namespace" not in entry and str(entry.get("logger", "")).startswith(_WRITERS)
