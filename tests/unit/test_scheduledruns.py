"""Operator-started schedules: which fire times start a run, which are given up, and when."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from typing import Literal, TypedDict, Unpack

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basejob import schedules
from scheduledjob_operator.domain import scheduledruns
from scheduledjob_operator.domain.scheduledruns import (
    Decision,
    MisfireRules,
    Policy,
    Timing,
    decide,
)

UTC = datetime.UTC
EVERY_10_SECONDS = schedules.parse_schedule("0/10 * * * * ?")
LAST = datetime.datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
Concurrency = Literal["Allow", "Forbid", "Replace"]
POLICIES: tuple[Policy, ...] = ("FireOnceNow", "DoNothing", "FireAll")


def _at(seconds: float) -> datetime.datetime:
    return LAST + datetime.timedelta(seconds=seconds)


def _offset(moment: datetime.datetime | None) -> float | None:
    return None if moment is None else (moment - LAST).total_seconds()


def _decision(
    now: float,
    *,
    policy: Policy = "FireOnceNow",
    concurrency: Concurrency = "Forbid",
    active: bool = False,
    threshold: int = 5,
    jitter: int = 0,
    window: int | None = None,
    max_runs: int = 10,
    last: float = 0,
    excluded: tuple[datetime.date, ...] = (),
) -> Decision:
    return decide(
        Timing(
            EVERY_10_SECONDS,
            excluded_dates=excluded,
            jitter=datetime.timedelta(seconds=jitter),
        ),
        MisfireRules(
            policy=policy,
            threshold=datetime.timedelta(seconds=threshold),
            catch_up_window=None if window is None else datetime.timedelta(seconds=window),
            max_runs=max_runs,
        ),
        last_fire_time=_at(last),
        now=_at(now),
        active=active,
        forbid=concurrency == "Forbid",
        replace=concurrency == "Replace",
    )


class _Options(TypedDict, total=False):
    policy: Policy
    concurrency: Concurrency
    active: bool
    threshold: int
    jitter: int
    window: int | None
    max_runs: int
    last: float
    excluded: tuple[datetime.date, ...]


def _decide(
    now: float, **options: Unpack[_Options]
) -> tuple[list[float], int, float | None, float | None]:
    """(started, how many skipped, lastFireTime, next due), in seconds after LAST."""
    decision = _decision(now, **options)
    return (
        [_offset(fire) or 0.0 for fire in decision.start],
        decision.skipped_count,
        _offset(decision.last_fire_time),
        _offset(decision.next_due),
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
    assert ([10.0, 20.0, 30.0], 0, 30.0, 40.0) == _decide(38, policy="FireAll", concurrency="Allow")


def test_fire_all_under_forbid_starts_one_at_a_time() -> None:
    """FireAll under Forbid starts the oldest; the others stay pending (not skipped)."""
    assert ([10.0], 0, 10.0, 40.0) == _decide(38, policy="FireAll")


def test_fire_all_is_capped_by_max_runs() -> None:
    """Beyond maxRuns the oldest missed fire times are skipped."""
    assert ([20.0, 30.0], 1, 30.0, 40.0) == _decide(
        38, policy="FireAll", concurrency="Allow", max_runs=2
    )


def test_the_catch_up_window_skips_older_fire_times() -> None:
    """Fire times older than the window are skipped whatever the policy."""
    assert ([30.0, 40.0], 2, 40.0, 50.0) == _decide(
        45, policy="FireAll", concurrency="Allow", window=20
    )


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


# -- on time: at most the threshold late --------------------------------------------------------

ON_TIME_BY_CONCURRENCY: dict[Concurrency, tuple[list[float], int, float, float]] = {
    "Allow": ([10.0, 20.0, 30.0], 0, 30.0, 40.0),
    "Forbid": ([10.0], 0, 10.0, 40.0),
    "Replace": ([30.0], 2, 30.0, 40.0),
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("concurrency", ["Allow", "Forbid", "Replace"])
def test_several_on_time_fire_times_after_a_short_outage_are_not_misfires(
    policy: Policy, concurrency: Concurrency
) -> None:
    """Threshold 30 s, outage 38 s: 10, 20, 30 are all on time; the policy plays no part.

    Allow starts all three, Forbid the oldest (the others stay pending), Replace the latest
    (each would replace the one before at once, so the other two are given up).
    """
    expected = ON_TIME_BY_CONCURRENCY[concurrency]
    assert expected == _decide(38, policy=policy, concurrency=concurrency, threshold=30)


@pytest.mark.parametrize(
    ("policy", "concurrency", "expected"),
    [
        ("FireOnceNow", "Allow", ([30.0, 40.0], 2, 40.0, 50.0)),
        ("FireOnceNow", "Forbid", ([30.0], 2, 30.0, 50.0)),
        ("FireOnceNow", "Replace", ([40.0], 3, 40.0, 50.0)),
        ("DoNothing", "Allow", ([30.0, 40.0], 2, 40.0, 50.0)),
        ("DoNothing", "Forbid", ([30.0], 2, 30.0, 50.0)),
        ("DoNothing", "Replace", ([40.0], 3, 40.0, 50.0)),
        ("FireAll", "Allow", ([10.0, 20.0, 30.0, 40.0], 0, 40.0, 50.0)),
        ("FireAll", "Forbid", ([10.0], 0, 10.0, 50.0)),
        ("FireAll", "Replace", ([40.0], 3, 40.0, 50.0)),
    ],
)
def test_the_policy_decides_about_misfires_alone(
    policy: Policy,
    concurrency: Concurrency,
    expected: tuple[list[float], int, float, float],
) -> None:
    """Threshold 20 s at 48 s: 10 and 20 are misfires, 30 and 40 on time and always run.

    FireOnceNow starts no misfire (the on-time run that follows is the "now" run).
    """
    assert expected == _decide(48, policy=policy, concurrency=concurrency, threshold=20)


def test_max_runs_caps_fire_all_misfires_but_not_on_time_fire_times() -> None:
    """maxRuns 1: of the misfires 10 and 20 only 20 runs; 30 and 40 run as on time."""
    assert ([20.0, 30.0, 40.0], 1, 40.0, 50.0) == _decide(
        48, policy="FireAll", concurrency="Allow", threshold=20, max_runs=1
    )


def test_fire_all_under_replace_starts_only_the_latest_misfire() -> None:
    """FireAll under Replace: three misfires, the latest starts, the two before are given up."""
    assert ([30.0], 2, 30.0, 40.0) == _decide(38, policy="FireAll", concurrency="Replace")


@pytest.mark.parametrize(
    ("now", "jitter", "expected"),
    [
        (15, 0, ([10.0], 0, 10.0, 20.0)),
        (16, 0, ([], 1, 10.0, 20.0)),
        (18, 3, ([10.0], 0, 10.0, 23.0)),
        (19, 3, ([], 1, 10.0, 23.0)),
    ],
    ids=["threshold-late", "a-second-more", "threshold-late-jittered", "a-second-more-jittered"],
)
def test_exactly_threshold_late_is_on_time_and_a_second_more_is_a_misfire(
    now: float, jitter: int, expected: tuple[list[float], int, float, float]
) -> None:
    """DoNothing, threshold 5 s: lateness counts from the fire time plus the jitter."""
    assert expected == _decide(now, policy="DoNothing", jitter=jitter)


@pytest.mark.parametrize(
    ("now", "jitter", "expected"),
    [
        (25, 0, ([10.0, 20.0], 0, 20.0, 30.0)),
        (26, 0, ([20.0], 1, 20.0, 30.0)),
        (27, 2, ([10.0, 20.0], 0, 20.0, 32.0)),
        (28, 2, ([20.0], 1, 20.0, 32.0)),
    ],
    ids=["threshold-late", "a-second-more", "threshold-late-jittered", "a-second-more-jittered"],
)
def test_fire_once_now_runs_an_older_fire_time_exactly_threshold_late(
    now: float, jitter: int, expected: tuple[list[float], int, float, float]
) -> None:
    """Threshold 15 s: 10 still runs at 15 s late; a second later 20 is the "now" run."""
    assert expected == _decide(now, concurrency="Allow", threshold=15, jitter=jitter)


def test_a_catch_up_window_shorter_than_the_threshold_skips_no_on_time_fire_time() -> None:
    """Window 10 s, threshold 30 s: 10, 20 and 30 are on time and all run."""
    assert ([10.0, 20.0, 30.0], 0, 30.0, 40.0) == _decide(
        38, policy="FireAll", concurrency="Allow", threshold=30, window=10
    )


# -- Forbid: one at a time ----------------------------------------------------------------------


def test_forbid_starts_several_on_time_fire_times_one_after_another() -> None:
    """While a run is active all three wait; then each reconcile starts the oldest pending."""
    assert [
        ([], 0, None, 40.0),
        ([10.0], 0, 10.0, 40.0),
        ([20.0], 0, 20.0, 40.0),
        ([30.0], 0, 30.0, 40.0),
    ] == [
        _decide(38, threshold=30, active=True),
        _decide(38, threshold=30),
        _decide(39, threshold=30, last=10),
        _decide(39.5, threshold=30, last=20),
    ]


def test_forbid_waiting_is_reported_and_keeps_on_time_fire_times_pending() -> None:
    """Nothing starts and nothing is given up while on-time fire times wait."""
    decision = _decision(38, threshold=30, active=True)
    assert (True, (), None) == (decision.waiting, decision.skipped, decision.last_fire_time)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("FireOnceNow", ([30.0], 1, 30.0, 40.0)),
        ("DoNothing", ([], 2, 30.0, 40.0)),
        ("FireAll", ([20.0], 0, 20.0, 40.0)),
    ],
)
def test_pending_fire_times_late_when_the_run_ends_are_misfires(
    policy: Policy, expected: tuple[list[float], int, float, float]
) -> None:
    """The run for 10 ended at 38 s: 20 and 30 waited past the 5 s threshold."""
    assert expected == _decide(38, policy=policy, last=10)


@pytest.mark.parametrize(
    ("policy", "now", "expected"),
    [
        ("FireOnceNow", 38, ([], 2, 20.0, 40.0)),
        ("DoNothing", 38, ([], 3, 30.0, 40.0)),
        ("FireAll", 38, ([], 1, 10.0, 40.0)),
        ("FireOnceNow", 32, ([], 2, 20.0, 40.0)),
    ],
    ids=["fire-once-now", "do-nothing", "fire-all", "fire-once-now-on-time-follows"],
)
def test_forbid_waiting_gives_up_at_once_the_misfires_the_policy_skips_anyway(
    policy: Policy, now: float, expected: tuple[list[float], int, float, float]
) -> None:
    """While a run is active, misfires sure to be skipped are; the rest stay pending.

    FireOnceNow keeps the latest misfire (it may still run) unless an on-time fire time
    follows it; FireAll (maxRuns 2) keeps the latest two.
    """
    assert expected == _decide(now, policy=policy, active=True, max_runs=2)


# -- long backlogs --------------------------------------------------------------------------------


def _summary(decisions: list[Decision]) -> tuple[list[float], int, float | None]:
    """All started, how many skipped in all, the final lastFireTime."""
    started = [_offset(fire) or 0.0 for decision in decisions for fire in decision.start]
    last = next((d.last_fire_time for d in reversed(decisions) if d.last_fire_time), None)
    return started, sum(d.skipped_count for d in decisions), _offset(last)


def _catch_up(now: float, **options: Unpack[_Options]) -> list[Decision]:
    """Reconcile at `now` (runs end at once) until no backlog remains."""
    decisions = [_decision(now, **options)]
    while decisions[-1].backlog:
        last = _offset(decisions[-1].last_fire_time)
        assert last is not None, "a backlog look moves lastFireTime on"
        decisions.append(_decision(now, **{**options, "last": last}))
    return decisions


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("concurrency", ["Allow", "Replace"])
def test_a_backlog_worked_off_in_several_looks_decides_as_one_look_would(
    monkeypatch: pytest.MonkeyPatch, policy: Policy, concurrency: Concurrency
) -> None:
    """Nine misfires, three examined per look: the same runs start and the same count skip."""
    options: _Options = {"policy": policy, "concurrency": concurrency, "max_runs": 2}
    in_one_look = _summary(_catch_up(97, **options))
    monkeypatch.setattr(scheduledruns, "MAX_EXAMINED", 3)
    in_several = _catch_up(97, **options)
    assert (in_one_look, True) == (_summary(in_several), len(in_several) > 1)


def test_a_forbid_wait_in_a_backlog_is_not_looked_at_again_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing moved (all on time, a run active): the run's end, not a requeue, looks again."""
    monkeypatch.setattr(scheduledruns, "MAX_EXAMINED", 3)
    decision = _decision(97, threshold=1000, active=True, max_runs=2)
    assert (True, False, None) == (decision.waiting, decision.backlog, decision.last_fire_time)


