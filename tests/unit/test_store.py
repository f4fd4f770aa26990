"""The operator's ObjectStore: newest version wins, deletions stick, listings drop the vanished."""

from __future__ import annotations

from typing import Any

import pytest

from scheduledjob_api import naming
from scheduledjob_operator.machinery.store import ObjectStore


def _object(name: str, version: int, *, namespace: str = "team-a", **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{name}",
        "resourceVersion": str(version),
        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
        **extra.pop("metadata", {}),
    }
    return {"metadata": metadata, "spec": {"version": version}, **extra}


def _job(name: str, version: int, owner: str, *, succeeded: bool = False) -> dict[str, Any]:
    conditions = [{"type": "Complete", "status": "True"}] if succeeded else []
    return _object(
        name,
        version,
        metadata={"labels": {naming.SCHEDULEDJOB_LABEL: owner}},
        status={"conditions": conditions},
    )


def _listing(version: int, *items: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"resourceVersion": str(version)}, "items": list(items)}


def test_a_newer_version_replaces_and_an_older_one_is_ignored() -> None:
    """A late write response older than what the watch delivered does not win."""
    store = ObjectStore()
    store.observe("cronjobs", _object("a", 5))
    store.observe("cronjobs", _object("a", 4))
    held = store.get("cronjobs", ("team-a", "a"))
    assert held is not None
    assert {"version": 5} == held["spec"]
    store.observe("cronjobs", _object("a", 6))
    assert {"version": 6} == (store.get("cronjobs", ("team-a", "a")) or {})["spec"]


