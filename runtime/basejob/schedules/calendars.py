"""Calendars: local dates on which a schedule does not fire (holidays, freeze days).

Quartz attaches such calendars to triggers; here they are plain dates in the schedule's time
zone, given to `fire_times`. Exclusion works on whole days during iteration, so excluding
many dates costs one set look-up per matching day, and a schedule whose every day is excluded
ends at the search horizon instead of running forever.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime


def excluded_days(dates: Collection[date]) -> frozenset[date]:
    """The dates as a set; a datetime is refused, since its date depends on a time zone."""
    for day in dates:
        if isinstance(day, datetime):
            message = (
                f"excluded_dates holds the datetime {day.isoformat()}; give dates in the "
                "schedule's time zone, e.g. datetime.date(2026, 12, 25)"
            )
            raise TypeError(message)
    return frozenset(dates)