def test_forbid_and_replace_at_once_is_refused() -> None:
    """concurrencyPolicy is one of the three: both flags is a caller's bug, said at once."""
    with pytest.raises(ValueError, match="forbid and replace are exclusive"):
        decide(
            Timing(EVERY_10_SECONDS),
            MisfireRules(),
            last_fire_time=LAST,
            now=_at(38),
            active=False,
            forbid=True,
            replace=True,
        )


# -- properties over random schedules, outages and policies -------------------------------------


@dataclasses.dataclass(frozen=True)
class _Scenario:
    """A schedule, its settings, and when the operator looked (ms after the previous look)."""

    period: int
    jitter: int
    rules: MisfireRules
    concurrency: Concurrency
    run_seconds: int
    gaps_ms: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class _Look:
    """One reconcile: what it was given, what it decided, the fire times it handled."""

    now: datetime.datetime
    active: bool
    jitter: datetime.timedelta
    rules: MisfireRules
    concurrency: Concurrency
    decision: Decision
    handled: tuple[datetime.datetime, ...]
    unhandled: datetime.datetime
    """The oldest fire time after the new lastFireTime (due or not)."""

    @property
    def given_up(self) -> list[datetime.datetime]:
        return [fire for fire in self.handled if fire not in self.decision.start]

    def late(self, fire: datetime.datetime) -> datetime.timedelta:
        return self.now - (fire + self.jitter)


