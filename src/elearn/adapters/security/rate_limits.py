"""Fixed-window attempt counters: in process memory (one process) or in Redis (shared by every
API process behind the load balancer)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only for the types: the client is made (and redis imported) where Redis is configured.
    from redis.asyncio import Redis


def _check(limit: int, window_seconds: int) -> None:
    if limit < 0:
        raise ValueError("limit must not be negative")
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")


def _retry_after(seconds_left: float) -> int:
    # Retry-After is whole seconds; rounding down would invite a retry that is refused again.
    return max(1, math.ceil(seconds_left))


@dataclass(slots=True)
class _Window:
    ends_at: float
    count: int


class InMemoryRateLimiter:
    """For the embedded, single-process runtime. Memory stays bounded by the keys active in
    their windows: expired windows are swept whenever the number of keys held has doubled
    since the last sweep (amortised constant work per hit), so at most about twice the live
    keys are ever held."""

    _MIN_SWEEP_SIZE = 1024

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._sweep_at = self._MIN_SWEEP_SIZE

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        _check(limit, window_seconds)
        now = self._clock()
        self._maybe_sweep(now)
        window = self._windows.get(key)
        if window is None or now >= window.ends_at:
            window = self._windows[key] = _Window(ends_at=now + window_seconds, count=0)
        window.count += 1
        if window.count > limit:
            return _retry_after(window.ends_at - now)
        return None

    async def over_limit(self, key: str, *, limit: int) -> int | None:
        now = self._clock()
        window = self._windows.get(key)
        if window is None or now >= window.ends_at or window.count < limit:
            return None
        return _retry_after(window.ends_at - now)

    async def forgive(self, key: str) -> None:
        window = self._windows.get(key)
        if window is not None and window.count > 0:
            window.count -= 1

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    def __len__(self) -> int:
        """Keys held (live or not yet swept)."""
        return len(self._windows)

    def _maybe_sweep(self, now: float) -> None:
        if len(self._windows) < self._sweep_at:
            return
        self._windows = {key: w for key, w in self._windows.items() if now < w.ends_at}
        self._sweep_at = max(self._MIN_SWEEP_SIZE, 2 * len(self._windows))


# One round trip, run atomically by Redis, so concurrent API processes share one count. The
# expiry is set whenever the key has none (the first hit of a window) rather than only when the
# count is 1, so a key can never be left without an expiry and lock someone out for good.
_HIT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
if count > tonumber(ARGV[2]) then
  return left
end
return -1
"""


# The window's count and the milliseconds it has left, read together.
_PEEK = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count < tonumber(ARGV[1]) then
  return -1
end
return redis.call('PTTL', KEYS[1])
"""
# One hit taken back, never below zero and never leaving a key without its expiry.
_FORGIVE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then
  redis.call('DECR', KEYS[1])
end
return count
"""


class RedisRateLimiter:
    def __init__(self, client: Redis, *, prefix: str = "elearn:rl:") -> None:
        self._client = client
        self._prefix = prefix
        self._hit = client.register_script(_HIT)
        self._peek = client.register_script(_PEEK)
        self._forgive = client.register_script(_FORGIVE)

    async def over_limit(self, key: str, *, limit: int) -> int | None:
        _check(limit, 1)
        left_ms = int(await self._peek(keys=[self._prefix + key], args=[limit]))
        if left_ms < 0:  # under the limit, or (-2) the window just ended
            return None
        return _retry_after(left_ms / 1000)

    async def forgive(self, key: str) -> None:
        await self._forgive(keys=[self._prefix + key])

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        _check(limit, window_seconds)
        left_ms = int(
            await self._hit(keys=[self._prefix + key], args=[window_seconds * 1000, limit])
        )
        if left_ms < 0:
            return None
        return _retry_after(left_ms / 1000)

    async def reset(self, key: str) -> None:
        await self._client.delete(self._prefix + key)
