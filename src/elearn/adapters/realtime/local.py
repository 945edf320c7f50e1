"""Live delivery inside one process: the embedded default, where the API is one process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from uuid import UUID

from elearn.application.realtime import RealtimePublisher

__all__ = ["LocalRealtimeHub"]


class LocalRealtimeHub(RealtimePublisher):
    """Fans each published event out to the queues of the audience's subscribers in this
    process. A subscriber that does not keep up loses events beyond ``queue_size`` rather than
    growing memory without bound (the socket on top decides what to do about it)."""

    def __init__(self, *, queue_size: int = 256) -> None:
        self._queue_size = queue_size
        self._subscribers: defaultdict[UUID, set[asyncio.Queue[dict[str, object]]]] = defaultdict(
            set
        )

    async def publish(
        self, audience: Collection[UUID], event_type: str, payload: Mapping[str, object]
    ) -> None:
        event = {"type": event_type, **payload}
        for person in audience:
            for queue in self._subscribers.get(person, ()):
                if queue.full():
                    continue
                queue.put_nowait(event)

    async def connected(self, people: Collection[UUID]) -> set[UUID]:
        return {person for person in people if person in self._subscribers}

    @asynccontextmanager
    async def subscribe(self, person: UUID) -> AsyncIterator[asyncio.Queue[dict[str, object]]]:
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(self._queue_size)
        self._subscribers[person].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[person].discard(queue)
            if not self._subscribers[person]:
                del self._subscribers[person]
