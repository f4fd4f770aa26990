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


@dataclass(frozen=True)
class Variable:
    """One environment variable the operator reads, and what applies while it is unset.

    Each variable's name and default are stated here once: `load` reads through these, and a
    unit test holds the settings table of docs/operator.md to the same list.
    """

    name: str
    default: str | None = None
    """The value used when neither this variable nor a fallback is set; None: unset."""
    fallbacks: tuple[str, ...] = ()
    """Other variables consulted in order, when this one is unset, before `default`."""

    def read(self, environ: Mapping[str, str]) -> str | None:
        """The first non-blank value of this variable or its fallbacks, else `default`."""
        for name in (self.name, *self.fallbacks):
            value = environ.get(name, "").strip()
            if value:
                return value
        return self.default


DEFAULT_IMAGE_VARIABLE = Variable("SCHEDULEDJOB_DEFAULT_IMAGE", DEFAULT_IMAGE)
# The builders' own default, so a RunSettings built in a test and one loaded here agree.
IMAGE_PULL_POLICY = Variable("SCHEDULEDJOB_IMAGE_PULL_POLICY", RunSettings.image_pull_policy)
PUSHGATEWAY_URL = Variable("SCHEDULEDJOB_PUSHGATEWAY_URL")
OTLP_ENDPOINT = Variable("SCHEDULEDJOB_OTLP_ENDPOINT")
DEFAULT_ADMIN_USER_ID = Variable("SCHEDULEDJOB_DEFAULT_ADMIN_USER_ID")
NAMESPACES = Variable("SCHEDULEDJOB_NAMESPACES")
LOG_FORMAT = Variable("SCHEDULEDJOB_LOG_FORMAT", "json")
LOG_LEVEL = Variable("SCHEDULEDJOB_LOG_LEVEL", "INFO")
METRICS_PORT = Variable("SCHEDULEDJOB_METRICS_PORT", "8080")
HEALTH_PORT = Variable("SCHEDULEDJOB_HEALTH_PORT", "8081")
RESYNC_SECONDS = Variable("SCHEDULEDJOB_RESYNC_SECONDS", "600")
LEADER_ELECTION = Variable("SCHEDULEDJOB_LEADER_ELECTION", "true")
LEADER_ELECTION_NAMESPACE = Variable(
    "SCHEDULEDJOB_LEADER_ELECTION_NAMESPACE", "default", fallbacks=("POD_NAMESPACE",)
)
LEADER_ELECTION_NAME = Variable("SCHEDULEDJOB_LEADER_ELECTION_NAME", "scheduledjob-operator")
IDENTITY = Variable("POD_NAME", "scheduledjob-operator", fallbacks=("HOSTNAME",))

VARIABLES: tuple[Variable, ...] = (
    DEFAULT_IMAGE_VARIABLE,
    IMAGE_PULL_POLICY,
    PUSHGATEWAY_URL,
    OTLP_ENDPOINT,
    DEFAULT_ADMIN_USER_ID,
    NAMESPACES,
    LOG_FORMAT,
    LOG_LEVEL,
    METRICS_PORT,
    HEALTH_PORT,
    RESYNC_SECONDS,
    LEADER_ELECTION,
    LEADER_ELECTION_NAMESPACE,
    LEADER_ELECTION_NAME,
    IDENTITY,
)
"""Every variable the operator reads, in the order docs/operator.md lists them."""


@dataclass(frozen=True, kw_only=True)
class OperatorSettings:
    """Everything the operator process can be configured with (defaults: `VARIABLES`)."""

    run: RunSettings
    """Defaults and endpoints every run's Pod gets."""
    namespaces: tuple[str, ...]
    """Namespaces to watch; empty means all (cluster-wide)."""
    log_format: Literal["json", "console"]
    """JSON lines for log collectors, or a readable console format."""
    log_level: str
    """Minimum level of log lines."""
    metrics_port: int
    """Port of the Prometheus /metrics endpoint (0 disables it)."""
    health_port: int
    """Port of kopf's liveness endpoint /healthz (0 disables it)."""
    resync_seconds: float
    """Every ScheduledJob is reconciled at least this often, events or not."""
    leader_election: bool
    """Only one replica acts: the holder of a Lease. Disable for single-replica development."""
    leader_election_namespace: str
    """Namespace of the leader-election Lease (normally the operator's own)."""
    leader_election_name: str
    """Name of the leader-election Lease."""
    identity: str
    """This replica's name in the Lease (the Pod name)."""


def _text(environ: Mapping[str, str], variable: Variable) -> str:
    """The value of a variable that has a default, so it always has a value."""
    value = variable.read(environ)
    if value is None:
        message = f"{variable.name} has no default; read it with Variable.read"
        raise AssertionError(message)
    return value


def _integer(environ: Mapping[str, str], variable: Variable) -> int:
    raw = _text(environ, variable)
    try:
        value = int(raw)
    except ValueError:
        message = f"{variable.name}={raw!r} is not an integer"
        raise ConfigurationError(message) from None
    if value < 0:
        message = f"{variable.name}={raw!r} must not be negative"
        raise ConfigurationError(message)
    return value


def _boolean(environ: Mapping[str, str], variable: Variable) -> bool:
    raw = _text(environ, variable)
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    message = f"{variable.name}={raw!r} is not a boolean (use true or false)"
    raise ConfigurationError(message)


def _log_format(environ: Mapping[str, str]) -> Literal["json", "console"]:
    log_format = _text(environ, LOG_FORMAT)
    if log_format not in ("json", "console"):
        message = f"{LOG_FORMAT.name}={log_format!r}: use json or console"
        raise ConfigurationError(message)
    return log_format  # type: ignore[return-value]


def _namespaces(environ: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(
        part.strip() for part in (NAMESPACES.read(environ) or "").split(",") if part.strip()
    )


def load(environ: Mapping[str, str] | None = None) -> OperatorSettings:
    """Read settings from the environment (`os.environ` unless given)."""
    env = os.environ if environ is None else environ
    log_format = _log_format(env)
    return OperatorSettings(
        run=RunSettings(
            default_image=_text(env, DEFAULT_IMAGE_VARIABLE),
            image_pull_policy=_text(env, IMAGE_PULL_POLICY),
            pushgateway_url=PUSHGATEWAY_URL.read(env),
            otlp_endpoint=OTLP_ENDPOINT.read(env),
            default_admin_user_id=DEFAULT_ADMIN_USER_ID.read(env),
        ),
        namespaces=_namespaces(env),
        log_format=log_format,
        log_level=_text(env, LOG_LEVEL).upper(),
        metrics_port=_integer(env, METRICS_PORT),
        health_port=_integer(env, HEALTH_PORT),
        resync_seconds=float(_integer(env, RESYNC_SECONDS)),
        leader_election=_boolean(env, LEADER_ELECTION),
        leader_election_namespace=_text(env, LEADER_ELECTION_NAMESPACE),
        leader_election_name=_text(env, LEADER_ELECTION_NAME),
        identity=_text(env, IDENTITY),
    )
