"""The ScheduledJob operator: turns ScheduledJob resources into Kubernetes CronJobs.

The import name is `scheduledjob_operator` because the standard library owns `operator`.
"""

__all__: list[str] = []
