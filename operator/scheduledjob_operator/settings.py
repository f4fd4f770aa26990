"""The operator's settings: the one place that reads the operator process's environment.

Every variable is documented in docs/operator.md; a bad value stops the operator at start-up
with a message naming the variable, rather than surfacing later as a confusing failure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.domain.errors import ConfigurationError

# The default image of job Pods: the runtime with the example jobs (docs/images.md).
DEFAULT_IMAGE = "ghcr.io/connectflow/scheduledjob-examples:0.1.0"


@dataclass(frozen=True, kw_only=True)
class OperatorSettings:
    """Everything the operator process can be configured with."""

    run: RunSettings
    """Defaults and endpoints every run's Pod gets."""
    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; empty means all (cluster-wide)."""
    log_format: Literal["json", "console"] = "json"
    """JSON lines for log collectors, or a readable console format."""
    log_level: str = "INFO"
    """Minimum level of log lines."""
    metrics_port: int = 8080
    """Port of the Prometheus /metrics endpoint (0 disables it)."""
    health_port: int = 8081
    """Port of kopf's liveness endpoint /healthz (0 disables it)."""
    resync_seconds: float = 600.0
    """Every ScheduledJob is reconciled at least this often, events or not."""
    leader_election: bool = True
    """Only one replica acts: the holder of a Lease. Disable for single-replica development."""
    leader_election_namespace: str = "default"
    """Namespace of the leader-election Lease (normally the operator's own)."""
    leader_election_name: str = "scheduledjob-operator"
    """Name of the leader-election Lease."""
    identity: str = "scheduledjob-operator"
    """This replica's name in the Lease (the Pod name)."""


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _integer(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(environ, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        message = f"{name}={raw!r} is not an integer"
        raise ConfigurationError(message) from None
    if value < 0:
        message = f"{name}={raw!r} must not be negative"
        raise ConfigurationError(message)
    return value


def _boolean(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = _get(environ, name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    message = f"{name}={raw!r} is not a boolean (use true or false)"
    raise ConfigurationError(message)


def load(environ: Mapping[str, str] | None = None) -> OperatorSettings:
    """Read settings from the environment (`os.environ` unless given)."""
    env = os.environ if environ is None else environ
    log_format = _get(env, "SCHEDULEDJOB_LOG_FORMAT") or "json"
    if log_format not in ("json", "console"):
        message = f"SCHEDULEDJOB_LOG_FORMAT={log_format!r}: use json or console"
        raise ConfigurationError(message)
    namespaces = tuple(
        part.strip()
        for part in (_get(env, "SCHEDULEDJOB_NAMESPACES") or "").split(",")
        if part.strip()
    )
    return OperatorSettings(
        run=RunSettings(
            default_image=_get(env, "SCHEDULEDJOB_DEFAULT_IMAGE") or DEFAULT_IMAGE,
            image_pull_policy=_get(env, "SCHEDULEDJOB_IMAGE_PULL_POLICY") or "IfNotPresent",
            pushgateway_url=_get(env, "SCHEDULEDJOB_PUSHGATEWAY_URL"),
            otlp_endpoint=_get(env, "SCHEDULEDJOB_OTLP_ENDPOINT"),
            default_admin_user_id=_get(env, "SCHEDULEDJOB_DEFAULT_ADMIN_USER_ID"),
        ),
        namespaces=namespaces,
        log_format=log_format,  # type: ignore[arg-type]
        log_level=(_get(env, "SCHEDULEDJOB_LOG_LEVEL") or "INFO").upper(),
        metrics_port=_integer(env, "SCHEDULEDJOB_METRICS_PORT", 8080),
        health_port=_integer(env, "SCHEDULEDJOB_HEALTH_PORT", 8081),
        resync_seconds=float(_integer(env, "SCHEDULEDJOB_RESYNC_SECONDS", 600)),
        leader_election=_boolean(env, "SCHEDULEDJOB_LEADER_ELECTION", default=True),
        leader_election_namespace=_get(env, "SCHEDULEDJOB_LEADER_ELECTION_NAMESPACE")
        or _get(env, "POD_NAMESPACE")
        or "default",
        leader_election_name=_get(env, "SCHEDULEDJOB_LEADER_ELECTION_NAME")
        or "scheduledjob-operator",
        identity=_get(env, "POD_NAME") or _get(env, "HOSTNAME") or "scheduledjob-operator",
    )
