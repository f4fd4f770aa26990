"""The benchmark report: the median round's ratio and the CPU comparison come from the numbers."""

from __future__ import annotations

import dataclasses

from benchmarks import report
from benchmarks.scale import OPERATOR_PROCESS, Round, ScaleResult


def _result(*rounds: Round) -> ScaleResult:
    first = rounds[0]
    return ScaleResult(
        size=1000,
        concurrency=16,
        direct_seconds=first.direct_seconds,
        submit_seconds=1.0,
        operator_seconds=first.operator_seconds,
        settle_seconds=1.0,
        create_writes={},
        create_reads={},
        direct_side_writes={},
        reconciles=1000,
        reconcile_seconds=100.0,
        create_cpu_seconds=10.0,
        idle_seconds=300,
        idle_writes={},
        idle_reads={},
        idle_reconciles=0,
        idle_cpu_seconds=0.1,
        rss_after_create_mb=100,
        peak_rss_mb=110,
        steady_rss_mb=100,
        resync_seconds=1.0,
        resync_writes={},
        resync_reads={},
        direct_cpu={"kube-apiserver": 6.0, "benchmark": 4.0},
        operator_cpu={"kube-apiserver": 18.0, "benchmark": 2.0, OPERATOR_PROCESS: 10.0},
        rounds=rounds,
    )


def test_the_ratio_is_the_median_round() -> None:
    """Three rounds: the middle ratio is reported, with its own times."""
    result = _result(Round(5.0, 20.0), Round(5.0, 10.0), Round(4.0, 12.0))
    assert 3.0 == result.ratio
    assert Round(4.0, 12.0) == result.median_round
    assert (2.0, 4.0) == result.ratio_spread


def test_an_even_number_of_rounds_reports_the_lower_middle() -> None:
    """Two rounds: the better one, not an average of times never measured together."""
    assert 2.0 == _result(Round(5.0, 10.0), Round(5.0, 20.0)).ratio


def test_the_cpu_section_compares_cpu_with_and_without_the_operator() -> None:
    """30 ms against 10 ms per object is 3.00x; without the operator's 10 ms, 2.00x."""
    result = _result(Round(5.0, 15.0))
    text = "\n".join(report._cpu_section([result]))
    assert "CPU per ScheduledJob over CPU per direct CronJob **3.00x**" in text
    assert "without the operator's own CPU **2.00x**" in text
    assert "| 1000 | ScheduledJobs | 15.00 |" in text


def test_a_result_without_rounds_is_its_own_round() -> None:
    """Results built before rounds existed still report their one ratio."""
    result = dataclasses.replace(_result(Round(5.0, 15.0)), rounds=())
    assert 3.0 == result.ratio
