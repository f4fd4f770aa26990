"""The demo's ScheduledJobs: the repository's samples, pointed at the demo's own directory.

The node agent runs Pods as plain processes, so a path in a Pod is a path on this machine:
`/tmp` in the data-cleanup sample would be the machine's /tmp. The demo therefore applies each
sample with its file and service locations replaced by ones inside the demo's directory and
its Prometheus, and creates what the samples refer to (the subscriptions database and the
Secret holding its URL). Everything else in the samples is applied as written.
"""

from __future__ import annotations

import copy
import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

SUBSCRIPTIONS_SECRET = "subscriptions-db"  # noqa: S105 - a Secret's name, not a password
_SUBSCRIPTION_ROWS = [
    ("123", "pro", "grace_period", "2024-01-31T00:00:00Z"),  # expired: downgraded
    ("123", "pro", "grace_period", "2999-01-01T00:00:00Z"),  # still in its grace period
    ("456", "pro", "grace_period", "2024-01-31T00:00:00Z"),  # another tenant's
]


def load(directory: Path) -> list[dict[str, Any]]:
    """Every ScheduledJob manifest in `directory` (one per *.yaml file), sorted by file name."""
    manifests = []
    for path in sorted(directory.glob("*.yaml")):
        manifest = yaml.safe_load(path.read_text())
        if isinstance(manifest, dict) and manifest.get("kind") == "ScheduledJob":
            manifests.append(manifest)
    return manifests


def localised(
    manifest: Mapping[str, Any], *, directory: Path, prometheus_url: str
) -> dict[str, Any]:
    """`manifest` with the data that names machine paths or services pointed at the demo's."""
    adjusted = copy.deepcopy(dict(manifest))
    spec = adjusted["spec"]
    data = spec.setdefault("data", {})
    name = adjusted["metadata"]["name"]
    if spec["job"] == "DataCleanupJob":
        data["Directory"] = str(cleanup_directory(directory))
    elif spec["job"] == "ReportGenerationJob":
        data["PrometheusUrl"] = prometheus_url
        data["OutputDirectory"] = str(directory / "reports" / name)
    if not data:
        del spec["data"]
    return adjusted


def cleanup_directory(directory: Path) -> Path:
    """The data-cleanup sample's directory: one file past its retention, one recent."""
    cleanup = directory / "cleanup"
    cleanup.mkdir(parents=True, exist_ok=True)
    expired = cleanup / "export-expired.csv"
    expired.write_text("id,total\n1,42\n")
    sixty_days_ago = time.time() - 60 * 86400
    os.utime(expired, (sixty_days_ago, sixty_days_ago))
    (cleanup / "export-recent.csv").write_text("id,total\n2,7\n")
    return cleanup


def subscriptions_database(directory: Path) -> str:
    """Create the subscriptions table with three rows; its SQLAlchemy URL."""
    path = directory / "subscriptions.db"
    with sqlite3.connect(path) as database:
        database.execute(
            "CREATE TABLE IF NOT EXISTS subscriptions (id INTEGER PRIMARY KEY, tenant_id TEXT, "
            "plan TEXT, status TEXT, grace_period_ends_at TEXT)"
        )
        database.executemany(
            "INSERT INTO subscriptions (tenant_id, plan, status, grace_period_ends_at) "
            "VALUES (?, ?, ?, ?)",
            _SUBSCRIPTION_ROWS,
        )
    return f"sqlite:///{path}"


def subscriptions_secret(namespace: str, url: str) -> dict[str, Any]:
    """The Secret the subscription-grace-period sample reads its database URL from."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SUBSCRIPTIONS_SECRET, "namespace": namespace},
        "stringData": {"url": url},
    }
