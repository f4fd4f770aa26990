"""`concurrencyPolicy: Forbid` kept strictly for CronJob-backed schedules: at most one run.

The CronJob controller counts as active only the Jobs it started itself: a run-now trigger or
`kubectl create job --from=cronjob/...` is invisible to it, and a fire time during such a run
starts a second, concurrent one. The seed's `DisallowConcurrentExecution` is a data-integrity
promise, so the operator suspends the CronJob while a run the controller did not start is
active (and before it starts a triggered run itself), and lifts the hold once that run ends.
A fire time that comes while the CronJob is held is treated as under Forbid with a run the
controller started: skipped, or started late when the hold ends if `startingDeadlineSeconds`
still allows (the CronJob controller's own rule).

Pure: the reconciler hands in the ScheduledJob's own runs (owner uids checked).
"""

from __future__ import annotations

from collections.abc import Sequence

from scheduledjob_api.runs import Run
from scheduledjob_api.v1alpha1 import ScheduledJobSpec


def holding_run(
    spec: ScheduledJobSpec, runs: Sequence[Run], *, trigger_pending: bool
) -> str | None:
    """What holds the CronJob suspended, for messages ("run x is active"); None: nothing."""
    if spec.concurrency_policy != "Forbid" or spec.suspend:
        return None
    active = [run for run in runs if not run.finished]
    by_hand = sorted(run.job_name for run in active if not run.started_by_cronjob)
    if by_hand:
        return f"run {by_hand[0]}, which the CronJob did not start, is active"
    if trigger_pending and not active:
        return "a triggered run starts"
    return None
