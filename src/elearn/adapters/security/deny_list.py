"""The deny-list of revoked access tokens (by jti), kept only until each token would have
expired anyway: in process memory, or in Redis for several API processes. The same lists
remember spent one-time links (``spend``: the first use wins, atomically)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from elearn.adapters.system import SystemClock
from elearn.application.ports import Clock

if TYPE_CHECKING:
    # Only for the types: the client is made (and redis imported) where Redis is configured.
    from redis.asyncio import Redis


class InMemoryRevokedAccessTokens:
    """Expired entries are swept whenever the list has doubled since the last sweep, so memory
    is bounded by the tokens revoked within one access-token lifetime."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._until: dict[str, datetime] = {}
        self._sweep_at = 1024

    async def revoke(self, token_id: str, until: datetime) -> None:
        now = self._clock.now()
        if until <= now:
            return  # already expired: it can no longer be used, nothing to remember
        self._until[token_id] = until
        if len(self._until) >= self._sweep_at:
            self._sweep(now)

    async def is_revoked(self, token_id: str) -> bool:
        until = self._until.get(token_id)
        return until is not None and self._clock.now() < until

    async def spend(self, token_id: str, until: datetime) -> bool:
        # Nothing suspends between the check and the entry: of two uses, the first wins.
        now = self._clock.now()
        spent_until = self._until.get(token_id)
        if until <= now or (spent_until is not None and now < spent_until):
            return False
        self._until[token_id] = until
        if len(self._until) >= self._sweep_at:
            self._sweep(now)
        return True

    def __len__(self) -> int:
        return len(self._until)

    def _sweep(self, now: datetime) -> None:
        self._until = {token_id: t for token_id, t in self._until.items() if now < t}
        self._sweep_at = max(1024, 2 * len(self._until))


class RedisRevokedAccessTokens:
    def __init__(
        self, client: Redis, *, prefix: str = "elearn:jti:", clock: Clock | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock or SystemClock()

    async def revoke(self, token_id: str, until: datetime) -> None:
        # Rounded up: the entry must outlive the token, never the other way round.
        left_ms = math.ceil((until - self._clock.now()).total_seconds() * 1000)
        if left_ms <= 0:
            return
        await self._client.set(self._prefix + token_id, b"1", px=left_ms)

    async def is_revoked(self, token_id: str) -> bool:
        return bool(await self._client.exists(self._prefix + token_id))

    async def spend(self, token_id: str, until: datetime) -> bool:
        left_ms = math.ceil((until - self._clock.now()).total_seconds() * 1000)
        if left_ms <= 0:
            return False
        # SET NX: of two uses at once, in any number of processes, one sets the key.
        return bool(await self._client.set(self._prefix + token_id, b"1", px=left_ms, nx=True))
