"""Decides whether a live CronJob still matches what we want, ignoring what the server adds.

The API server fills in defaults (and the CronJob controller writes status), so equality is too
strict: a live object matches when every field we set has our value. Resource quantities are
compared by value, because the server rewrites them canonically ("0.5" becomes "500m").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from scheduledjob_api import podfields


def quantity_value(quantity: object) -> Decimal | None:
    """A Kubernetes quantity's numeric value, or None if it is not one."""
    if isinstance(quantity, bool):
        return None
    try:
        return podfields.quantity_value(
            quantity if isinstance(quantity, int) else str(quantity).strip()
        )
    except ValueError:
        return None


def _same_quantities(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    if set(wanted) != set(live):
        return False
    return all(quantity_value(wanted[key]) == quantity_value(live[key]) for key in wanted)


def matches(wanted: Any, live: Any, *, path: tuple[str, ...] = ()) -> bool:
    """True when every field of `wanted` is present in `live` with the same value."""
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            return False
        if path[-1:] in (("limits",), ("requests",)):
            return _same_quantities(wanted, live)
        return all(
            key in live and matches(value, live[key], path=(*path, key))
            for key, value in wanted.items()
        )
    if isinstance(wanted, Sequence) and not isinstance(wanted, str):
        if not isinstance(live, Sequence) or isinstance(live, str) or len(wanted) != len(live):
            return False
        return all(matches(w, v, path=path) for w, v in zip(wanted, live, strict=True))
    return bool(wanted == live)
