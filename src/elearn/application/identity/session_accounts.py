"""The account facts authentication needs, kept in each process so that a request costs no
database read: an entry is good only under the account generation it was read under (the
revocation store changes it whenever those facts change, ``RevokedAccessTokens.
accounts_changed``), and for ``SESSION_FACTS_MAX_AGE`` at most."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from elearn.application.identity.ports import SessionAccount
from elearn.application.ports import Clock

# A change is seen at once through the generation. The age limit only bounds what a lost
# generation change leaves behind: a process that died between the commit and the change, or a
# change made by another process without a shared store (the CLI beside the embedded default).
SESSION_FACTS_MAX_AGE = timedelta(seconds=30)
# Accounts kept per process; the least recently used goes first (a few hundred bytes each).
SESSION_FACTS_CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    generation: int
    fresh_until: datetime
    account: SessionAccount | None


class SessionAccounts:
    """Reads an account's session facts through a bounded, least-recently-used cache.

    The generation must be read before the account: a read that raced a change is then kept
    under a generation that the change's last move (just after its commit) leaves behind."""

    def __init__(
        self,
        load: Callable[[UUID], Awaitable[SessionAccount | None]],
        clock: Clock,
        *,
        capacity: int = SESSION_FACTS_CAPACITY,
        max_age: timedelta = SESSION_FACTS_MAX_AGE,
    ) -> None:
        if capacity < 1:
            raise ValueError("the cache holds one account at least")
        self._load = load
        self._clock = clock
        self._capacity = capacity
        self._max_age = max_age
        self._entries: OrderedDict[UUID, _Entry] = OrderedDict()

    async def get(self, user_id: UUID, generation: int) -> SessionAccount | None:
        now = self._clock.now()
        entry = self._entries.get(user_id)
        if entry is not None and entry.generation == generation and now < entry.fresh_until:
            self._entries.move_to_end(user_id)
            return entry.account
        account = await self._load(user_id)
        # Another request may have stored a newer read meanwhile: replacing it with this one is
        # still safe, as an entry under an older generation is never used.
        self._entries[user_id] = _Entry(generation, now + self._max_age, account)
        self._entries.move_to_end(user_id)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return account

    def __len__(self) -> int:
        return len(self._entries)
