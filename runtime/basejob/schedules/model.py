"""The two values every caller of `schedules` handles: a parsed schedule and the error.

They live apart from the parsers so that each layer (fields, days, Quartz, CronJob translation,
fire times) can raise `ScheduleError` without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class ScheduleError(ValueError):
    """An expression we cannot run; .part names the offending field (e.g. "seconds",
    "day-of-week", "year", "expression", "timeZone")."""

    part: str

    def __init__(self, message: str, *, part: str) -> None:
        super().__init__(message)
        self.part = part


@dataclass(frozen=True)
class CronSchedule:
    """A valid schedule, and how it runs: as a Kubernetes CronJob or triggered by the operator.

    `cron` is what a CronJob gets (five fields, or a macro such as `@daily` kept as written)
    when a CronJob runs the schedule exactly; None when it cannot, and `operator_reason` then
    says why, e.g. "seconds other than 0 (...)".
    """

    source: str
    """The expression as written, surrounding whitespace removed."""
    dialect: Literal["standard", "quartz"]
    """standard: five fields or a macro; quartz: six or seven fields, seconds first."""
    cron: str | None
    """The robfig/cron-compatible expression a CronJob runs, or None."""
    operator_reason: str | None = None
    """Why no CronJob can run the schedule exactly; None exactly when `cron` is set."""

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.operator_reason is None):
            message = (
                f'schedule "{self.source}": give either cron or operator_reason, not both or '
                "neither; build schedules with parse_schedule"
            )
            raise ValueError(message)

    @property
    def needs_operator(self) -> bool:
        """Whether the operator must trigger the runs itself, because no CronJob can."""
        return self.cron is None
