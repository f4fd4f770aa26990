"""The class job authors subclass: write `execute`, declare `Parameters`, get the rest free.

class CleanupParameters(BaseModel):
    RetentionDays: int = 30

class DataCleanupJob(BaseJob):
    Parameters = CleanupParameters

    async def execute(self, ctx: JobContext[CleanupParameters]) -> None:
        ctx.logger.info("Cleaning up", retention_days=ctx.data.RetentionDays)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from basejob.context import JobContext

if TYPE_CHECKING:  # pydantic costs ~100 ms to import; jobs without Parameters never need it
    from pydantic import BaseModel


class BaseJob:
    """A scheduled job. Subclasses implement `execute`; the runtime does everything else."""

    name: ClassVar[str] = ""
    """The registered name; defaults to the class name."""
    Parameters: ClassVar[type[BaseModel] | None] = None
    """A pydantic model of the job data; invalid data fails the run as fatal, naming the field.
    Without one, `ctx.data` is the plain dict."""
    description: ClassVar[str] = ""
    """One line for `basejob list`; defaults to the first line of the class docstring."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__
        if not cls.__dict__.get("description"):
            cls.description = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    async def execute(self, ctx: JobContext[Any]) -> None:
        """The job's work. Raise TransientError or FatalError to say how it failed."""
        raise NotImplementedError
