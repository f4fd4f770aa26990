"""Echoes of the operator's own writes are recognised once; anything else is not."""

from __future__ import annotations

from scheduledjob_operator.machinery.ownwrites import OwnWrites


def _object(uid: str, version: str) -> dict[str, object]:
    return {"metadata": {"uid": uid, "resourceVersion": version}}


def test_the_version_a_write_produced_is_an_echo_once() -> None:
    """Recorded (uid, resourceVersion) matches one event, then is forgotten."""
    writes = OwnWrites()
    writes.record(_object("u1", "10"))
    assert (True, False) == (
        writes.is_echo(_object("u1", "10")),
        writes.is_echo(_object("u1", "10")),
    )


def test_another_version_or_object_is_not_an_echo() -> None:
    """A later change by anyone, or another object, is reconciled."""
    writes = OwnWrites()
    writes.record(_object("u1", "10"))
    assert (False, False, False) == (
        writes.is_echo(_object("u1", "11")),
        writes.is_echo(_object("u2", "10")),
        writes.is_echo({"metadata": {}}),
    )


def test_the_oldest_versions_are_forgotten_beyond_capacity() -> None:
    """Memory stays bounded; a forgotten echo only costs one idle reconcile."""
    writes = OwnWrites(capacity=2)
    for version in ("1", "2", "3"):
        writes.record(_object("u", version))
    assert (False, True, True) == tuple(writes.is_echo(_object("u", v)) for v in ("1", "2", "3"))
