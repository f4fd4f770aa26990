"""For people who schedule from code: `scheduling` (create, trigger, suspend and read
ScheduledJobs from Python) and `kubectl` (the `kubectl sj` plugin, built on the same calls)."""

__all__: list[str] = []
