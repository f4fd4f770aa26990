"""`kubectl sj logs NAME`: the log of one run's Pod, chosen by correlation ID or recency.

A run is a Job labelled with the ScheduledJob's name; its correlation ID is computed from the
Job UID (the contract's formula), so `--correlation-id` finds exactly the run whose log lines
carry that ID. Of a run's Pods (one per attempt) the newest is shown, read through the API
server's pod log endpoint like `kubectl logs`.
"""

from __future__ import annotations

import argparse
import codecs
from collections.abc import Mapping, Sequence
from typing import Any

from scheduledjob_api import runs
from scheduledjob_client.kubectl import commands, describe
from scheduledjob_client.kubectl.errors import PluginError


def _created(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def choose_run(
    scheduledjob: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], correlation_id: str | None
) -> Mapping[str, Any]:
    """The run whose correlation ID matches, or the newest run; `PluginError` when none does."""
    name = scheduledjob["metadata"]["name"]
    if not jobs:
        message = f"scheduledjob {name} has no runs (Jobs) to show logs of; trigger one first"
        raise PluginError(message)
    if correlation_id is None:
        return max(jobs, key=_created)
    prefix = describe.correlation_prefix(scheduledjob)
    for job in jobs:
        if runs.run_from_job(job).correlation_id(prefix) == correlation_id:
            return job
    known = ", ".join(
        runs.run_from_job(job).correlation_id(prefix)
        for job in sorted(jobs, key=_created, reverse=True)
    )
    message = (
        f"no run of scheduledjob {name} has correlation ID {correlation_id!r} (runs still kept: "
        f"{known}); older runs were removed by the history limits"
    )
    raise PluginError(message)


def show_logs(arguments: argparse.Namespace, session: commands.Session) -> int:
    """Print (or, with -f, follow) the chosen run's newest Pod's log."""
    scheduledjob = session.cluster.get_scheduledjob(session.namespace, arguments.name)
    jobs = session.cluster.runs(session.namespace, arguments.name)
    job_name = str(choose_run(scheduledjob, jobs, arguments.correlation_id)["metadata"]["name"])
    pods = session.cluster.pods(session.namespace, job_name)
    if not pods:
        message = f"run {job_name} of scheduledjob {arguments.name} has no Pod yet; try again"
        raise PluginError(message)
    pod = str(max(pods, key=_created)["metadata"]["name"])
    # Chunks may split a multi-byte character; the incremental decoder joins it again.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in session.cluster.pod_log(
        session.namespace, pod, tail=arguments.tail, follow=arguments.follow
    ):
        session.out.write(decoder.decode(chunk))
        session.out.flush()
    session.out.write(decoder.decode(b"", final=True))
    return commands.OK
