"""Operator-started schedules: which fire times start a run, which are given up, and when."""

from __future__ import annotations

import datetime

import pytest

from basejob import schedules
from scheduledjob_operator.scheduledruns import MisfireRules, Policy, Timing, decide

UTC = datetime.UTC
EVERY_10_SECONDS = schedules.parse_schedule("0/10 * * * * ?")
LAST = datetime.datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime.datetime:
    return LAST + datetime.timedelta(seconds=seconds)


def _decide(
    now: float,
    *,
    policy: Policy = "FireOnceNow",
    active: bool = False,
    forbid: bool = True,
    jitter: int = 0,
    window: int | None = None,
    max_runs: int = 10,
    excluded: tuple[datetime.date, ...] = (),
) -> tuple[list[float], int, float | None, float | None]:
    decision = decide(
        Timing(
            EVERY_10_SECONDS,
            excluded_dates=excluded,
            jitter=datetime.timedelta(seconds=jitter),
        ),
        MisfireRules(
            policy=policy,
            threshold=datetime.timedelta(seconds=5),
            catch_up_window=None if window is None else datetime.timedelta(seconds=window),
            max_runs=max_runs,
        ),
        last_fire_time=LAST,
        now=_at(now),
        active=active,
        forbid=forbid,
    )

    def offset(moment: datetime.datetime | None) -> float | None:
        return None if moment is None else (moment - LAST).total_seconds()

    return (
        [offset(fire) or 0.0 for fire in decision.start],
        decision.skipped_count,
        offset(decision.last_fire_time),
        offset(decision.next_due),
    )


def test_nothing_due_waits_for_the_next_fire_time() -> None:
    """Before the next fire time nothing starts and the wake-up is that fire time."""
    assert ([], 0, None, 10.0) == _decide(9.9)


@pytest.mark.parametrize("policy", ["FireOnceNow", "DoNothing", "FireAll"])
def test_an_on_time_fire_time_starts_under_every_policy(policy: Policy) -> None:
    """A fire time that just came due starts its run, whatever the misfire policy."""
    assert ([10.0], 0, 10.0, 20.0) == _decide(10.05, policy=policy)


def test_fire_once_now_starts_the_latest_missed_and_skips_the_rest() -> None:
    """After an outage of 35 s: one run for 30 s, the fire times 10 and 20 skipped."""
    assert ([30.0], 2, 30.0, 40.0) == _decide(38, policy="FireOnceNow")


def test_do_nothing_skips_late_fire_times() -> None:
    """Under DoNothing a late fire time is skipped; the next one is awaited."""
    assert ([], 3, 30.0, 40.0) == _decide(38, policy="DoNothing")


def test_fire_all_starts_every_missed_fire_time_when_allowed() -> None:
    """FireAll with concurrency allowed starts all three, oldest first."""
    assert ([10.0, 20.0, 30.0], 0, 30.0, 40.0) == _decide(38, policy="FireAll", forbid=False)


def test_fire_all_under_forbid_starts_one_at_a_time() -> None:
    """FireAll under Forbid starts the oldest; the others stay pending (not skipped)."""
    assert ([10.0], 0, 10.0, 40.0) == _decide(38, policy="FireAll")


def test_fire_all_is_capped_by_max_runs() -> None:
    """Beyond maxRuns the oldest missed fire times are skipped."""
    assert ([20.0, 30.0], 1, 30.0, 40.0) == _decide(38, policy="FireAll", forbid=False, max_runs=2)


def test_the_catch_up_window_skips_older_fire_times() -> None:
    """Fire times older than the window are skipped whatever the policy."""
    assert ([30.0, 40.0], 2, 40.0, 50.0) == _decide(45, policy="FireAll", forbid=False, window=20)


def test_forbid_with_an_active_run_waits_and_keeps_the_fire_time_pending() -> None:
    """Nothing starts, nothing is skipped, lastFireTime does not move."""
    assert ([], 0, None, 20.0) == _decide(12, active=True)


def test_jitter_delays_the_start_but_not_the_fire_time() -> None:
    """With a 3 s offset the 10 s fire time is due at 13 s and is still named 10 s."""
    assert ([], 0, None, 13.0) == _decide(12.9, jitter=3)
    assert ([10.0], 0, 10.0, 23.0) == _decide(13.01, jitter=3)


def test_excluded_dates_have_no_fire_times() -> None:
    """A fire time on an excluded local date is neither started nor counted as missed."""
    today = LAST.date()
    started, skipped, last, next_due = _decide(38, excluded=(today,))
    tomorrow = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), tzinfo=UTC
    )
    assert ([], 0, None, (tomorrow - LAST).total_seconds()) == (started, skipped, last, next_due)
