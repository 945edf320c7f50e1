"""Who is viewing a forum thread now: a person's watch of a thread lasts until the instant they
were given, renewed by asking again (a client asks while the thread stays on screen), so a
closed tab stops counting on its own. In Redis when configured, so a reply posted through any
API process or worker reaches viewers whose sockets any process holds; else in the process."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    # Only the Redis configuration builds these viewers; the embedded default never loads redis.
    from redis.asyncio import Redis

# More watchers than this on one thread and the oldest watches are dropped: a thread's live
# audience stays bounded whatever a client sends.
MAX_VIEWERS_PER_THREAD = 1000


class InMemoryThreadViewers:
    def __init__(self) -> None:
        self._watches: dict[UUID, dict[UUID, datetime]] = {}

    async def watch(self, thread_id: UUID, person: UUID, *, until: datetime) -> None:
        watches = self._watches.setdefault(thread_id, {})
        watches.pop(person, None)
        watches[person] = until
        while len(watches) > MAX_VIEWERS_PER_THREAD:
            del watches[min(watches, key=lambda p: watches[p])]

    async def leave(self, thread_id: UUID, person: UUID) -> None:
        self._watches.get(thread_id, {}).pop(person, None)

    async def viewers(self, thread_id: UUID, *, now: datetime) -> set[UUID]:
        watches = self._watches.get(thread_id, {})
        for person in [p for p, until in watches.items() if until <= now]:
            del watches[person]
        if not watches:
            self._watches.pop(thread_id, None)
        return set(watches)


class RedisThreadViewers:
    """One sorted set per thread: each viewer scored by when their watch ends."""

    def __init__(self, client: Redis, *, prefix: str = "elearn:forum-viewers:") -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, thread_id: UUID) -> str:
        return f"{self._prefix}{thread_id}"

    async def watch(self, thread_id: UUID, person: UUID, *, until: datetime) -> None:
        key = self._key(thread_id)
        ends = until.timestamp()
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {str(person): ends})
            pipe.zremrangebyrank(key, 0, -MAX_VIEWERS_PER_THREAD - 1)
            # Every watch lasts as long, so the newest ends last: the set goes with it.
            pipe.expireat(key, int(ends) + 1)
            await pipe.execute()

    async def leave(self, thread_id: UUID, person: UUID) -> None:
        await self._client.zrem(self._key(thread_id), str(person))

    async def viewers(self, thread_id: UUID, *, now: datetime) -> set[UUID]:
        key = self._key(thread_id)
        moment = now.timestamp()
        await self._client.zremrangebyscore(key, "-inf", moment)
        members = await self._client.zrangebyscore(key, f"({moment}", "+inf")
        return {UUID(_text(member)) for member in members}


def _text(member: object) -> str:
    return member.decode() if isinstance(member, bytes) else str(member)
