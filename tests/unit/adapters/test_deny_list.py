"""InMemoryRevokedAccessTokens: a revoked token id stays denied until its token would expire."""

from __future__ import annotations

from datetime import timedelta

from tests.fakes import FixedClock

from elearn.adapters.security.deny_list import InMemoryRevokedAccessTokens


async def test_a_revoked_token_is_denied_until_it_expires() -> None:
    clock = FixedClock()
    revoked = InMemoryRevokedAccessTokens(clock)
    await revoked.revoke("jti-1", until=clock.now() + timedelta(minutes=15))

    assert await revoked.is_revoked("jti-1")
    clock.advance(timedelta(minutes=15) - timedelta(microseconds=1))
    assert await revoked.is_revoked("jti-1")
    clock.advance(timedelta(microseconds=1))
    assert not await revoked.is_revoked("jti-1")


async def test_other_tokens_are_not_denied() -> None:
    clock = FixedClock()
    revoked = InMemoryRevokedAccessTokens(clock)
    await revoked.revoke("jti-1", until=clock.now() + timedelta(minutes=15))

    assert not await revoked.is_revoked("jti-2")


async def test_a_token_already_expired_is_not_stored() -> None:
    clock = FixedClock()
    revoked = InMemoryRevokedAccessTokens(clock)

    await revoked.revoke("jti-1", until=clock.now())
    await revoked.revoke("jti-2", until=clock.now() - timedelta(seconds=1))

    assert len(revoked) == 0
    assert not await revoked.is_revoked("jti-1")


async def test_expired_entries_are_swept_so_memory_stays_bounded() -> None:
    clock = FixedClock()
    revoked = InMemoryRevokedAccessTokens(clock)
    most_held = 0
    for n in range(20_000):
        await revoked.revoke(f"jti-{n}", until=clock.now() + timedelta(seconds=10))
        most_held = max(most_held, len(revoked))
        clock.advance(timedelta(milliseconds=10))  # about 1,000 live at any moment

    assert most_held <= 2 * 1001 + 1
    assert await revoked.is_revoked("jti-19999")


async def test_a_one_time_link_is_spent_by_its_first_use_only() -> None:
    clock = FixedClock()
    links = InMemoryRevokedAccessTokens(clock)
    until = clock.now() + timedelta(minutes=1)

    assert await links.spend("link-1", until)
    assert not await links.spend("link-1", until)
    assert await links.spend("link-2", until)
    clock.advance(timedelta(minutes=1))
    # Past its expiry the link is refused by its signature; it is never spendable again here.
    assert not await links.spend("link-3", until)
