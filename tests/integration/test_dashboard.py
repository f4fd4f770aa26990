"""The Grafana dashboard is well formed and every panel's query returns data from real runs."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from scheduledjob_operator.localcluster.pytest_plugin import MonitoringStack

from .test_runtime_metrics import run_basejob

DASHBOARD = json.loads(
    (
        Path(__file__).resolve().parents[2]
        / "charts"
        / "scheduledjob-operator"
        / "dashboards"
        / "scheduledjob-runs.json"
    ).read_text()
)
QUERIES = [
    (f"{panel['title']} [{target['refId']}]", target["expr"])
    for panel in DASHBOARD["panels"]
    for target in panel["targets"]
]
# What Grafana substitutes before it sends a query.
VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$namespace": ".*", "$scheduledjob": ".*"}


def _uids(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uid"]] if isinstance(node.get("uid"), str) else []
        return found + [uid for value in node.values() for uid in _uids(value)]
    if isinstance(node, list):
        return [uid for value in node for uid in _uids(value)]
    return []


def test_dashboard_uses_a_datasource_variable_and_no_fixed_uids() -> None:
    """Every datasource is `${datasource}`; the only fixed UID is the dashboard's own."""
    assert ["datasource"] == [
        v["name"] for v in DASHBOARD["templating"]["list"] if v["type"] == "datasource"
    ]
    assert {"scheduledjob-runs", "${datasource}"} == set(_uids(DASHBOARD))


def test_panels_are_well_formed_and_do_not_overlap() -> None:
    """Unique IDs, a title, a type, targets with refIds, and grid positions that do not overlap."""
    panels = DASHBOARD["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        assert panel["title"]
        assert panel["type"] in {"timeseries", "table", "stat"}
        assert panel["targets"]
        assert all(t["refId"] and t["expr"] for t in panel["targets"])
        grid = panel["gridPos"]
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, panel["title"]
        cells |= mine


@pytest.fixture(scope="module")
def real_runs(
    prometheus_stack: MonitoringStack, tmp_path_factory: pytest.TempPathFactory
) -> MonitoringStack:
    """Several real runs, successes and failures, scraped between pushes."""
    scheduledjob = f"dash-{uuid.uuid4().hex[:6]}"
    tmp_path = tmp_path_factory.mktemp("dashboard-runs")
    for fail in (False, True, False, True, False):
        run_basejob(prometheus_stack, scheduledjob, tmp_path, fail=fail)
        time.sleep(1.5)
    return prometheus_stack


@pytest.mark.parametrize(("panel", "expr"), QUERIES, ids=[name for name, _ in QUERIES])
def test_panel_query_returns_data(real_runs: MonitoringStack, panel: str, expr: str) -> None:
    """The panel's query, with Grafana's variables filled in, returns series from real runs."""
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    result = real_runs.prometheus.wait_for_query(expr, bool, timeout=30)
    assert result, panel
