"""The Grafana dashboard is well formed, portable, filters by its variables, and its PromQL parses.

That every query returns data after real runs is the concern of an end-to-end test with the
operator scraped (support.dashboard gives it the queries and Grafana's substitution).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import tools
from support.dashboard import DASHBOARD, panel_queries, panels, substitute

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PANELS = [panel for panel in panels() if panel["type"] != "row"]
QUERIES = panel_queries()
VARIABLES = {variable["name"]: variable for variable in DASHBOARD["templating"]["list"]}
FILTERS = ('namespace=~"$namespace"', 'scheduledjob=~"$scheduledjob"')
# Every metric the dashboard may read, by where it comes from. One panel reads one source, so
# nothing a run pushed is added to what the operator reports about the same run.
SOURCES = {
    "job_executions_total": "runtime",
    "job_errors_total": "runtime",
    "job_duration_seconds_bucket": "runtime",
    "job_last_success_timestamp_seconds": "runtime",
    "scheduledjob_info": "operator",
    "scheduledjob_suspended": "operator",
    "scheduledjob_expected_interval_seconds": "operator",
    "scheduledjob_last_success_timestamp_seconds": "operator",
    "scheduledjob_next_run_timestamp_seconds": "operator",
    "scheduledjob_active_runs": "operator",
    "scheduledjob_oldest_active_run_start_timestamp_seconds": "operator",
    "scheduledjob_last_run_failed": "operator",
    "scheduledjob_runs_total": "operator",
    "scheduledjob_missed_runs_total": "operator",
    "scheduledjob_operator_reconcile_total": "operator",
    "scheduledjob_operator_reconcile_errors_total": "operator",
    "scheduledjob_operator_reconcile_duration_seconds_bucket": "operator",
}
# What the first sentence of a panel's description says for each source.
SOURCE_NAMED = {
    "runtime": "From the metrics each run pushes to the Pushgateway",
    "operator": "From the operator's",
}
# A metric name followed by its label matchers or a range: `name{...}` or `name[`.
SELECTOR = re.compile(r"\b([a-zA-Z_:][\w:]*)(\{[^}]*\}|\[)")
LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+), *\w+\)$")


def selectors(expr: str) -> list[tuple[str, str]]:
    """(metric, matchers) of every selector in `expr`; matchers is "" for `name[...]`."""
    return [(name, rest if rest.startswith("{") else "") for name, rest in SELECTOR.findall(expr)]


def _uids(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uid"]] if isinstance(node.get("uid"), str) else []
        return found + [uid for value in node.values() for uid in _uids(value)]
    if isinstance(node, list):
        return [uid for value in node for uid in _uids(value)]
    return []


def test_dashboard_uses_a_datasource_variable_and_no_fixed_uids() -> None:
    """One datasource variable; every UID is `${datasource}` but the dashboard's own."""
    assert ["datasource"] == [v["name"] for v in VARIABLES.values() if v["type"] == "datasource"]
    assert "prometheus" == VARIABLES["datasource"]["query"]
    assert {"scheduledjob-runs", "${datasource}"} == set(_uids(DASHBOARD))


@pytest.mark.parametrize("name", ["namespace", "scheduledjob"])
def test_variables_list_every_scheduledjob_the_operator_knows(name: str) -> None:
    """namespace and scheduledjob come from scheduledjob_info (jobs that never ran too), and
    "All" matches everything, runs without a ScheduledJob included."""
    variable = VARIABLES[name]
    assert DATASOURCE == variable["datasource"]
    assert variable["definition"] == variable["query"]["query"]
    match = LABEL_VALUES.match(variable["definition"])
    assert match is not None
    assert "scheduledjob_info" == selectors(match["selector"] + "{}")[0][0]
    assert (True, True, ".*") == (variable["includeAll"], variable["multi"], variable["allValue"])


def test_panel_ids_are_unique() -> None:
    """Every panel, rows included, has its own id."""
    ids = [panel["id"] for panel in panels()]
    assert sorted(set(ids)) == sorted(ids)


def test_panels_do_not_overlap() -> None:
    """Grid positions lie within Grafana's 24 columns and no two share a cell."""
    cells: dict[tuple[int, int], str] = {}
    for panel in panels():
        grid = panel["gridPos"]
        assert 0 <= grid["x"], panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


@pytest.mark.parametrize("panel", PANELS, ids=[panel["title"] for panel in PANELS])
def test_panel_is_well_formed(panel: dict[str, Any]) -> None:
    """A title, a known type, the datasource variable, and targets with an expr and a refId."""
    assert panel["title"]
    assert panel["type"] in {"timeseries", "table", "stat"}
    assert DATASOURCE == panel["datasource"]
    assert panel["targets"]
    for target in panel["targets"]:
        assert DATASOURCE == target["datasource"]
        assert target["expr"].strip()
        assert target["refId"]
    refs = [target["refId"] for target in panel["targets"]]
    assert sorted(set(refs)) == sorted(refs)


@pytest.mark.parametrize(("name", "expr"), QUERIES, ids=[name for name, _ in QUERIES])
def test_query_reads_known_metrics_filtered_by_the_variables(name: str, expr: str) -> None:
    """Every metric is one we export; per-ScheduledJob ones filter by namespace and scheduledjob."""
    found = selectors(expr)
    assert found, f"{name}: no metric selector in {expr}"
    for metric, matchers in found:
        assert metric in SOURCES, f"{name}: unknown metric {metric}"
        if not metric.startswith("scheduledjob_operator_"):
            assert all(f in matchers for f in FILTERS), f"{name}: {metric}{matchers or '[...]'}"


@pytest.mark.parametrize("panel", PANELS, ids=[panel["title"] for panel in PANELS])
def test_panel_reads_one_source(panel: dict[str, Any]) -> None:
    """A panel reads the runs' pushed metrics or the operator's, never both (no double count)."""
    sources = {SOURCES[metric] for t in panel["targets"] for metric, _ in selectors(t["expr"])}
    assert 1 == len(sources), sources


@pytest.mark.parametrize("panel", PANELS, ids=[panel["title"] for panel in PANELS])
def test_panel_description_starts_with_its_source(panel: dict[str, Any]) -> None:
    """The description opens by naming where the numbers come from (and goes on to say why)."""
    (source,) = {SOURCES[metric] for t in panel["targets"] for metric, _ in selectors(t["expr"])}
    assert panel["description"].startswith(SOURCE_NAMED[source])


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    """Every panel and variable query, as Grafana sends it, parses (`promtool check rules`)."""
    queries = [(name, substitute(expr)) for name, expr in QUERIES]
    for name, variable in VARIABLES.items():
        if variable["type"] == "query":
            match = LABEL_VALUES.match(variable["definition"])
            assert match is not None
            queries.append((f"variable {name}", substitute(match["selector"])))
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr} for i, (_, expr) in enumerate(queries)
    ]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [tools.promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    index = "\n".join(f"dashboard:query_{i} is {name}" for i, (name, _) in enumerate(queries))
    assert 0 == result.returncode, f"{result.stdout}{result.stderr}\n{index}"


def test_substitute_fills_in_grafanas_variables() -> None:
    """Grafana's interval and template variables become concrete values; others stay."""
    expr = 'rate(x{namespace=~"$namespace", scheduledjob=~"${scheduledjob}"}[$__rate_interval])'
    assert 'rate(x{namespace=~"team-a", scheduledjob=~".*"}[1m])' == substitute(
        expr, namespace_regex="team-a"
    )
    assert "increase(x[1h]) $__range_ms $other" == substitute(
        "increase(x[$__range]) $__range_ms $other"
    )
