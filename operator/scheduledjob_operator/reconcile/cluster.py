"""The API calls reconcile makes, as a Protocol: the real client and the unit tests' fake both fit.

`machinery.kube.Cluster` (and its cached form) implement it against the API server;
`tests/support/memory_cluster.py` implements it in memory with the API server's rules (409 on
an existing name, uid preconditions on delete). Reconcile imports only this.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from scheduledjob_api.runs import Run
from scheduledjob_operator.domain.objects import KubeObject


@runtime_checkable
class Cluster(Protocol):
    """What reconcile reads and writes; every object is a plain camelCase dict."""

    def get_cronjob(self, namespace: str, name: str) -> KubeObject | None:
        """The CronJob, or None; may come from a cache."""

    def read_cronjob(self, namespace: str, name: str) -> KubeObject | None:
        """The CronJob as the API server has it now (never from a cache), or None."""

    def create_cronjob(self, manifest: Mapping[str, Any]) -> KubeObject | None:
        """Create the CronJob; None when one of that name exists already."""

    def replace_cronjob(self, manifest: Mapping[str, Any]) -> KubeObject:
        """Replace the CronJob (optimistic concurrency on its resourceVersion)."""

    def delete_cronjob(self, namespace: str, name: str, uid: str) -> None:
        """Delete the CronJob only if it is still the object with `uid`."""

    def create_job(self, manifest: Mapping[str, Any]) -> bool:
        """Create a run's Job; False when one of that name exists already."""

    def dry_run_job(self, manifest: Mapping[str, Any]) -> None:
        """Have the API server validate a Job without creating it; ApiException if refused."""

    def read_job(self, namespace: str, name: str) -> KubeObject | None:
        """The Job as the API server has it now, or None."""

    def delete_job(self, namespace: str, name: str, uid: str) -> None:
        """Delete a run's Job and its Pods only if it is still the object with `uid`."""

    def delete_scheduledjob(self, namespace: str, name: str, uid: str) -> None:
        """Delete the ScheduledJob itself, only if it is still the object with `uid`."""

    def runs(self, namespace: str, scheduledjob: str) -> list[Run]:
        """The Jobs labelled as a ScheduledJob's runs (owners are checked by the caller)."""

    def name_rivals(self, namespace: str, name: str) -> list[KubeObject]:
        """The other ScheduledJobs whose derived names equal this one's."""

    def list_job_pods(self, namespace: str, job_name: str) -> list[KubeObject]:
        """The Pods of one Job."""

    def write_status(self, body: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
        """Replace the ScheduledJob's status if it differs; whether anything was written."""

    def emit_event(
        self,
        involved: Mapping[str, Any],
        *,
        type_: str,
        reason: str,
        message: str,
        now: datetime.datetime,
    ) -> None:
        """Record a core/v1 Event about the ScheduledJob `involved`."""
