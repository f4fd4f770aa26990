"""Properties of what the builders make from any valid ScheduledJob (hypothesis).

Every valid spec plans without error, and its run's Pod carries the `restricted` hardening and
the job data exactly as written. The API server's own verdict on the same specs is
tests/integration/test_pod_security_properties.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings

from basejob import contract
from scheduledjob_dev.nodeagent import podenv
from scheduledjob_operator.domain import planning
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from support import scheduledjob_strategies as strategies

SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test", default_admin_user_id="0")
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
}


def _declared(env: list[Mapping[str, Any]]) -> dict[str, str]:
    declared: dict[str, str] = {}
    for variable in env:
        if "value" in variable:
            declared[variable["name"]] = podenv.expand(variable["value"], declared)
    return declared


@settings(max_examples=50, deadline=None, database=None)
@given(strategies.scheduledjobs("team-a"))
def test_every_valid_spec_plans_a_hardened_pod(body: dict[str, Any]) -> None:
    """A valid spec plans; its Pod is non-root, seccomp-confined, without capabilities."""
    plan = planning.plan(body, SETTINGS)
    pod = plan.template["spec"]["template"]["spec"]
    assert {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}} == (
        pod["securityContext"]
    )
    assert [] == [volume for volume in pod["volumes"] if set(volume) - {"name", "emptyDir"}]
    for container in pod["containers"]:
        hardening = container["securityContext"]
        assert RESTRICTED_CONTAINER == {key: hardening[key] for key in RESTRICTED_CONTAINER}
    assert "hostNetwork" not in pod
    assert "hostPID" not in pod


@settings(max_examples=50, deadline=None, database=None)
@given(strategies.scheduledjobs("team-a"))
def test_job_data_reaches_the_run_as_written(body: dict[str, Any]) -> None:
    """BASEJOB_DATA, resolved with the kubelet's `$(VAR)` rules, is the spec's data as JSON."""
    plan = planning.plan(body, SETTINGS)
    environment = _declared(plan.template["spec"]["template"]["spec"]["containers"][0]["env"])
    assert plan.spec.data == json.loads(environment[contract.DATA])
