"""The BaseJob runtime: what every ScheduledJob run executes inside its Pod.

It never imports the operator: job images carry only the runtime's contract.
"""

__all__: list[str] = []
