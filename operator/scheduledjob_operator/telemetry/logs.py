"""The operator's logging: the runtime's one structlog pipeline, configured from its settings.

JSON lines for log collectors or a console renderer; standard-library loggers (kopf's, the
Kubernetes client's) go through the same processors, so every line has the same shape.
"""

from __future__ import annotations

from typing import Literal

from basejob import logs as shared_logs


def configure(log_format: Literal["json", "console"] = "json", level: str = "INFO") -> None:
    """Route structlog and standard logging to stderr in the chosen format."""
    shared_logs.configure(json_lines=log_format == "json", level=level)
