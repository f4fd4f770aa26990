"""Writes the admin kubeconfig of a local control plane, credentials embedded.

Embedded `*-data` fields keep the kubeconfig usable after the PKI directory is gone and are
what kopf and the Kubernetes Python client read best.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from scheduledjob_dev.certificates import PkiFiles

CONTEXT_NAME = "scheduledjob-local"


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def write_admin_kubeconfig(path: Path, *, server: str, pki: PkiFiles) -> Path:
    """Write a kubeconfig for `server` that authenticates as the `system:masters` admin."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT_NAME,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": _b64(pki.ca_cert),
                },
            }
        ],
        "users": [
            {
                "name": "admin",
                "user": {
                    "client-certificate-data": _b64(pki.admin_cert),
                    "client-key-data": _b64(pki.admin_key),
                },
            }
        ],
        "contexts": [
            {
                "name": CONTEXT_NAME,
                "context": {"cluster": CONTEXT_NAME, "user": "admin", "namespace": "default"},
            }
        ],
        "current-context": CONTEXT_NAME,
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    path.chmod(0o600)
    return path
