"""A small stand-in for the kubelet that runs Pods as local processes (development and tests).

There is no kubelet and no container runtime on our machines; this agent lets the local control
plane's Job and CronJob controllers see real runs. It is not a kubelet replacement: see
`docs/development.md` for what it does and does not do.
"""

from scheduledjob_dev.nodeagent.agent import NodeAgent
from scheduledjob_dev.nodeagent.nodeapi import NodeApi

__all__ = ["NodeAgent", "NodeApi"]
