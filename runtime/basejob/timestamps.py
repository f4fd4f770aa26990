"""Times written as RFC 3339 text, the one way every package of the product formats them.

Kubernetes writes `2026-11-29T10:15:03Z` (and `...03.123456Z` for the microsecond fields of
Leases and Node heartbeats); the runtime's run summaries and the reports keep whatever
precision a moment has. Every distribution depends on the runtime, so this lives here and the
API, client, operator, examples and dev tools all format times through it.
"""

from __future__ import annotations

import datetime


def rfc3339(moment: datetime.datetime, *, fraction: bool = False) -> str:
    """`moment` in UTC with a Z: whole seconds (truncated), or six fraction digits if `fraction`."""
    utc = moment.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")


def rfc3339_as_given(moment: datetime.datetime) -> str:
    """`moment` in its own offset (Z for UTC), with microseconds only when it has any."""
    return moment.isoformat().replace("+00:00", "Z")
