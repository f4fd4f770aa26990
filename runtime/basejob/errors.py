"""How a job says why it failed: the error contract between job code and the runtime.

Each class maps to one outcome. `TransientError` (and any exception we did not anticipate):
retrying may help, exit code 75, the Job retries within `retries`. `FatalError`: retrying
cannot help, exit code 78, the Job fails at once. The error type reported in metrics, logs
and `status.lastRun.errorType` is the exception's class name.
"""

from __future__ import annotations

from basejob import contract


class BaseJobError(Exception):
    """Base of the runtime's own errors."""

    exit_code: int = contract.EXIT_TRANSIENT


class TransientError(BaseJobError):
    """A failure that may pass (a timeout, a busy database): the run is retried."""

    exit_code = contract.EXIT_TRANSIENT


class FatalError(BaseJobError):
    """A failure retrying cannot fix (bad input, a missing table): the run fails at once."""

    exit_code = contract.EXIT_FATAL


class InvalidParameterError(FatalError):
    """Job data that does not fit the job's declared parameters; the message names them."""


class EnvironmentContractError(FatalError):
    """A malformed or missing environment variable of the contract; the message names it."""


class JobNotFoundError(FatalError):
    """No registered job of that name, or a `module:Class` that cannot be imported."""


def exit_code_for(error: BaseException) -> int:
    """The process exit code for a run that ended with `error`."""
    if isinstance(error, BaseJobError):
        return error.exit_code
    return contract.EXIT_TRANSIENT
