"""Finds jobs: by registered name (the `basejob.jobs` entry-point group) or by `module:Class`.

A company ships its jobs as a package that declares entry points, installs it into an image
built FROM ours, and `basejob run TheirJob` finds it; nothing in this repository changes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from basejob.errors import JobNotFoundError
from basejob.job import BaseJob

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "basejob.jobs"


@dataclass(frozen=True)
class RegisteredJob:
    """One job `basejob list` shows."""

    name: str
    target: str
    description: str


def _entry_points() -> dict[str, EntryPoint]:
    # Imported and scanned only for registered names: importing importlib.metadata and reading
    # every installed distribution's metadata costs tens of milliseconds that `module:Class`
    # runs skip.
    from importlib.metadata import entry_points  # noqa: PLC0415

    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def _check(candidate: object, reference: str) -> type[BaseJob]:
    if isinstance(candidate, type) and issubclass(candidate, BaseJob):
        return candidate
    message = f"{reference} is not a BaseJob subclass"
    raise JobNotFoundError(message)


def resolve(reference: str) -> type[BaseJob]:
    """The job class for a registered name or `module:Class`."""
    if ":" in reference:
        module_name, _, class_name = reference.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            message = f"cannot import module {module_name!r} for job {reference!r}: {error}"
            raise JobNotFoundError(message) from error
        try:
            return _check(getattr(module, class_name), reference)
        except AttributeError as error:
            message = f"module {module_name!r} has no class {class_name!r}"
            raise JobNotFoundError(message) from error
    point = _entry_points().get(reference)
    if point is None:
        known = ", ".join(sorted(_entry_points())) or "none"
        message = (
            f"no job registered as {reference!r} (registered: {known}); register it in the "
            f"{ENTRY_POINT_GROUP!r} entry-point group or use module:Class"
        )
        raise JobNotFoundError(message)
    return _check(point.load(), reference)


def registered() -> list[RegisteredJob]:
    """Every registered job, by name."""
    jobs = []
    for name, point in sorted(_entry_points().items()):
        job = _check(point.load(), name)
        jobs.append(RegisteredJob(name=name, target=point.value, description=job.description))
    return jobs
