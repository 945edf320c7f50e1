"""argon2id password hashing, off the event loop (hashing costs tens of ms of CPU by design).

Hashes run on a dedicated pool of threads, one per CPU this process may use, not on the
event loop's default executor: a burst of logins then queues for those threads instead of
putting more hashes on the CPUs than there are CPUs (which only slows every hash and the event
loop with it) and instead of filling the default executor that file writes, SMTP and the outbox
relay share. On Linux the hashing threads also run at a lower priority (nice 10), so when the
CPUs are busy hashing the kernel still runs the event loop first: `/health/live` and cheap
requests keep answering in milliseconds while logins wait their turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

HASHING_THREAD_NICENESS = 10

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _lower_this_threads_priority() -> None:
    """Linux schedules threads individually: ``setpriority`` on a thread id renices that
    thread only. Elsewhere it would renice the whole process, so it is not done."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_THREAD_NICENESS)


def hashing_pool() -> ThreadPoolExecutor:
    """One pool per process, shared by every hasher (containers come and go; threads stay)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=usable_cpus(),
                thread_name_prefix="argon2",
                initializer=_lower_this_threads_priority,
            )
        return _pool


class Argon2PasswordHasher:
    # OWASP's minimum for argon2id is m=19 MiB, t=2, p=1; we use a little more memory.
    def __init__(
        self, *, time_cost: int = 2, memory_cost_kib: int = 19 * 1024, parallelism: int = 1
    ):
        self._dummy_hash: str | None = None
        self._argon2 = _Argon2(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
        )

    async def _off_loop(self, function: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(hashing_pool(), function, *args)

    async def hash(self, password: str) -> str:
        return await self._off_loop(self._argon2.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return await self._off_loop(self._argon2.verify, stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("a password nobody has, hashed the same way")
        await self.verify(self._dummy_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._argon2.check_needs_rehash(stored_hash)
