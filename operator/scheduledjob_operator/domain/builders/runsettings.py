"""The operator settings that shape every run's Pod, kept apart so builders stay pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Defaults and endpoints the operator gives each run."""

    default_image: str
    """Runtime image for ScheduledJobs that set no `image`."""
    image_pull_policy: str = "IfNotPresent"
    """Pull policy of the job container."""
    pushgateway_url: str | None = None
    """Where runs push their metrics; unset disables pushing."""
    otlp_endpoint: str | None = None
    """OTLP endpoint for traces; unset disables export."""
    default_admin_user_id: str | None = None
    """User ID for tenant jobs that name no user (the seed's "default admin")."""
