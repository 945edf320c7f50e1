"""Who views a forum thread, in memory and in a real Redis: a watch lasts until its end,
renewing moves it, leaving ends it, and one thread's viewers are not another's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from elearn.adapters.realtime.viewers import InMemoryThreadViewers, RedisThreadViewers
from elearn.application.community.ports import ThreadViewers

# Real time: Redis lets a key go once its expiry passes by its own clock.
NOW = datetime.now(UTC).replace(microsecond=0)


async def _check(viewers: ThreadViewers) -> None:
    thread, other = uuid.uuid4(), uuid.uuid4()
    ana, bo = uuid.uuid4(), uuid.uuid4()
    minute = timedelta(seconds=60)
    await viewers.watch(thread, ana, until=NOW + minute)
    await viewers.watch(thread, bo, until=NOW + minute)
    await viewers.watch(other, bo, until=NOW + minute)
    assert await viewers.viewers(thread, now=NOW) == {ana, bo}
    await viewers.leave(thread, bo)
    assert await viewers.viewers(thread, now=NOW) == {ana}
    assert await viewers.viewers(other, now=NOW) == {bo}
    # Ana renews half-way; at the first minute's end she still views, then not.
    await viewers.watch(thread, ana, until=NOW + minute + timedelta(seconds=30))
    assert await viewers.viewers(thread, now=NOW + minute) == {ana}
    assert await viewers.viewers(thread, now=NOW + 2 * minute) == set()


async def test_in_memory() -> None:
    await _check(InMemoryThreadViewers())


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_in_redis(redis_client: Redis) -> None:
    prefix = f"elearn-test:{uuid.uuid4().hex}:"
    try:
        await _check(RedisThreadViewers(redis_client, prefix=prefix))
    finally:
        keys = [key async for key in redis_client.scan_iter(match=prefix + "*")]
        if keys:
            await redis_client.delete(*keys)
