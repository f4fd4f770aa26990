"""Small jobs with known behaviour, for the runtime's own tests (run as `support.sample_jobs:X`)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from basejob.context import JobContext
from basejob.errors import FatalError, TransientError
from basejob.job import BaseJob


class NoOpJob(BaseJob):
    """Does nothing (start-up and overhead measurements)."""

    async def execute(self, ctx: JobContext[Any]) -> None:
        """Nothing at all."""


class GreetingParameters(BaseModel):
    """Parameters of GreetingJob."""

    BatchSize: int = Field(gt=0, description="How many greetings.")
    Greeting: str = Field(default="hello", description="What to say.")


class GreetingJob(BaseJob):
    """Logs through ctx.logger and standard logging, records a business metric."""

    Parameters = GreetingParameters

    async def execute(self, ctx: JobContext[GreetingParameters]) -> None:
        """Greet BatchSize times."""
        greeted = ctx.metrics.counter("greetings_total", "Greetings said.")
        for _ in range(ctx.data.BatchSize):
            greeted.inc()
        ctx.logger.info("Greeted", count=ctx.data.BatchSize)
        logging.getLogger("third.party").info("Standard logging line")


class FlakyJob(BaseJob):
    """Always fails transiently."""

    async def execute(self, ctx: JobContext[Any]) -> None:
        """Raise a TransientError."""
        message = "the database is busy"
        raise TransientError(message)


class BrokenJob(BaseJob):
    """Always fails fatally."""

    async def execute(self, ctx: JobContext[Any]) -> None:
        """Raise a FatalError."""
        message = "the reports table does not exist"
        raise FatalError(message)


class CrashingJob(BaseJob):
    """Fails with an exception nobody anticipated."""

    async def execute(self, ctx: JobContext[Any]) -> None:
        """Raise a KeyError."""
        key = "missing"
        raise KeyError(key)


class SleepyJob(BaseJob):
    """Sleeps until cancelled (or 60 s)."""

    async def execute(self, ctx: JobContext[Any]) -> None:
        """Log once, then wait."""
        ctx.logger.info("Sleeping")
        await asyncio.sleep(60)


class OutcomeParameters(BaseModel):
    """Parameters of OutcomeJob."""

    Fail: bool = Field(default=False, description="Fail transiently instead of succeeding.")


class OutcomeJob(BaseJob):
    """Succeeds, or fails transiently when asked to: for counting outcomes across runs."""

    Parameters = OutcomeParameters

    async def execute(self, ctx: JobContext[OutcomeParameters]) -> None:
        """Fail if Fail is set."""
        if ctx.data.Fail:
            message = "asked to fail"
            raise TransientError(message)


class FailsOnceParameters(BaseModel):
    """Parameters of FailsOnceJob."""

    Marker: str = Field(description="A file path: absent means first attempt (fail), else succeed.")


class FailsOnceJob(BaseJob):
    """Fails transiently on the first attempt and succeeds on the retry (runs share a disk)."""

    Parameters = FailsOnceParameters

    async def execute(self, ctx: JobContext[FailsOnceParameters]) -> None:
        """Create the marker and fail, or find it and succeed."""
        marker = Path(ctx.data.Marker)
        if not marker.exists():
            marker.write_text("attempted once\n")
            message = "first attempt fails on purpose"
            raise TransientError(message)
        ctx.logger.info("Succeeded on the retry")


class SecretDigestParameters(BaseModel):
    """Parameters of SecretDigestJob."""

    ApiToken: str = Field(description="A secret value (from a Secret through dataFrom).")
    Label: str = Field(default="", description="A literal value, logged as context like any other.")


class SecretDigestJob(BaseJob):
    """Uses a secret in its work and logs its SHA-256, so a test can tell it arrived."""

    Parameters = SecretDigestParameters

    async def execute(self, ctx: JobContext[SecretDigestParameters]) -> None:
        """Log the token's digest through ctx.logger and a line through standard logging."""
        digest = hashlib.sha256(ctx.data.ApiToken.encode()).hexdigest()
        ctx.logger.info("Digested the token", sha256=digest)
        logging.getLogger("third.party").info("Standard logging line")
