"""Decides whether a live CronJob still matches what we want, ignoring what the server adds.

The API server fills in defaults (and the CronJob controller writes status), so equality is too
strict: a live object matches when every field we set has our value. Resource quantities are
compared by value, because the server rewrites them canonically ("0.5" becomes "500m").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$")
_SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18"),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip


def quantity_value(quantity: object) -> Decimal | None:
    """A Kubernetes quantity's numeric value, or None if it is not one."""
    match = _QUANTITY.match(str(quantity).strip())
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        if suffix[:1] in {"e", "E"} and len(suffix) > 1:
            return Decimal(number + suffix)
        return Decimal(number) * _SUFFIXES[suffix]
    except (InvalidOperation, KeyError):
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
