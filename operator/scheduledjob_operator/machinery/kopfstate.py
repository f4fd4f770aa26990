"""kopf's per-object state storages, replaced by ones that store nothing.

kopf keeps two kinds of state in the objects it handles: a diff-base (the "last handled
configuration" annotation, from which change handlers get their diffs) and per-handler
progress (retries, in annotations and status). Both serve `on.create`/`on.update` handlers and
retries; the operator uses only `on.event` handlers and does its own retries (controller.py),
so it needs neither. kopf still builds both for every watch event: a deep copy of the whole
object for the diff-base essence and another one to clear progress fields from it. At a burst
of thousands of ScheduledJobs kopf's own storages cost a sixth of the operator's CPU
(benchmarks/results.md).

These storages answer "nothing stored" at no cost and never write, which also guarantees that
kopf never annotates a user's object (GitOps tools see no drift).
"""

from __future__ import annotations

from typing import cast

import kopf
from kopf._cogs.configs.progress import ProgressRecord
from kopf._cogs.structs.bodies import Body
from kopf._cogs.structs.ids import HandlerId
from kopf._cogs.structs.patches import Patch


class NoDiffBase(kopf.DiffBaseStorage):
    """No diff-base: every object looks new to change handlers, of which there are none."""

    def build(self, *, body: Body, extra_fields: object = None) -> kopf.BodyEssence:
        """An empty essence, without copying the object."""
        del body, extra_fields
        return cast("kopf.BodyEssence", {})

    def fetch(self, *, body: Body) -> kopf.BodyEssence | None:
        """Nothing was stored."""
        del body
        return None

    def store(self, *, body: Body, patch: Patch, essence: kopf.BodyEssence) -> None:
        """Store nothing (no annotation on the object)."""
        del body, patch, essence


class NoProgress(kopf.ProgressStorage):
    """No handler progress: event handlers are not retried by kopf."""

    def fetch(self, *, key: HandlerId, body: Body) -> ProgressRecord | None:
        """Nothing was stored."""
        del key, body
        return None

    def store(self, *, key: HandlerId, record: ProgressRecord, body: Body, patch: Patch) -> None:
        """Store nothing."""
        del key, record, body, patch

    def purge(self, *, key: HandlerId, body: Body, patch: Patch) -> None:
        """Nothing to purge."""
        del key, body, patch

    def touch(self, *, body: Body, patch: Patch, value: str | None) -> None:
        """Nothing to touch."""
        del body, patch, value

    def clear(self, *, essence: kopf.BodyEssence) -> kopf.BodyEssence:
        """No progress fields to strip: the essence as it is, not a copy."""
        return essence
