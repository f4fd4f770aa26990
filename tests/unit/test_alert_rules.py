"""The alert rules pass promtool's checks and unit tests, and the chart renders exactly them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from support import tools

CHART = Path(__file__).resolve().parents[2] / "charts" / "scheduledjob-operator"
RULES = CHART / "rules" / "scheduledjob-alerts.yaml"
RULE_TESTS = CHART / "rules" / "scheduledjob-alerts.test.yaml"
EVERY_OPTION = CHART / "ci" / "every-option-values.yaml"
GROUPS: list[dict[str, Any]] = yaml.safe_load(RULES.read_text())["groups"]
ALERTS = {rule["alert"]: rule for group in GROUPS for rule in group["rules"] if "alert" in rule}
PER_SCHEDULEDJOB = {
    "ScheduledJobRunFailed",
    "ScheduledJobMissedRun",
    "ScheduledJobNotSucceeding",
    "ScheduledJobRunTooLong",
}
# The file's defaults the chart replaces (the file's header): pushgatewayJob, operatorJob and
# failingRunsWindow (as a range and as an offset).
DEFAULTS = ('job="pushgateway"', 'job="scheduledjob-operator"', "[1h]", "offset 1h")
WINDOW = DEFAULTS[2:]
# The alerts about events, the only ones that may use the window.
EVENT_ALERTS = {"ScheduledJobRunFailed", "ScheduledJobMissedRun"}
# The values under which the chart renders the file unchanged.
AS_THE_FILE = {
    "prometheusRule.enabled": "true",
    "prometheusRule.operatorJob": "scheduledjob-operator",
    "operator.pushgatewayUrl": "http://pushgateway.monitoring:9091",
}


def render(values: dict[str, str], *, values_file: Path | None = None) -> list[dict[str, Any]]:
    """The chart's manifests from `helm template` with `values` set."""
    arguments = [tools.helm(), "template", "release", str(CHART), "-n", "monitoring"]
    if values_file is not None:
        arguments += ["-f", str(values_file)]
    for name, value in values.items():
        arguments += ["--set", f"{name}={value}"]
    return [doc for doc in yaml.safe_load_all(tools.run(*arguments)) if doc]


def rendered_groups(
    values: dict[str, str], *, values_file: Path | None = None
) -> list[dict[str, Any]]:
    """`spec.groups` of the rendered PrometheusRule."""
    (rule,) = [
        doc for doc in render(values, values_file=values_file) if doc["kind"] == "PrometheusRule"
    ]
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def alert_names(groups: list[dict[str, Any]]) -> list[str]:
    return [rule["alert"] for group in groups for rule in group["rules"]]


def test_rule_file_passes_promtool_check() -> None:
    """`promtool check rules` accepts the plain rule file."""
    tools.run(tools.promtool(), "check", "rules", str(RULES))


def test_rule_file_passes_its_promtool_unit_tests() -> None:
    """`promtool test rules` passes: every alert fires when it should and only then."""
    tools.run(tools.promtool(), "test", "rules", str(RULE_TESTS))


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_unit_tests_see_every_alert_fire_and_stay_silent(alert: str) -> None:
    """The unit tests expect each alert both firing and not firing somewhere."""
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
        if case["alertname"] == alert
    ]
    assert any(case["exp_alerts"] for case in cases)
    assert any(not case["exp_alerts"] for case in cases)


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_every_alert_has_a_severity_a_summary_and_a_description(alert: str) -> None:
    """A severity label, and a summary and description; per-ScheduledJob ones name it."""
    rule = ALERTS[alert]
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert {"summary", "description"} <= set(rule["annotations"])
    if alert in PER_SCHEDULEDJOB:
        for text in (rule["annotations"]["summary"], rule["annotations"]["description"]):
            assert "{{ $labels.namespace }}/{{ $labels.scheduledjob }}" in text


def test_chart_renders_the_rule_files_groups() -> None:
    """With the file's scrape-job names, the PrometheusRule holds exactly the file's groups."""
    assert GROUPS == rendered_groups(AS_THE_FILE)


def test_chart_puts_its_scrape_jobs_and_window_into_the_rules() -> None:
    """The chart's values replace the file's defaults, and nothing else changes."""
    text = RULES.read_text()
    for default, replacement in zip(
        DEFAULTS, ('job="pg"', 'job="sj-operator"', "[3h]", "offset 3h"), strict=True
    ):
        text = text.replace(default, replacement)
    expected = yaml.safe_load(text)["groups"]
    assert expected == rendered_groups(
        {
            **AS_THE_FILE,
            "prometheusRule.pushgatewayJob": "pg",
            "prometheusRule.operatorJob": "sj-operator",
            "prometheusRule.failingRunsWindow": "3h",
        }
    )


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_only_the_event_alerts_use_the_window(alert: str) -> None:
    """The chart rewrites every `[1h]` and `offset 1h`: only the event alerts may hold them."""
    uses = [window for window in WINDOW if window in ALERTS[alert]["expr"]]
    expected = list(WINDOW) if alert in EVENT_ALERTS else []
    assert expected == uses


@pytest.mark.parametrize(
    ("values", "values_file"),
    [({"prometheusRule.enabled": "true"}, None), (AS_THE_FILE, None), ({}, EVERY_OPTION)],
    ids=["defaults", "as-the-file", "every-option"],
)
def test_rendered_rules_pass_promtool_check(
    tmp_path: Path, values: dict[str, str], values_file: Path | None
) -> None:
    """The rendered PrometheusRule's spec, as a rule file, passes `promtool check rules`."""
    rules = tmp_path / "rendered.yaml"
    rules.write_text(yaml.safe_dump({"groups": rendered_groups(values, values_file=values_file)}))
    tools.run(tools.promtool(), "check", "rules", str(rules))


def test_chart_leaves_out_the_pushgateway_alert_when_runs_push_nowhere() -> None:
    """Without operator.pushgatewayUrl the Pushgateway alert would fire forever: it is left out."""
    groups = rendered_groups({"prometheusRule.enabled": "true"})
    expected = [
        name for name in alert_names(GROUPS) if name != "ScheduledJobPushgatewayUnreachable"
    ]
    assert expected == alert_names(groups)


def test_operator_job_defaults_to_the_one_the_servicemonitor_gives() -> None:
    """Default operatorJob is the metrics Service's name (a ServiceMonitor's job label), and
    the ServiceMonitor honours the gauges' own `namespace` label."""
    documents = render({"prometheusRule.enabled": "true", "serviceMonitor.enabled": "true"})
    (service,) = [
        doc
        for doc in documents
        if doc["kind"] == "Service" and doc["metadata"]["name"].endswith("-metrics")
    ]
    (monitor,) = [doc for doc in documents if doc["kind"] == "ServiceMonitor"]
    (rule,) = [doc for doc in documents if doc["kind"] == "PrometheusRule"]
    (down,) = [
        r
        for group in rule["spec"]["groups"]
        for r in group["rules"]
        if r["alert"] == "ScheduledJobOperatorDown"
    ]
    assert f'absent(up{{job="{service["metadata"]["name"]}"}} == 1)' == down["expr"].strip()
    assert [True] == [endpoint["honorLabels"] for endpoint in monitor["spec"]["endpoints"]]
