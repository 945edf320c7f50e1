"""The single-flight cache's stale-while-revalidate mode: an expired answer is given while its
one reload runs, the reload's answer after; nothing stale survives `invalidate`; a reload that
fails keeps the stale answer and the next caller tries again."""

from __future__ import annotations

import asyncio

import pytest

from elearn.application.caching import SingleFlightCache


class _Seconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _settle() -> None:
    """Lets a background reload run and its answer be kept (a few turns of the loop)."""
    for _ in range(5):
        await asyncio.sleep(0)


class _Source:
    def __init__(self) -> None:
        self.value = 1
        self.loads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def load(self) -> int:
        self.loads += 1
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("the source is down")
        return self.value


async def test_an_expired_answer_is_given_while_its_one_reload_runs() -> None:
    seconds, source = _Seconds(), _Source()
    cache = SingleFlightCache(ttl_seconds=10, clock=seconds, serve_stale=True)
    assert await cache.get("k", source.load) == 1

    source.value, seconds.now = 2, 11
    source.gate.clear()  # the reload takes a while
    answers = await asyncio.gather(*(cache.get("k", source.load) for _ in range(5)))
    assert answers == [1] * 5 and source.loads == 2
    source.gate.set()
    await _settle()
    assert await cache.get("k", source.load) == 2 and source.loads == 2


async def test_nothing_stale_is_given_after_invalidate() -> None:
    seconds, source = _Seconds(), _Source()
    cache = SingleFlightCache(ttl_seconds=10, clock=seconds, serve_stale=True)
    await cache.get("k", source.load)
    source.value = 2
    cache.invalidate()
    assert await cache.get("k", source.load) == 2


async def test_a_failed_reload_keeps_the_stale_answer_and_the_next_caller_retries() -> None:
    seconds, source = _Seconds(), _Source()
    cache = SingleFlightCache(ttl_seconds=10, clock=seconds, serve_stale=True)
    await cache.get("k", source.load)
    source.fail, seconds.now = True, 11
    assert await cache.get("k", source.load) == 1
    await _settle()
    source.fail, source.value = False, 3
    assert await cache.get("k", source.load) == 1  # stale again, with a new reload started
    await _settle()
    assert await cache.get("k", source.load) == 3 and source.loads == 3


async def test_without_serve_stale_an_expired_answer_waits_for_its_reload() -> None:
    seconds, source = _Seconds(), _Source()
    cache = SingleFlightCache(ttl_seconds=10, clock=seconds)
    await cache.get("k", source.load)
    source.value, seconds.now = 2, 11
    assert await cache.get("k", source.load) == 2


async def test_a_failed_first_load_raises_to_every_waiting_caller() -> None:
    source = _Source()
    source.fail = True
    cache = SingleFlightCache(ttl_seconds=10, serve_stale=True)
    results = await asyncio.gather(
        *(cache.get("k", source.load) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results) and source.loads == 1
    with pytest.raises(RuntimeError):
        await cache.get("k", source.load)