def test_the_same_version_again_is_not_taken_in_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A watch echo of a version already held (from the write's response) is not re-encoded."""
    store = ObjectStore()
    store.observe("cronjobs", _object("a", 5))
    encoded: list[object] = []
    monkeypatch.setattr("scheduledjob_operator.machinery.store._compact", encoded.append)
    store.observe("cronjobs", _object("a", 5))
    assert [] == encoded
    assert {"version": 5} == (store.get("cronjobs", ("team-a", "a")) or {})["spec"]
    store.observe("cronjobs", _object("a", 6))
    assert 1 == len(encoded)


def test_reads_are_copies_without_managed_fields() -> None:
    """What a reconcile reads is its own to change, and carries no managedFields."""
    store = ObjectStore()
    store.observe("scheduledjobs", _object("a", 1))
    first = store.get("scheduledjobs", ("team-a", "a"))
    assert first is not None
    assert "managedFields" not in first["metadata"]
    first["spec"]["version"] = 99
    assert {"version": 1} == (store.get("scheduledjobs", ("team-a", "a")) or {})["spec"]


def test_a_deletion_is_not_undone_by_an_older_version() -> None:
    """After a DELETED event, a version from before it is rejected; a re-creation is taken."""
    store = ObjectStore()
    store.observe("cronjobs", _object("a", 5))
    store.observe("cronjobs", _object("a", 7), deleted=True)
    store.observe("cronjobs", _object("a", 6))
    assert store.get("cronjobs", ("team-a", "a")) is None
    assert store.is_deleted("cronjobs", ("team-a", "a"))
    store.observe("cronjobs", _object("a", 9))
    assert store.get("cronjobs", ("team-a", "a")) is not None
    assert not store.is_deleted("cronjobs", ("team-a", "a"))


def test_a_listing_drops_what_it_no_longer_shows_but_keeps_newer_objects() -> None:
    """A missed deletion is repaired by the next listing; an object created after it stays."""
    store = ObjectStore()
    store.observe("cronjobs", _object("gone", 3))
    store.observe("cronjobs", _object("kept", 4))
    store.observe("cronjobs", _object("newer", 12))
    store.replace("cronjobs", _listing(10, _object("kept", 4)), namespaces=None)
    assert ["kept", "newer"] == sorted(name for _, name in store.keys("cronjobs"))


def test_a_listing_of_one_namespace_leaves_the_others_alone() -> None:
    """Listing team-a drops nothing in team-b."""
    store = ObjectStore()
    store.observe("cronjobs", _object("b", 3, namespace="team-b"))
    store.replace("cronjobs", _listing(10), namespaces=("team-a",))
    assert [("team-b", "b")] == store.keys("cronjobs")


def test_primed_only_once_every_kind_was_listed() -> None:
    """Absence means "does not exist" only after a listing of each kind."""
    store = ObjectStore()
    for kind in ("scheduledjobs", "cronjobs"):
        store.replace(kind, _listing(1), namespaces=None)
        assert not store.primed
    store.replace("jobs", _listing(1), namespaces=None)
    assert store.primed


def test_runs_are_found_by_their_scheduledjob_label() -> None:
    """Jobs become runs under the ScheduledJob named by their label, and leave when deleted."""
    store = ObjectStore()
    store.observe("jobs", _job("nightly-1", 1, "nightly", succeeded=True))
    store.observe("jobs", _job("nightly-2", 2, "nightly"))
    store.observe("jobs", _job("hourly-1", 3, "hourly"))
    runs = store.runs("team-a", "nightly")
    assert ["nightly-1", "nightly-2"] == [run.job_name for run in runs]
    assert ["Succeeded", None] == [run.result for run in runs]
    store.observe("jobs", _job("nightly-1", 4, "nightly"), deleted=True)
    assert ["nightly-2"] == [run.job_name for run in store.runs("team-a", "nightly")]
    assert [] == store.runs("team-b", "nightly")


@pytest.mark.parametrize("relabelled_to", ["other", None])
def test_a_relabelled_job_moves_or_leaves(relabelled_to: str | None) -> None:
    """A Job whose label changed is no longer a run of its former ScheduledJob."""
    store = ObjectStore()
    store.observe("jobs", _job("run-1", 1, "nightly"))
    labels = {} if relabelled_to is None else {naming.SCHEDULEDJOB_LABEL: relabelled_to}
    store.observe("jobs", _object("run-1", 2, metadata={"labels": labels}))
    assert [] == store.runs("team-a", "nightly")
    expected = [] if relabelled_to is None else ["run-1"]
    assert expected == [run.job_name for run in store.runs("team-a", relabelled_to or "")]


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_tombstone_rejects_late_versions_until_it_expires() -> None:
    """Within its time a deletion holds against an older version; after it, nothing is kept."""
    clock = _Clock()
    store = ObjectStore(clock=clock, tombstone_seconds=60.0)
    store.observe("cronjobs", _object("a", 7), deleted=True)
    clock.now += 59.0
    store.observe("cronjobs", _object("a", 6))
    rejected = store.get("cronjobs", ("team-a", "a")) is None
    clock.now += 2.0
    assert (True, False, 0) == (
        rejected,
        store.is_deleted("cronjobs", ("team-a", "a")),
        store.tombstones(),
    )


def test_expired_tombstones_go_as_new_ones_come() -> None:
    """Each new deletion drops the tombstones past their time, oldest first."""
    clock = _Clock()
    store = ObjectStore(clock=clock, tombstone_seconds=60.0)
    for name in ("a", "b"):
        store.observe("cronjobs", _object(name, 1), deleted=True)
    clock.now += 30.0
    store.observe("cronjobs", _object("c", 2), deleted=True)
    clock.now += 40.0  # a and b are 70 s old, c 40 s
    store.observe("jobs", _job("d-1", 3, "d"), deleted=True)
    assert (False, True, 2) == (
        store.is_deleted("cronjobs", ("team-a", "a")),
        store.is_deleted("cronjobs", ("team-a", "c")),
        store.tombstones(),
    )


def test_tombstones_stay_bounded_within_their_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of deletions beyond the capacity drops the oldest tombstones early."""
    monkeypatch.setattr("scheduledjob_operator.machinery.store._TOMBSTONE_CAPACITY", 2)
    store = ObjectStore(clock=_Clock())
    for name in ("a", "b", "c"):
        store.observe("cronjobs", _object(name, 1), deleted=True)
    assert (2, False) == (store.tombstones(), store.is_deleted("cronjobs", ("team-a", "a")))
