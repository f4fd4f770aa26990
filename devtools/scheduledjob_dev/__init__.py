"""A real Kubernetes control plane on loopback, for tests and the local demo.

There is no kind, k3s or Docker engine on our machines, so we run etcd, kube-apiserver,
kube-controller-manager and (optionally) kube-scheduler ourselves, from binaries that
`scripts/build-control-plane.sh` builds. This is a development tool, not a way to run
production clusters.
"""

from scheduledjob_dev.controlplane import ControlPlane
from scheduledjob_dev.errors import ControlPlaneError

__all__ = ["ControlPlane", "ControlPlaneError"]
