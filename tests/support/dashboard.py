"""The chart's Grafana dashboard, its queries, and what Grafana substitutes before it sends one.

Used by the dashboard's structure test and by tests that run every panel query against a real
Prometheus:

    for name, expr in panel_queries():
        prometheus.wait_for_query(substitute(expr, scheduledjob_regex="my-job"), bool)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

DASHBOARD_PATH = (
    Path(__file__).resolve().parents[2]
    / "charts"
    / "scheduledjob-operator"
    / "dashboards"
    / "scheduledjob-runs.json"
)
DASHBOARD: dict[str, Any] = json.loads(DASHBOARD_PATH.read_text())

# Grafana's interval variables, as a query with a 1h range and 1m steps would see them.
INTERVALS: Mapping[str, str] = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}
# `$name` or `${name}`; the whole name (`$__range_s` is not `$__range` followed by `_s`).
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)\}|(?P<bare>\w+))")


def panels(dashboard: Mapping[str, Any] = DASHBOARD) -> Iterator[dict[str, Any]]:
    """Every panel, rows included, and the panels inside collapsed rows."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def panel_queries() -> list[tuple[str, str]]:
    """Every panel target as (`title [refId]`, expr), in dashboard order."""
    return [
        (f"{panel['title']} [{target['refId']}]", target["expr"])
        for panel in panels()
        for target in panel.get("targets", [])
    ]


def substitute(expr: str, namespace_regex: str = ".*", scheduledjob_regex: str = ".*") -> str:
    """`expr` as Grafana sends it: its variables replaced by the given regexes and intervals.

    Unknown variables are left alone (and make the query fail, which is the point).
    """
    values = {**INTERVALS, "namespace": namespace_regex, "scheduledjob": scheduledjob_regex}

    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        return values.get(name, match.group(0))

    return _VARIABLE.sub(value, expr)
