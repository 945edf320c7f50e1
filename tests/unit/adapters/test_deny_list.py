"""InMemoryRevokedAccessTokens: a revoked token id stays denied until its token would expire;
an account's generation is new after every change and forgotten a day after the last."""

from __future__ import annotations

from datetime import timedelta

from tests.fakes import FixedClock

from elearn.adapters.security.deny_list import GENERATION_LIFETIME, InMemoryRevokedAccessTokens
from elearn.application.identity.ports import SessionStanding


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


# ---- account generations --------------------------------------------------------------------
async def test_standing_tells_the_session_and_the_accounts_generation_together() -> None:
    clock = FixedClock()
    store = InMemoryRevokedAccessTokens(clock)
    await store.revoke("session-1", until=clock.now() + timedelta(minutes=15))

    assert await store.standing("session-1", "ana") == SessionStanding(True, 0)
    assert await store.standing("session-2", "ana") == SessionStanding(False, 0)


async def test_every_change_gives_the_account_a_generation_never_seen_before() -> None:
    clock = FixedClock()
    store = InMemoryRevokedAccessTokens(clock)
    seen = {(await store.standing("s", "ana")).account_generation}

    for _ in range(3):
        await store.accounts_changed(["ana", "ben"])
        ana = (await store.standing("s", "ana")).account_generation
        ben = (await store.standing("s", "ben")).account_generation
        assert ana not in seen and ben not in seen | {ana}
        seen |= {ana, ben}
    assert (await store.standing("s", "carla")).account_generation == 0


async def test_a_generation_is_forgotten_a_day_after_its_last_change() -> None:
    clock = FixedClock()
    store = InMemoryRevokedAccessTokens(clock)
    await store.accounts_changed(["ana"])
    changed = (await store.standing("s", "ana")).account_generation

    clock.advance(GENERATION_LIFETIME - timedelta(microseconds=1))
    assert (await store.standing("s", "ana")).account_generation == changed
    clock.advance(timedelta(microseconds=1))
    assert (await store.standing("s", "ana")).account_generation == 0


async def test_forgotten_generations_are_swept_as_more_accounts_change() -> None:
    clock = FixedClock()
    store = InMemoryRevokedAccessTokens(clock)
    await store.accounts_changed([f"old-{n}" for n in range(1000)])
    clock.advance(GENERATION_LIFETIME)

    await store.accounts_changed([f"new-{n}" for n in range(1100)])

    assert len(store._generations) == 1100
