"""argon2id password hashing, off the event loop (hashing costs tens of ms of CPU by design)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2PasswordHasher:
    # OWASP's minimum for argon2id is m=19 MiB, t=2, p=1; we use a little more memory.
    def __init__(
        self, *, time_cost: int = 2, memory_cost_kib: int = 19 * 1024, parallelism: int = 1
    ):
        self._dummy_hash: str | None = None
        self._argon2 = _Argon2(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
        )

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._argon2.verify, stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("a password nobody has, hashed the same way")
        await self.verify(self._dummy_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._argon2.check_needs_rehash(stored_hash)
