"""The operator's pure domain: what a ScheduledJob means, with no API calls and no clock.

Planning, the child builders, drift, naming of runs, run bookkeeping, conditions and time
arithmetic take values and return values, so they are tested without a cluster.
"""
