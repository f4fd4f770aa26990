"""The work queue: a key waits once however often it is added, and comes back after it is taken."""

from __future__ import annotations

import asyncio

from scheduledjob_operator.machinery.workqueue import WorkQueue


def test_a_waiting_key_is_queued_once_in_order() -> None:
    """Adding a waiting key again changes nothing; keys come out first in, first out."""

    async def scenario() -> list[tuple[str, str]]:
        queue = WorkQueue()
        for key in [("a", "1"), ("a", "2"), ("a", "1"), ("a", "1")]:
            queue.add(key)
        assert 2 == len(queue)
        return [await queue.take(), await queue.take()]

    assert [("a", "1"), ("a", "2")] == asyncio.run(scenario())


def test_a_key_added_while_taken_is_queued_again() -> None:
    """An event during a reconcile queues the key for one more reconcile."""

    async def scenario() -> tuple[tuple[str, str], int]:
        queue = WorkQueue()
        queue.add(("a", "1"))
        taken = await queue.take()
        queue.add(("a", "1"))
        return taken, len(queue)

    assert (("a", "1"), 1) == asyncio.run(scenario())
