"""Realtime socket tickets, kept for their few seconds: in process memory (the embedded
default, one API process) or in Redis (shared by every API process)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

from elearn.application.realtime_tickets import TicketGrant

if TYPE_CHECKING:
    # Only for the types: the client is made (and redis imported) where Redis is configured.
    from redis.asyncio import Redis

__all__ = ["InMemoryRealtimeTickets", "RedisRealtimeTickets"]


class InMemoryRealtimeTickets:
    """Expired tickets are swept whenever the store has doubled since the last sweep, so memory
    is bounded by the tickets issued within one ticket lifetime."""

    _MIN_SWEEP_SIZE = 1024

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._kept: dict[str, tuple[float, TicketGrant]] = {}
        self._sweep_at = self._MIN_SWEEP_SIZE

    async def keep(self, key: str, grant: TicketGrant, *, seconds: int) -> None:
        now = self._clock()
        self._kept[key] = (now + seconds, grant)
        if len(self._kept) >= self._sweep_at:
            self._kept = {k: entry for k, entry in self._kept.items() if now < entry[0]}
            self._sweep_at = max(self._MIN_SWEEP_SIZE, 2 * len(self._kept))

    async def take(self, key: str) -> TicketGrant | None:
        entry = self._kept.pop(key, None)
        if entry is None or self._clock() >= entry[0]:
            return None
        return entry[1]

    def __len__(self) -> int:
        return len(self._kept)


class RedisRealtimeTickets:
    def __init__(self, client: Redis, *, prefix: str = "elearn:rt:ticket:") -> None:
        self._client = client
        self._prefix = prefix

    async def keep(self, key: str, grant: TicketGrant, *, seconds: int) -> None:
        value = f"{grant.user_id.hex}:{grant.session_id.hex}"
        await self._client.set(self._prefix + key, value, ex=seconds)

    async def take(self, key: str) -> TicketGrant | None:
        # GETDEL: of two processes redeeming one ticket at once, one gets it.
        value = await self._client.getdel(self._prefix + key)
        if value is None:
            return None
        user, _, session = (value.decode() if isinstance(value, bytes) else value).partition(":")
        return TicketGrant(UUID(hex=user), UUID(hex=session))
