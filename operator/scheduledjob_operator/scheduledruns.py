"""Which runs of an operator-started schedule to start now, and which fire times to give up.

For schedules a CronJob cannot express (seconds, L, W, #, years) or features it lacks (jitter,
excluded dates, misfire policies) the operator starts each run itself. This module is the
decision, pure and driven by state: the fire times after `status.lastFireTime` that came due
(each delayed by the ScheduledJob's jitter), the misfire policy, the concurrency policy and
whether a run is active. The caller creates one Job per fire time to start (a deterministic
name per fire time, so a restart or a second replica cannot start one twice), then records the
new `lastFireTime`, so no fire time is handled twice.

A fire time is on time while it is at most `threshold` late (Quartz's misfireThreshold);
older due fire times are misfires and the policy decides: FireOnceNow starts one run for the
latest, DoNothing skips them all (an on-time latest one still runs), FireAll starts them
oldest first up to `max_runs` (one at a time under Forbid). Fire times older than the catch-up
window are skipped under every policy. A due run under Forbid while another runs waits (its
fire time stays pending) until that run ends; by then it may have become a misfire.
"""

from __future__ import annotations

import collections
import datetime
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from basejob import schedules

Policy = Literal["FireOnceNow", "DoNothing", "FireAll"]
# Due fire times examined per reconcile; a longer backlog (an every-second schedule after a long
# outage) is worked off over successive reconciles, each requeued at once.
MAX_EXAMINED = 10_000


@dataclass(frozen=True)
class MisfireRules:
    """The ScheduledJob's misfire settings (defaults: Quartz's smart policy, 60 s threshold)."""

    policy: Policy = "FireOnceNow"
    threshold: datetime.timedelta = datetime.timedelta(seconds=60)
    catch_up_window: datetime.timedelta | None = None
    max_runs: int = 10


@dataclass(frozen=True)
class Timing:
    """When a schedule fires for one ScheduledJob."""

    schedule: schedules.CronSchedule
    time_zone: str = "UTC"
    excluded_dates: Collection[datetime.date] = ()
    jitter: datetime.timedelta = datetime.timedelta(0)


@dataclass(frozen=True)
class Decision:
    """What to do now."""

    start: tuple[datetime.datetime, ...]
    """Fire times to start a run for now, oldest first."""
    skipped: tuple[datetime.datetime, ...]
    """Fire times given up (misfires under the policy, outside the window, over the cap)."""
    skipped_count: int
    """How many were given up (more than `skipped` holds after a very long outage)."""
    last_fire_time: datetime.datetime | None
    """The new `status.lastFireTime`: every fire time up to it is handled."""
    next_due: datetime.datetime | None
    """When the next fire time comes due (jitter included); None: the schedule has ended."""
    waiting: bool = False
    """A due run waits for the active run to end (concurrencyPolicy Forbid)."""
    backlog: bool = False
    """More due fire times remain than one reconcile examines: look again at once."""


def decide(
    timing: Timing,
    rules: MisfireRules,
    *,
    last_fire_time: datetime.datetime,
    now: datetime.datetime,
    active: bool,
    forbid: bool,
) -> Decision:
    """The runs to start and fire times to skip, given the fire times handled so far."""
    due: collections.deque[datetime.datetime] = collections.deque(maxlen=max(rules.max_runs, 1))
    expired: list[datetime.datetime] = []
    next_due: datetime.datetime | None = None
    backlog = False
    oldest_allowed = now - rules.catch_up_window if rules.catch_up_window is not None else None
    upcoming = schedules.fire_times(
        timing.schedule,
        after=last_fire_time,
        time_zone=timing.time_zone,
        excluded_dates=timing.excluded_dates,
    )
    for examined, fire in enumerate(upcoming):
        if fire + timing.jitter > now:
            next_due = fire + timing.jitter
            break
        if examined >= MAX_EXAMINED:
            backlog = True
            break
        if oldest_allowed is not None and fire + timing.jitter < oldest_allowed:
            expired.append(fire)
            continue
        if len(due) == due.maxlen:
            expired.append(due[0])  # pushed out of the cap: older than the max_runs latest
        due.append(fire)
    if not due:
        last = expired[-1] if expired else None
        return Decision((), tuple(expired[-100:]), len(expired), last, next_due, backlog=backlog)
    pending = list(due)
    if active and forbid:
        # Nothing starts; give up only what the window or cap already excluded.
        last = expired[-1] if expired else None
        return Decision(
            (), tuple(expired[-100:]), len(expired), last, next_due, waiting=True, backlog=backlog
        )
    latest = pending[-1]
    on_time = now - (latest + timing.jitter) <= rules.threshold
    if rules.policy == "FireAll":
        start = pending[:1] if forbid else pending
        rest: list[datetime.datetime] = []
    elif rules.policy == "FireOnceNow" or on_time:
        start, rest = [latest], pending[:-1]
    else:  # DoNothing with a late latest fire time
        start, rest = [], pending
    skipped = [*expired, *rest]
    handled = start[-1] if start else latest
    return Decision(
        tuple(start), tuple(skipped[-100:]), len(skipped), handled, next_due, backlog=backlog
    )
