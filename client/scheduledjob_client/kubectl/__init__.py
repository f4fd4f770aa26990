"""`kubectl sj`: list, describe, trigger, suspend, resume and read the logs of ScheduledJobs.

The console script `kubectl-sj` on PATH is what makes `kubectl sj ...` work; `cli.main` is its
entry point. Writes go through `scheduledjob_client.scheduling`, the same API job code uses.
"""

__all__: list[str] = []
