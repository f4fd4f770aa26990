"""The keys of ScheduledJobs waiting for a reconcile: each key once, however many events came.

kopf delivers each watch event to a handler and keeps the event's whole object until the
handler returns. Were handlers to await their reconcile, a burst of thousands of creates would
hold thousands of objects in memory while the reconciles queue for a thread (most of the
operator's peak memory at N=5000), and every event of a ScheduledJob would mean one more
reconcile. So handlers only add the key here and return; a fixed set of workers takes keys off in
order. A key added again while it waits is not queued twice (as client-go's workqueue), one
added while it is being reconciled is reconciled once more afterwards, since the reconcile
reads the current state from the store.
"""

from __future__ import annotations

import asyncio

Key = tuple[str, str]


class WorkQueue:
    """A FIFO of distinct keys."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._waiting: set[Key] = set()

    def add(self, key: Key) -> None:
        """Queue `key` unless it is already waiting."""
        if key in self._waiting:
            return
        self._waiting.add(key)
        self._queue.put_nowait(key)

    async def take(self) -> Key:
        """The next key; it counts as waiting no more, so new events queue it again."""
        key = await self._queue.get()
        self._waiting.discard(key)
        return key

    def __len__(self) -> int:
        return len(self._waiting)
