"""InMemoryRateLimiter: a fixed window per key, on a clock the test controls."""

from __future__ import annotations

import pytest

from elearn.adapters.security.rate_limits import InMemoryRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> InMemoryRateLimiter:
    return InMemoryRateLimiter(clock)


async def test_hits_up_to_the_limit_pass(limiter: InMemoryRateLimiter) -> None:
    results = [await limiter.hit("login:ana", limit=3, window_seconds=60) for _ in range(3)]

    assert results == [None, None, None]


async def test_the_hit_over_the_limit_is_told_how_long_to_wait(
    limiter: InMemoryRateLimiter, clock: FakeClock
) -> None:
    for _ in range(3):
        await limiter.hit("login:ana", limit=3, window_seconds=60)
    clock.now += 20.5

    assert await limiter.hit("login:ana", limit=3, window_seconds=60) == 40  # 39.5 rounded up


async def test_every_hit_over_the_limit_is_refused_until_the_window_ends(
    limiter: InMemoryRateLimiter, clock: FakeClock
) -> None:
    for _ in range(3):
        await limiter.hit("k", limit=3, window_seconds=60)

    clock.now += 59.9
    assert await limiter.hit("k", limit=3, window_seconds=60) == 1
    clock.now += 0.1
    assert await limiter.hit("k", limit=3, window_seconds=60) is None


async def test_a_new_window_counts_from_zero(
    limiter: InMemoryRateLimiter, clock: FakeClock
) -> None:
    for _ in range(5):
        await limiter.hit("k", limit=2, window_seconds=10)
    clock.now += 10

    assert await limiter.hit("k", limit=2, window_seconds=10) is None
    assert await limiter.hit("k", limit=2, window_seconds=10) is None
    assert await limiter.hit("k", limit=2, window_seconds=10) == 10


async def test_keys_are_counted_apart(limiter: InMemoryRateLimiter) -> None:
    await limiter.hit("login:ana", limit=1, window_seconds=60)

    assert await limiter.hit("login:bob", limit=1, window_seconds=60) is None
    assert await limiter.hit("login:ana", limit=1, window_seconds=60) == 60


async def test_reset_forgets_the_count(limiter: InMemoryRateLimiter) -> None:
    await limiter.hit("k", limit=1, window_seconds=60)
    assert await limiter.hit("k", limit=1, window_seconds=60) == 60

    await limiter.reset("k")

    assert await limiter.hit("k", limit=1, window_seconds=60) is None


async def test_resetting_an_unknown_key_is_harmless(limiter: InMemoryRateLimiter) -> None:
    await limiter.reset("never-seen")


async def test_a_limit_of_zero_refuses_everything(limiter: InMemoryRateLimiter) -> None:
    assert await limiter.hit("k", limit=0, window_seconds=30) == 30


@pytest.mark.parametrize(("limit", "window"), [(-1, 60), (1, 0), (1, -5)])
async def test_nonsense_limits_are_refused(
    limiter: InMemoryRateLimiter, limit: int, window: int
) -> None:
    with pytest.raises(ValueError):
        await limiter.hit("k", limit=limit, window_seconds=window)


async def test_expired_windows_are_swept_so_memory_stays_bounded(
    limiter: InMemoryRateLimiter, clock: FakeClock
) -> None:
    most_held = 0
    for round_ in range(10):
        for n in range(3000):
            await limiter.hit(f"ip:{round_}:{n}", limit=5, window_seconds=60)
            most_held = max(most_held, len(limiter))
        clock.now += 61  # every window of this round ends

    # 30,000 keys were seen, never more than 3,000 live at once.
    assert most_held <= 2 * 3000


async def test_sweeping_keeps_the_counts_of_live_windows(
    limiter: InMemoryRateLimiter, clock: FakeClock
) -> None:
    await limiter.hit("ana", limit=1, window_seconds=600)
    for n in range(5000):  # enough new keys to trigger sweeps
        await limiter.hit(f"ip:{n}", limit=1, window_seconds=1)
        clock.now += 1 / 64  # exact in binary: 78.125 s in all

    assert await limiter.hit("ana", limit=1, window_seconds=600) == 522  # 521.875 s left


async def test_over_limit_counts_nothing_and_refuses_once_the_window_holds_the_limit(
    limiter: InMemoryRateLimiter, clock: FakeClock
) -> None:
    assert await limiter.over_limit("ip", limit=2) is None
    await limiter.hit("ip", limit=2, window_seconds=60)
    assert await limiter.over_limit("ip", limit=2) is None
    await limiter.hit("ip", limit=2, window_seconds=60)
    clock.now += 20.5

    assert await limiter.over_limit("ip", limit=2) == 40
    assert await limiter.over_limit("ip", limit=3) is None  # the peeks counted nothing
    clock.now += 39.5
    assert await limiter.over_limit("ip", limit=2) is None


async def test_forgive_takes_one_hit_back_and_never_goes_below_zero(
    limiter: InMemoryRateLimiter,
) -> None:
    await limiter.forgive("k")  # nothing to take back
    for _ in range(2):
        await limiter.hit("k", limit=2, window_seconds=60)
    await limiter.forgive("k")
    await limiter.forgive("k")
    await limiter.forgive("k")

    assert [await limiter.hit("k", limit=2, window_seconds=60) for _ in range(3)] == [
        None,
        None,
        60,
    ]
