"""Short-lived, in-process answers: a read that many callers ask at once is loaded once and
kept ``ttl_seconds``.

Used where an answer may be a few seconds old by design (the public catalog, dashboards) and
where one API process serving the same answer to many callers would otherwise repeat the
same statements. ``invalidate`` forgets everything at once, including loads already running
(their answers are returned to their callers but not kept), so a change committed in this
process is read back at once; another process sees it within the TTL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlightCache:
    """With ``serve_stale``, an expired answer is still given while its one reload runs in the
    background (stale-while-revalidate): no caller waits on a reload, and an answer is at most
    the TTL plus one load old. ``invalidate`` leaves nothing stale to give."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        serve_stale: bool = False,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._serve_stale = serve_stale
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._loading: dict[Hashable, asyncio.Future[Any]] = {}
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def invalidate(self) -> None:
        self._entries.clear()
        self._loading.clear()
        self._generation += 1

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self._clock():
            return entry[1]  # type: ignore[no-any-return]
        # One load per key at a time: when an entry expires under load, the callers that find
        # it missing wait for the one load instead of all running it (a stampede).
        loading = self._loading.get(key) or self._start(key, load)
        if entry is not None and self._serve_stale:
            return entry[1]  # type: ignore[no-any-return]
        return await asyncio.shield(loading)

    def _start(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        generation = self._generation
        task = asyncio.ensure_future(load())
        self._loading[key] = task

        def keep(done: asyncio.Future[Any]) -> None:
            # Runs before the callers waiting on the load resume (registered first).
            if self._loading.get(key) is done:
                del self._loading[key]
            if done.cancelled() or done.exception() is not None:
                return  # nothing kept: the next caller loads again
            if generation == self._generation:  # not invalidated while loading
                if len(self._entries) >= self._max_entries:
                    # Simplest bound that cannot grow without limit under distinct keys.
                    self._entries.clear()
                self._entries[key] = (self._clock() + self._ttl, done.result())

        task.add_done_callback(keep)
        return task
