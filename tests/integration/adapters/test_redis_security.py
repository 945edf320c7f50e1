"""RedisRateLimiter and RedisRevokedAccessTokens against a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from tests.fakes import FixedClock

from elearn.adapters.security.deny_list import GENERATION_LIFETIME, RedisRevokedAccessTokens
from elearn.adapters.security.rate_limits import RedisRateLimiter
from elearn.application.identity.ports import SessionStanding

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def prefix(redis_client: Redis) -> AsyncIterator[str]:
    """A key namespace of this test's own, deleted afterwards."""
    prefix = f"elearn-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=prefix + "*")]
    if keys:
        await redis_client.delete(*keys)


# ---- rate limiter ---------------------------------------------------------------------------
async def test_hits_up_to_the_limit_pass_then_the_wait_is_the_windows_ttl(
    redis_client: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)

    results = [await limiter.hit("login:ana", limit=3, window_seconds=60) for _ in range(3)]
    over = await limiter.hit("login:ana", limit=3, window_seconds=60)

    assert results == [None, None, None]
    assert over == 60  # seconds left, rounded up
    assert 59_000 < await redis_client.pttl(prefix + "login:ana") <= 60_000


async def test_the_wait_shrinks_as_the_window_runs_out(redis_client: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)
    await limiter.hit("k", limit=1, window_seconds=2)

    await asyncio.sleep(1.1)

    assert await limiter.hit("k", limit=1, window_seconds=2) == 1


async def test_the_count_starts_again_when_the_window_expires(
    redis_client: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)
    await limiter.hit("k", limit=1, window_seconds=1)
    assert await limiter.hit("k", limit=1, window_seconds=1) == 1

    await asyncio.sleep(1.1)

    assert await limiter.hit("k", limit=1, window_seconds=1) is None
    assert await limiter.hit("k", limit=1, window_seconds=1) == 1


async def test_hits_over_the_limit_do_not_extend_the_window(
    redis_client: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)
    await limiter.hit("k", limit=1, window_seconds=1)
    for _ in range(5):
        await limiter.hit("k", limit=1, window_seconds=1)
        await asyncio.sleep(0.15)

    await asyncio.sleep(0.4)

    assert await limiter.hit("k", limit=1, window_seconds=1) is None


async def test_a_key_left_without_expiry_gets_one(redis_client: Redis, prefix: str) -> None:
    # E.g. written by an older release: it must not lock its owner out for good.
    await redis_client.set(prefix + "k", 50)
    limiter = RedisRateLimiter(redis_client, prefix=prefix)

    assert await limiter.hit("k", limit=3, window_seconds=60) == 60
    assert 0 < await redis_client.pttl(prefix + "k") <= 60_000


async def test_keys_are_counted_apart(redis_client: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)
    await limiter.hit("ip:1", limit=1, window_seconds=60)

    assert await limiter.hit("ip:2", limit=1, window_seconds=60) is None
    assert await limiter.hit("ip:1", limit=1, window_seconds=60) == 60


async def test_reset_forgets_the_count(redis_client: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)
    await limiter.hit("k", limit=1, window_seconds=60)

    await limiter.reset("k")

    assert await limiter.hit("k", limit=1, window_seconds=60) is None
    await limiter.reset("never-seen")


async def test_concurrent_hits_never_let_more_than_the_limit_through(
    redis_url: str, prefix: str
) -> None:
    # Four clients sharing one limit, as four API processes would.
    clients = [Redis.from_url(redis_url) for _ in range(4)]
    limiters = [RedisRateLimiter(client, prefix=prefix) for client in clients]
    try:
        results = await asyncio.gather(
            *(limiters[n % 4].hit("login:ana", limit=7, window_seconds=30) for n in range(200))
        )
    finally:
        for client in clients:
            await client.aclose()

    assert sum(result is None for result in results) == 7
    assert all(1 <= result <= 30 for result in results if result is not None)


async def test_the_limiter_survives_a_script_cache_flush(redis_client: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)
    await limiter.hit("k", limit=2, window_seconds=60)

    await redis_client.script_flush()

    assert await limiter.hit("k", limit=2, window_seconds=60) is None
    assert await limiter.hit("k", limit=2, window_seconds=60) == 60


