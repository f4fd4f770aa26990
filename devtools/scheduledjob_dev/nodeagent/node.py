"""The Node object the agent registers and the heartbeat that keeps it schedulable.

kube-scheduler binds Pods only to Ready, untainted Nodes with room for them, and the node
lifecycle controller taints a Node whose Lease in `kube-node-lease` stops being renewed. So the
agent registers a Node that reports Ready with generous capacity, renews its Lease every few
seconds and refreshes its Ready condition now and then, as the kubelet does.
"""

from __future__ import annotations

import datetime
import platform
from typing import Any

from basejob import timestamps
from scheduledjob_dev.nodeagent.nodeapi import NODE_LEASE_NAMESPACE
from scheduledjob_dev.nodeagent.podstatus import LOCAL_IP, timestamp

AGENT_LABEL = "scheduledjob.connectflow.io/local-node-agent"
AGENT_VERSION = "v1.37.2-scheduledjob-local-agent"
LEASE_DURATION_SECONDS = 40
# Room for hundreds of short runs at once; the real limit is this machine, not the scheduler.
CAPACITY = {"cpu": "64", "memory": "256Gi", "pods": "1000", "ephemeral-storage": "100Gi"}


def node_manifest(name: str) -> dict[str, Any]:
    """The Node as registered: labelled as local, no taints."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                AGENT_LABEL: "true",
            },
        },
        "spec": {},
    }


def node_status(
    *, log_port: int, now: datetime.datetime, boot_id: str, machine_id: str
) -> dict[str, Any]:
    """A Ready status: conditions, capacity, the address and port logs are served on."""
    moment = timestamp(now)

    def condition(type_: str, status: str, reason: str, message: str) -> dict[str, str]:
        return {
            "type": type_,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": moment,
            "lastTransitionTime": moment,
        }

    return {
        "conditions": [
            condition("Ready", "True", "KubeletReady", "local node agent is posting ready status"),
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "no pressure"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "no pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "no pressure"),
        ],
        "addresses": [
            {"type": "InternalIP", "address": LOCAL_IP},
            {"type": "Hostname", "address": LOCAL_IP},
        ],
        "capacity": dict(CAPACITY),
        "allocatable": dict(CAPACITY),
        "daemonEndpoints": {"kubeletEndpoint": {"Port": log_port}},
        "nodeInfo": {
            "machineID": machine_id,
            "systemUUID": machine_id,
            "bootID": boot_id,
            "kernelVersion": platform.release(),
            "osImage": "local processes (scheduledjob node agent)",
            "containerRuntimeVersion": "local://0",
            "kubeletVersion": AGENT_VERSION,
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    }


def lease_manifest(name: str, *, now: datetime.datetime) -> dict[str, Any]:
    """The heartbeat Lease the node lifecycle controller watches."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "namespace": NODE_LEASE_NAMESPACE},
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": LEASE_DURATION_SECONDS,
            "renewTime": timestamps.rfc3339(now, fraction=True),
        },
    }
