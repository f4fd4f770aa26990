"""Durations as the ScheduledJob API writes them (`90s`, `10m`, `1h30m`), read in one place.

`spec.delay` is such a duration. The operator reads it to know when a one-shot run is due; the
client reads it to check the delays it is given and to show when runs are due. Both read it
here, so a delay means the same number of seconds to both.
"""

from __future__ import annotations

import datetime
import re
from typing import Final

_DURATION_PART: Final = re.compile(r"([0-9]+)([hms])")
_UNIT_SECONDS: Final = {"h": 3600, "m": 60, "s": 1}


def duration_seconds(text: str) -> int:
    """Seconds in a Go-style duration (`90s`, `10m`, `1h30m`); ValueError names the text."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(amount + unit for amount, unit in parts) != text:
        message = f"{text!r} is not a duration like 90s, 10m or 1h30m"
        raise ValueError(message)
    return sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in parts)


def parse_duration(text: str) -> datetime.timedelta:
    """A Go-style duration (`90s`, `10m`, `1h30m`) as a timedelta; ValueError names the text."""
    return datetime.timedelta(seconds=duration_seconds(text))
