"""The deny-list of revoked access tokens (by jti), kept only until each token would have
expired anyway: in process memory, or in Redis for several API processes. The same lists
remember spent one-time links (``spend``: the first use wins, atomically), and the generation
of each account's session facts, read with the deny-list entry in one lookup (``standing``).

A generation is kept for a day after its last change, then reads as 0 again: far longer than
any process keeps an account's facts (``SESSION_FACTS_MAX_AGE``), so no cached entry can be
tagged with a generation that comes back."""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from elearn.adapters.system import SystemClock
from elearn.application.identity.ports import SessionStanding
from elearn.application.ports import Clock

if TYPE_CHECKING:
    # Only for the types: the client is made (and redis imported) where Redis is configured.
    from redis.asyncio import Redis

GENERATION_LIFETIME = timedelta(days=1)


class InMemoryRevokedAccessTokens:
    """Expired entries are swept whenever the list has doubled since the last sweep, so memory
    is bounded by the tokens revoked within one access-token lifetime."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._until: dict[str, datetime] = {}
        self._sweep_at = 1024
        # Account → (generation, kept until); one counter, so no generation is ever reused.
        self._generations: dict[str, tuple[int, datetime]] = {}
        self._next_generation = itertools.count(1)
        self._generations_sweep_at = 1024

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

    async def standing(self, session_id: str, account_id: str) -> SessionStanding:
        now = self._clock.now()
        until = self._until.get(session_id)
        kept = self._generations.get(account_id)
        return SessionStanding(
            session_revoked=until is not None and now < until,
            account_generation=kept[0] if kept is not None and now < kept[1] else 0,
        )

    async def accounts_changed(self, account_ids: Collection[str]) -> None:
        now = self._clock.now()
        for account_id in account_ids:
            self._generations[account_id] = (next(self._next_generation), now + GENERATION_LIFETIME)
        if len(self._generations) >= self._generations_sweep_at:
            self._generations = {
                account: kept for account, kept in self._generations.items() if now < kept[1]
            }
            self._generations_sweep_at = max(1024, 2 * len(self._generations))

    def __len__(self) -> int:
        return len(self._until)

    def _sweep(self, now: datetime) -> None:
        self._until = {token_id: t for token_id, t in self._until.items() if now < t}
        self._sweep_at = max(1024, 2 * len(self._until))


class RedisRevokedAccessTokens:
    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "elearn:jti:",
        generation_prefix: str = "elearn:account-generation:",
        clock: Clock | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._generation_prefix = generation_prefix
        self._clock = clock or SystemClock()
        self._generation_lifetime_ms = int(GENERATION_LIFETIME.total_seconds() * 1000)

    async def revoke(self, token_id: str, until: datetime) -> None:
        # Rounded up: the entry must outlive the token, never the other way round.
        left_ms = math.ceil((until - self._clock.now()).total_seconds() * 1000)
        if left_ms <= 0:
            return
        await self._client.set(self._prefix + token_id, b"1", px=left_ms)

    async def is_revoked(self, token_id: str) -> bool:
        return bool(await self._client.exists(self._prefix + token_id))

    async def standing(self, session_id: str, account_id: str) -> SessionStanding:
        revoked, generation = await self._client.mget(
            self._prefix + session_id, self._generation_prefix + account_id
        )
        return SessionStanding(
            session_revoked=revoked is not None,
            account_generation=0 if generation is None else int(generation),
        )

    async def accounts_changed(self, account_ids: Collection[str]) -> None:
        if not account_ids:
            return
        pipeline = self._client.pipeline(transaction=False)
        for account_id in account_ids:
            key = self._generation_prefix + account_id
            pipeline.incr(key)
            pipeline.pexpire(key, self._generation_lifetime_ms)
        await pipeline.execute()

    async def spend(self, token_id: str, until: datetime) -> bool:
        left_ms = math.ceil((until - self._clock.now()).total_seconds() * 1000)
        if left_ms <= 0:
            return False
        # SET NX: of two uses at once, in any number of processes, one sets the key.
        return bool(await self._client.set(self._prefix + token_id, b"1", px=left_ms, nx=True))