@st.composite
def _scenarios(draw: st.DrawFn) -> _Scenario:
    window = draw(st.none() | st.integers(1, 60))
    rules = MisfireRules(
        policy=draw(st.sampled_from(POLICIES)),
        threshold=datetime.timedelta(seconds=draw(st.integers(1, 30))),
        catch_up_window=None if window is None else datetime.timedelta(seconds=window),
        max_runs=draw(st.integers(1, 4)),
    )
    short, outage = st.integers(100, 3_000), st.integers(3_000, 90_000)
    return _Scenario(
        period=draw(st.sampled_from([1, 2, 3, 5, 10, 15, 20, 30])),
        jitter=draw(st.integers(0, 10)),
        rules=rules,
        concurrency=draw(st.sampled_from(["Allow", "Forbid", "Replace"])),
        run_seconds=draw(st.integers(0, 20)),
        gaps_ms=tuple(draw(st.lists(short | outage, min_size=1, max_size=25))),
    )


def _looks(scenario: _Scenario) -> list[_Look]:
    """Reconcile at each gap, feeding back lastFireTime as the operator does."""
    schedule = schedules.parse_schedule(f"0/{scenario.period} * * * * ?")
    timing = Timing(schedule, jitter=datetime.timedelta(seconds=scenario.jitter))
    baseline, now = LAST, LAST
    run_ends: list[datetime.datetime] = []
    looks = []
    for gap in scenario.gaps_ms:
        now += datetime.timedelta(milliseconds=gap)
        active = any(end > now for end in run_ends)
        decision = decide(
            timing,
            scenario.rules,
            last_fire_time=baseline,
            now=now,
            active=active,
            forbid=scenario.concurrency == "Forbid",
            replace=scenario.concurrency == "Replace",
        )
        handled_up_to = decision.last_fire_time or baseline
        handled = itertools.takewhile(
            lambda fire, up_to=handled_up_to: fire <= up_to,
            schedules.fire_times(schedule, after=baseline),
        )
        [unhandled] = schedules.next_fire_times(schedule, after=handled_up_to)
        looks.append(
            _Look(
                now,
                active,
                timing.jitter,
                scenario.rules,
                scenario.concurrency,
                decision,
                tuple(handled),
                unhandled,
            )
        )
        run_ends += [now + datetime.timedelta(seconds=scenario.run_seconds)] * len(decision.start)
        baseline = handled_up_to
    return looks


PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, database=None)


@PROPERTY_SETTINGS
@given(_scenarios())
def test_no_fire_time_at_most_threshold_late_is_ever_skipped(scenario: _Scenario) -> None:
    """Whatever the policy; under Replace only for a later run started in its place at once."""
    for look in _looks(scenario):
        on_time_given_up = [
            fire for fire in look.given_up if look.late(fire) <= look.rules.threshold
        ]
        replaced = [
            fire
            for fire in on_time_given_up
            if look.concurrency == "Replace" and fire < max(look.decision.start, default=fire)
        ]
        assert replaced == on_time_given_up, (look.now, on_time_given_up)


@PROPERTY_SETTINGS
@given(_scenarios())
def test_no_fire_time_is_started_twice_across_reconciles(scenario: _Scenario) -> None:
    """Each start is due, after the previous lastFireTime, and handled by the new one; once."""
    looks = _looks(scenario)
    started = [fire for look in looks for fire in look.decision.start]
    given_up = {fire for look in looks for fire in look.given_up}
    assert [] == [
        fire
        for look in looks
        for fire in look.decision.start
        if fire not in look.handled or fire + look.jitter > look.now
    ]
    assert (len(started), set()) == (len(set(started)), given_up & set(started))


@PROPERTY_SETTINGS
@given(_scenarios())
def test_skipped_count_is_the_fire_times_given_up(scenario: _Scenario) -> None:
    """Every handled fire time not started is counted, and the latest are listed."""
    for look in _looks(scenario):
        given_up = look.given_up
        assert (len(given_up), given_up[-scheduledruns.SKIPPED_LISTED :]) == (
            look.decision.skipped_count,
            list(look.decision.skipped),
        )


@PROPERTY_SETTINGS
@given(_scenarios())
def test_forbid_never_starts_more_than_one_run_or_one_while_another_is_active(
    scenario: _Scenario,
) -> None:
    """Under Forbid each reconcile starts at most one run, and none while a run is active."""
    looks = _looks(dataclasses.replace(scenario, concurrency="Forbid"))
    assert [] == [look.now for look in looks if len(look.decision.start) > 1]
    assert [] == [look.now for look in looks if look.active and look.decision.start]


@PROPERTY_SETTINGS
@given(_scenarios())
def test_each_reconcile_handles_what_it_may(scenario: _Scenario) -> None:
    """Allow and Replace leave no due fire time unhandled; Forbid with no active run leaves
    due fire times pending only after starting one."""
    for look in _looks(scenario):
        due_left = look.unhandled + look.jitter <= look.now
        if look.concurrency != "Forbid":
            assert not due_left, (look.now, look.unhandled)
        elif not look.active:
            assert len(look.decision.start) == 1 or not due_left, look.now
