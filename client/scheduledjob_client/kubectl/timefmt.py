"""Times as kubectl shows them: `5m10s`, `3h`, `2d4h`, so the plugin reads like `kubectl get`.

A port of kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration): the coarser the
distance, the fewer units. Pure, with `now` passed in, so tables are tested at a fixed time.
"""

from __future__ import annotations

import datetime
from typing import Final

from basejob import timestamps

NONE: Final = "<none>"
_MINUTE: Final = 60
_HOUR: Final = 3600
_DAY: Final = 86400
_YEAR_DAYS: Final = 365
# kubectl's thresholds: below each, one more unit of precision is shown.
_MINUTES_WITH_SECONDS: Final = 10
_MINUTES_ONLY: Final = 180
_HOURS_WITH_MINUTES: Final = 8
_HOURS_ONLY: Final = 48


def _days_and_years(hours: int) -> str:
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if hours < 24 * _YEAR_DAYS * 2:
        return f"{days}d"
    years, rest = divmod(days, _YEAR_DAYS)
    if hours < 24 * _YEAR_DAYS * 8 and rest:
        return f"{years}y{rest}d"
    return f"{years}y"


def human_duration(seconds: float) -> str:
    """A non-negative duration as kubectl's AGE column writes it."""
    whole = max(int(seconds), 0)
    if whole < _MINUTE * 2:
        return f"{whole}s"
    minutes = whole // _MINUTE
    if minutes < _MINUTES_WITH_SECONDS:
        return f"{minutes}m{whole % _MINUTE}s" if whole % _MINUTE else f"{minutes}m"
    if minutes < _MINUTES_ONLY:
        return f"{minutes}m"
    hours = whole // _HOUR
    if hours < _HOURS_WITH_MINUTES:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < _HOURS_ONLY:
        return f"{hours}h"
    return _days_and_years(hours)


def age(moment: datetime.datetime | None, now: datetime.datetime) -> str:
    """How long ago `moment` was (`5m`), or `<none>`."""
    if moment is None:
        return NONE
    return human_duration((now - moment).total_seconds())


def relative(moment: datetime.datetime | None, now: datetime.datetime) -> str:
    """`in 5m` for a future moment, `5m ago` for a past one, `<none>` for none."""
    if moment is None:
        return NONE
    seconds = (moment - now).total_seconds()
    if seconds >= 0:
        return f"in {human_duration(seconds)}"
    return f"{human_duration(-seconds)} ago"


def seconds(value: object) -> str:
    """A run's duration in seconds: `2.3s` below a minute, else as human_duration."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return NONE
    if value < _MINUTE:
        return f"{value:.1f}s"
    return human_duration(value)


def timestamp(moment: datetime.datetime | None) -> str:
    """An absolute time as RFC 3339 in UTC, as the API writes it."""
    if moment is None:
        return NONE
    return timestamps.rfc3339(moment)
