"""LongRunningJob: the seed's long-running process, to see cancellation and overlapping runs.

It exists as the example of a job that honours cancellation: it works in steps, logs its
progress after each, and stops within one step when the run is asked to stop. The runtime
turns SIGTERM into both `ctx.cancelled` and a cancelled task; this job waits on the event, so
even a caller that only sets the event sees it stop at once, and it lets the cancellation
propagate (a swallowed cancellation would report a stopped run as a success).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from basejob.context import JobContext
from basejob.job import BaseJob


async def sleep_unless_cancelled(ctx: JobContext[Any], seconds: float) -> None:
    """Sleep `seconds`, or raise CancelledError as soon as `ctx.cancelled` is set."""
    try:
        await asyncio.wait_for(ctx.cancelled.wait(), timeout=seconds)
    except TimeoutError:
        return
    raise asyncio.CancelledError


class LongRunningParameters(BaseModel):
    """How long to run, and how often to report progress and check for cancellation."""

    model_config = ConfigDict(extra="forbid")

    DurationSeconds: float = Field(
        default=60.0, gt=0, le=86400, description="Total time the job works."
    )
    StepSeconds: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="Length of one step; progress is logged after each step.",
    )

    @model_validator(mode="after")
    def _step_fits(self) -> Self:
        if self.StepSeconds > self.DurationSeconds:
            message = "StepSeconds must not exceed DurationSeconds"
            raise ValueError(message)
        return self


class LongRunningJob(BaseJob):
    """Works for DurationSeconds in steps, logging progress; stops promptly when cancelled."""

    Parameters = LongRunningParameters

    async def execute(self, ctx: JobContext[LongRunningParameters]) -> None:
        """Run the steps; on cancellation log where it stopped and let the cancellation go on."""
        duration, step = ctx.data.DurationSeconds, ctx.data.StepSeconds
        steps = math.ceil(duration / step - 1e-9)  # 0.3 / 0.1 is three steps, not four
        counter = ctx.metrics.counter("longrunning_steps_total", "Steps LongRunningJob finished.")
        ctx.logger.info("Started long-running work", steps=steps, duration_seconds=duration)
        done = 0.0
        for number in range(1, steps + 1):
            seconds = min(step, duration - done)
            try:
                await sleep_unless_cancelled(ctx, seconds)
            except asyncio.CancelledError:
                ctx.logger.warning(
                    "Stopped long-running work on cancellation",
                    step=number - 1,
                    steps=steps,
                    elapsed_seconds=round(done, 3),
                )
                raise
            done += seconds
            counter.inc()
            ctx.logger.info(
                "Completed step",
                step=number,
                steps=steps,
                progress_percent=round(100 * done / duration, 1),
            )
