"""The operator's error contract: each class means one outcome at the handler boundary.

- `InvalidSpecError`: the user's ScheduledJob cannot be run as written; retrying is useless.
  Reported as `Ready=False` with the reason and a Warning Event, never retried in a loop.
- `ConflictError`: an object we would own exists and belongs to someone else (or another
  ScheduledJob's derived names are the same as ours); we do not touch it. Reported as
  `Ready=False` with the conflict's reason and a Warning Event.
- `ConfigurationError`: the operator's own settings are wrong; it refuses to start.
- `TransientError`: the world moved under a reconcile (an object vanished between two reads);
  retried with backoff like an API error.
Anything else (API errors, timeouts) is transient and retried with backoff.
"""

from __future__ import annotations


class OperatorError(Exception):
    """Base of the operator's own errors."""


class InvalidSpecError(OperatorError):
    """A ScheduledJob spec the operator cannot act on; `reason` is the condition reason."""

    def __init__(self, *, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ConflictError(OperatorError):
    """An object with our deterministic name exists and is not owned by this ScheduledJob;
    `reason` is the condition reason (CronJobConflict, JobConflict, NameConflict)."""

    def __init__(self, message: str, *, reason: str = "CronJobConflict") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ConfigurationError(OperatorError):
    """The operator's settings are invalid; the message names the variable."""


class TransientError(OperatorError):
    """The reconcile saw the world change under it; the retry will see it settled."""
