"""Which runs of an operator-started schedule to start now, and which fire times to give up.

For schedules a CronJob cannot express (seconds, L, W, #, years) or features it lacks (jitter,
excluded dates, misfire policies) the operator starts each run itself. This module is the
decision, pure and driven by state: the fire times after `status.lastFireTime` that came due
(each delayed by the ScheduledJob's jitter), the misfire policy, the concurrency policy and
whether a run is active. The caller creates one Job per fire time to start (a deterministic
name per fire time, so a restart or a second replica cannot start one twice), then records the
new `lastFireTime`, so no fire time is handled twice.

A fire time is on time while it is at most `threshold` late (Quartz's misfireThreshold),
lateness counted from the fire time plus the jitter. Every on-time fire time gets its run,
oldest first, whatever the policy: an outage shorter than the threshold loses nothing. Only
fire times later than that are misfires, and the policy decides about those alone: FireOnceNow
starts one run for the latest misfire, or none when an on-time fire time follows it (that run
is the "now" run); DoNothing skips them all; FireAll starts them oldest first, the latest
`max_runs` of them. Fire times older than the catch-up window are skipped under every policy
(a window shorter than the threshold skips no on-time fire time: it bounds catch-up, and an
on-time run is none).

The concurrency policy then says how many of those runs start now. Allow: all of them, at once.
Forbid: the oldest, and none while a run is active; the others stay pending (`last_fire_time`
does not pass them) until the active run ends, when they may have become misfires. Replace:
only the latest, since each run would replace the one before at once; the earlier ones are
given up. A fire time is given up as soon as it is sure to be (a misfire the policy skips
whatever comes later), even while a run under Forbid makes the rest wait.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from basejob import schedules

Policy = Literal["FireOnceNow", "DoNothing", "FireAll"]
# Due fire times examined per reconcile; a longer backlog (an every-second schedule after a long
# outage) is worked off over successive reconciles, each requeued at once.
MAX_EXAMINED = 10_000
# Fire times `Decision.skipped` lists; the count is exact however many there were.
SKIPPED_LISTED = 100


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
    """Fire times given up, oldest first (misfires under the policy, outside the window, over
    the cap, replaced at once under Replace); the latest `SKIPPED_LISTED` of them."""
    skipped_count: int
    """How many were given up (more than `skipped` holds after a very long outage)."""
    last_fire_time: datetime.datetime | None
    """The new `status.lastFireTime`: every fire time up to it is handled (started or given
    up); None: nothing was, keep the old one."""
    next_due: datetime.datetime | None
    """When the next fire time comes due (jitter included); None: the schedule has ended, or
    more are due than one reconcile examines."""
    waiting: bool = False
    """A due run waits for the active run to end (concurrencyPolicy Forbid)."""
    backlog: bool = False
    """More due fire times remain than one reconcile examines: look again at once."""


@dataclass(frozen=True)
class _Due:
    """The due fire times after `last_fire_time`, oldest first, by how late they are.

    Lateness falls from the oldest to the newest, so the three are consecutive runs of the
    schedule: expired, then misfires, then on time.
    """

    expired: Sequence[datetime.datetime]
    misfires: Sequence[datetime.datetime]
    on_time: Sequence[datetime.datetime]
    next_due: datetime.datetime | None
    backlog: bool


def decide(
    timing: Timing,
    rules: MisfireRules,
    *,
    last_fire_time: datetime.datetime,
    now: datetime.datetime,
    active: bool,
    forbid: bool,
    replace: bool = False,
) -> Decision:
    """The runs to start and fire times to skip, given the fire times handled so far.

    `forbid` and `replace` say concurrencyPolicy Forbid or Replace (neither: Allow).
    """
    if forbid and replace:
        message = (
            "forbid and replace are exclusive: concurrencyPolicy is one of Allow, Forbid, Replace"
        )
        raise ValueError(message)
    due = _due(timing, rules, last_fire_time=last_fire_time, now=now)
    # A later due fire time (on time, or past those examined) supersedes FireOnceNow's misfire.
    given_up, kept = _misfire_verdict(
        rules, due.misfires, followed=bool(due.on_time) or due.backlog
    )
    skipped = [*due.expired, *given_up]
    runnable = [*kept, *due.on_time]
    waiting = active and forbid and bool(runnable)
    if waiting or (due.backlog and not due.on_time and not replace):
        # FireAll's kept misfires are the latest max_runs only once the backlog is examined.
        start: list[datetime.datetime] = []
    elif replace:
        # Each would replace the one before at once; in a backlog a later one is due still.
        replaced = runnable if due.backlog else runnable[:-1]
        skipped += replaced
        start = runnable[len(replaced) :]
    elif forbid:
        start = runnable[:1]
    else:
        start = runnable
    last = start[-1] if start else (skipped[-1] if skipped else None)
    return Decision(
        tuple(start),
        tuple(skipped[-SKIPPED_LISTED:]),
        len(skipped),
        last,
        due.next_due,
        waiting=waiting,
        # Looking again at once helps only when this look moved on; else the run's end will.
        backlog=due.backlog and last is not None,
    )


def _due(
    timing: Timing,
    rules: MisfireRules,
    *,
    last_fire_time: datetime.datetime,
    now: datetime.datetime,
) -> _Due:
    """The fire times after `last_fire_time` due by `now`, at most `MAX_EXAMINED` of them."""
    expired: list[datetime.datetime] = []
    misfires: list[datetime.datetime] = []
    on_time: list[datetime.datetime] = []
    window = rules.catch_up_window
    if window is not None:
        window = max(window, rules.threshold)  # the window bounds catch-up, not on-time runs
    # More than max_runs, so a backlog of misfires always gives some up and moves on.
    limit = max(MAX_EXAMINED, rules.max_runs + 1)
    upcoming = schedules.fire_times(
        timing.schedule,
        after=last_fire_time,
        time_zone=timing.time_zone,
        excluded_dates=timing.excluded_dates,
    )
    for examined, fire in enumerate(upcoming):
        due_at = fire + timing.jitter
        if due_at > now:
            return _Due(expired, misfires, on_time, due_at, backlog=False)
        if examined >= limit:
            return _Due(expired, misfires, on_time, None, backlog=True)
        late = now - due_at
        if late <= rules.threshold:
            on_time.append(fire)
        elif window is not None and late > window:
            expired.append(fire)
        else:
            misfires.append(fire)
    return _Due(expired, misfires, on_time, None, backlog=False)


def _misfire_verdict(
    rules: MisfireRules, misfires: Sequence[datetime.datetime], *, followed: bool
) -> tuple[Sequence[datetime.datetime], Sequence[datetime.datetime]]:
    """The misfires the policy gives up, and those it keeps (to run, or pending under Forbid).

    `followed`: a later fire time is due too, so FireOnceNow's latest misfire is not the
    latest due one and is given up like the others. A misfire stays one as time passes, so a
    misfire given up here would be given up by any later look as well.
    """
    if rules.policy == "FireAll":
        cut = max(len(misfires) - max(rules.max_runs, 1), 0)
    elif rules.policy == "FireOnceNow" and not followed:
        cut = max(len(misfires) - 1, 0)
    else:
        cut = len(misfires)
    return misfires[:cut], misfires[cut:]
