"""Argon2PasswordHasher: hashes on its own bounded, low-priority threads, never on the loop."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from elearn.adapters import passwords
from elearn.adapters.passwords import Argon2PasswordHasher, hashing_pool, usable_cpus


@pytest.fixture
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost_kib=64)  # cheap for tests


async def test_a_hash_verifies_its_password_only(hasher: Argon2PasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery staple")

    assert "correct horse" not in stored
    assert await hasher.verify(stored, "correct horse battery staple")
    assert not await hasher.verify(stored, "wrong horse battery staple")
    assert not await hasher.verify("not a hash", "correct horse battery staple")
    await hasher.verify_dummy("anything")


async def test_hashing_runs_on_a_pool_sized_to_the_cpus_at_low_priority(
    hasher: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []
    loop_thread = threading.get_ident()

    def spy(password: str) -> str:
        assert threading.get_ident() != loop_thread
        seen.append(
            (
                threading.current_thread().name,
                os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
                if sys.platform == "linux"
                else passwords.HASHING_THREAD_NICENESS,
            )
        )
        return "spied"

    class SpyArgon2:
        hash = staticmethod(spy)

    monkeypatch.setattr(hasher, "_argon2", SpyArgon2())

    assert await asyncio.gather(*(hasher.hash(f"p{n}") for n in range(8))) == ["spied"] * 8

    assert hashing_pool()._max_workers == usable_cpus()
    assert all(name.startswith("argon2") for name, _ in seen)
    assert all(nice >= passwords.HASHING_THREAD_NICENESS for _, nice in seen)
