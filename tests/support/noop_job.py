"""A job that does nothing, alone in its module, so start-up benchmarks measure only the runtime."""

from __future__ import annotations

from typing import Any

from basejob.context import JobContext
from basejob.job import BaseJob


class NoOpJob(BaseJob):
    """Does nothing."""

    async def execute(self, ctx: JobContext[Any]) -> None:
        """Nothing at all."""
