"""TestMetricsJob: the seed's simulated workload that gives dashboards and alerts something to show.

It exists to exercise the monitoring path end to end: each run takes a random time and fails
with probability `ErrorRate`, raising one of a fixed set of error classes so that both
outcomes of the error contract (transient: retried; fatal: failed at once) and several
`error_type` values appear in `job_errors_total`. With `Seed` every run draws the same
numbers, which makes a run reproducible (and, on a schedule, makes every run the same).
"""

from __future__ import annotations

import random
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from basejob.context import JobContext
from basejob.errors import FatalError, TransientError
from basejob.job import BaseJob
from basejob_examples.long_running import sleep_unless_cancelled


class SimulatedTimeoutError(TransientError):
    """A simulated timeout of a downstream call: retrying may help."""


class SimulatedDependencyError(TransientError):
    """A simulated outage of a service the job depends on: retrying may help."""


class SimulatedDataError(FatalError):
    """Simulated bad data: retrying cannot help."""


SIMULATED_ERRORS: tuple[type[TransientError | FatalError], ...] = (
    SimulatedTimeoutError,
    SimulatedDependencyError,
    SimulatedDataError,
)
"""The errors a failing run raises, one drawn at random."""


class TestMetricsParameters(BaseModel):
    """The simulated workload: how long a run takes and how often it fails."""

    __test__ = False  # a job's parameters, not a pytest test class
    model_config = ConfigDict(extra="forbid")

    MinSeconds: float = Field(
        default=0.1, ge=0, le=3600, description="Shortest simulated run, in seconds."
    )
    MaxSeconds: float = Field(
        default=2.0, ge=0, le=3600, description="Longest simulated run, in seconds."
    )
    ErrorRate: float = Field(
        default=0.1, ge=0, le=1, description="Probability that a run fails (0 to 1)."
    )
    Seed: int | None = Field(
        default=None,
        description="Seed of the random draws: the same seed gives the same duration and "
        "outcome on every run. Unset: a different draw each run.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.MinSeconds > self.MaxSeconds:
            message = "MinSeconds must not exceed MaxSeconds"
            raise ValueError(message)
        return self


class TestMetricsJob(BaseJob):
    """Simulates work of random duration that fails at random, to exercise dashboards."""

    __test__ = False  # a job, not a pytest test class
    Parameters = TestMetricsParameters

    async def execute(self, ctx: JobContext[TestMetricsParameters]) -> None:
        """Draw a duration and an outcome, sleep that long, then succeed or raise the error."""
        draw = random.Random(ctx.data.Seed)  # noqa: S311 - a simulation, not cryptography
        seconds = draw.uniform(ctx.data.MinSeconds, ctx.data.MaxSeconds)
        error = draw.choice(SIMULATED_ERRORS) if draw.random() < ctx.data.ErrorRate else None
        outcome = "success" if error is None else error.__name__
        ctx.logger.info("Started simulated work", seconds=round(seconds, 3), outcome=outcome)
        await sleep_unless_cancelled(ctx, seconds)
        ctx.metrics.histogram(
            "testmetrics_work_seconds", "Simulated work durations of TestMetricsJob."
        ).observe(seconds)
        ctx.metrics.counter(
            "testmetrics_outcomes_total", "Simulated outcomes of TestMetricsJob.", ["outcome"]
        ).labels(outcome=outcome).inc()
        if error is not None:
            message = f"simulated failure after {seconds:.3f}s ({error.__name__})"
            raise error(message)
        ctx.logger.info("Finished simulated work", seconds=round(seconds, 3))