# ---- deny-list ------------------------------------------------------------------------------
async def test_a_revoked_token_is_denied_until_its_expiry(redis_client: Redis, prefix: str) -> None:
    clock = FixedClock()
    revoked = RedisRevokedAccessTokens(redis_client, prefix=prefix, clock=clock)

    await revoked.revoke("jti-1", until=clock.now() + timedelta(seconds=1))

    assert await revoked.is_revoked("jti-1")
    assert not await revoked.is_revoked("jti-2")
    assert 0 < await redis_client.pttl(prefix + "jti-1") <= 1000
    await asyncio.sleep(1.1)
    assert not await revoked.is_revoked("jti-1")


async def test_the_entry_lives_as_long_as_the_token(redis_client: Redis, prefix: str) -> None:
    clock = FixedClock()
    revoked = RedisRevokedAccessTokens(redis_client, prefix=prefix, clock=clock)

    await revoked.revoke("jti-1", until=clock.now() + timedelta(minutes=15, milliseconds=1))

    assert 899_000 < await redis_client.pttl(prefix + "jti-1") <= 900_001


async def test_a_token_already_expired_is_not_stored(redis_client: Redis, prefix: str) -> None:
    clock = FixedClock()
    revoked = RedisRevokedAccessTokens(redis_client, prefix=prefix, clock=clock)

    await revoked.revoke("jti-1", until=clock.now())
    await revoked.revoke("jti-2", until=clock.now() - timedelta(minutes=1))

    assert not await revoked.is_revoked("jti-1")
    assert await redis_client.exists(prefix + "jti-1", prefix + "jti-2") == 0


async def test_a_one_time_link_is_spent_once_across_racing_uses(
    redis_client: Redis, prefix: str
) -> None:
    clock = FixedClock()
    links = RedisRevokedAccessTokens(redis_client, prefix=prefix, clock=clock)
    until = clock.now() + timedelta(minutes=1)

    firsts = await asyncio.gather(*(links.spend("link-1", until) for _ in range(20)))

    assert firsts.count(True) == 1
    assert 59_000 < await redis_client.pttl(prefix + "link-1") <= 60_000
    assert not await links.spend("link-2", clock.now())


async def test_standing_reads_the_session_and_the_accounts_generation_at_once(
    redis_client: Redis, prefix: str
) -> None:
    clock = FixedClock()
    store = RedisRevokedAccessTokens(
        redis_client, prefix=prefix, generation_prefix=prefix + "gen:", clock=clock
    )
    await store.revoke("session-1", until=clock.now() + timedelta(minutes=15))

    assert await store.standing("session-1", "ana") == SessionStanding(True, 0)
    await store.accounts_changed(["ana", "ben"])
    await store.accounts_changed(["ana"])
    assert await store.standing("session-2", "ana") == SessionStanding(False, 2)
    assert await store.standing("session-2", "ben") == SessionStanding(False, 1)
    await store.accounts_changed([])
    lifetime_ms = GENERATION_LIFETIME.total_seconds() * 1000
    assert lifetime_ms - 60_000 < await redis_client.pttl(prefix + "gen:ana") <= lifetime_ms


async def test_the_default_clock_is_the_real_one(redis_client: Redis, prefix: str) -> None:
    revoked = RedisRevokedAccessTokens(redis_client, prefix=prefix)

    await revoked.revoke("jti-1", until=datetime.now(UTC) + timedelta(seconds=30))

    assert await revoked.is_revoked("jti-1")


async def test_over_limit_and_forgive_share_the_window_of_hit(
    redis_client: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)
    assert await limiter.over_limit("ip", limit=2) is None
    await limiter.forgive("ip")  # nothing to take back, and no key made
    assert await redis_client.exists(prefix + "ip") == 0

    for _ in range(2):
        await limiter.hit("ip", limit=2, window_seconds=60)
    assert await limiter.over_limit("ip", limit=2) == 60
    assert await limiter.over_limit("ip", limit=3) is None

    await limiter.forgive("ip")
    assert await limiter.over_limit("ip", limit=2) is None
    assert 59_000 < await redis_client.pttl(prefix + "ip") <= 60_000  # the expiry stays
    for _ in range(3):
        await limiter.forgive("ip")
    assert int(await redis_client.get(prefix + "ip")) == 0
