"""Live delivery inside one process: the embedded default, where the API is one process (its
Dramatiq worker runs in threads of that process, with event loops of their own)."""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from uuid import UUID

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from elearn.adapters.realtime.hub import (
    BoundedSubscriber,
    InvalidEventId,
    Replay,
    SocketHub,
    channel_of,
    channels_plugin,
    distinct,
    event_tail,
    frame_of,
    live_subscription,
    session_ended_frame,
)

__all__ = ["LocalRealtimeHub"]

_EVENT_ID = re.compile(r"([0-9]{1,15})-([0-9]{1,18})")


class LocalRealtimeHub(SocketHub):
    """Numbers each event (``<start>-<n>``: when the hub started, in ms, and one counter for the
    process, so ids grow in publishing order and survive no restart unnoticed), keeps
    the last ``history`` of each person's events, none older than ``history_seconds``, for a
    socket that resumes (and at most ``history_people`` people's, the least recently told
    forgotten first, so a long-running process holds a bounded history), and fans events out
    through Litestar channels on the in-memory backend to the sockets, and to in-process
    subscribers (``subscribe``). A subscriber that does not keep up loses events beyond
    ``queue_size`` rather than growing memory without bound. Of two publishes under one
    ``once`` key, the second is dropped; the keys waiting for their second publish are kept
    for the history's age, at most ``once_keys`` of them.

    Publishing from another thread's event loop (the in-process worker's) is handed to the loop
    the sockets live on, so numbering and delivery stay on one loop."""

    def __init__(
        self,
        *,
        history: int = 100,
        history_seconds: float = 86_400,
        history_people: int = 100_000,
        once_keys: int = 100_000,
        backlog: int = 256,
        queue_size: int = 256,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._history_size = history
        self._history_seconds = history_seconds
        self._history_people = history_people
        self._monotonic = monotonic
        self._queue_size = queue_size
        self._plugin: ChannelsPlugin = channels_plugin(MemoryChannelsBackend(), backlog=backlog)
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._epoch = time.time_ns() // 1_000_000
        self._last_id = 0
        # Each person's (id, when kept, frame), oldest first; people least recently told first.
        self._history: OrderedDict[UUID, deque[tuple[int, float, bytes]]] = OrderedDict()
        # The newest id each person's history no longer holds (0: nothing was trimmed).
        self._trimmed: dict[UUID, int] = {}
        # The newest id of any person whose whole history was forgotten: for a person not held,
        # what came before it may be lost (a resume from before it is answered incomplete).
        self._forgotten_up_to = 0
        # The ``once`` keys published under once so far, with when, oldest first.
        self._once: OrderedDict[str, float] = OrderedDict()
        self._once_keys = once_keys
        self._sockets: defaultdict[UUID, set[str]] = defaultdict(set)
        self._subscribers: defaultdict[UUID, set[asyncio.Queue[dict[str, object]]]] = defaultdict(
            set
        )

    # ---- the publisher port -------------------------------------------------------------------
    async def publish(
        self,
        audience: Collection[UUID],
        event_type: str,
        payload: Mapping[str, object],
        *,
        once: str | None = None,
    ) -> None:
        event = {"type": event_type, **payload}
        tail = event_tail(event_type, payload)
        people = distinct(audience)
        home = self._loop
        if home is not None and home is not asyncio.get_running_loop() and not home.is_closed():
            home.call_soon_threadsafe(self._deliver, people, event, tail, once)
        else:
            self._deliver(people, event, tail, once)

    async def published_once(self, once: str) -> bool:
        home = self._loop
        if home is not None and home is not asyncio.get_running_loop() and not home.is_closed():
            # The keys belong to the home loop's thread, as every publish does.
            settled = asyncio.run_coroutine_threadsafe(self._settle_once(once), home)
            return await asyncio.wrap_future(settled)
        return await self._settle_once(once)

    async def _settle_once(self, once: str) -> bool:
        return self._once.pop(once, None) is not None

    async def end_session(self, person: UUID, session_id: UUID) -> None:
        frame = session_ended_frame(session_id)
        home = self._loop
        if home is not None and home is not asyncio.get_running_loop() and not home.is_closed():
            home.call_soon_threadsafe(self._tell_sockets, person, frame)
        else:
            self._tell_sockets(person, frame)

    def _tell_sockets(self, person: UUID, frame: bytes) -> None:
        if self._started:
            self._plugin.publish(frame, channel_of(person))

    async def connected(self, people: Collection[UUID]) -> set[UUID]:
        return {
            person for person in people if person in self._sockets or person in self._subscribers
        }

    def _deliver(
        self, people: list[UUID], event: dict[str, object], tail: bytes, once: str | None
    ) -> None:
        now = self._monotonic()
        if once is not None and not self._first_time(once, now):
            return
        for person in people:
            self._last_id += 1
            frame = frame_of(f"{self._epoch}-{self._last_id}", tail)
            kept = self._history.get(person)
            if kept is None:
                kept = self._history[person] = deque(maxlen=self._history_size)
                if self._forgotten_up_to:
                    # Told before and forgotten since, maybe: not sure, so not complete.
                    self._trimmed[person] = self._forgotten_up_to
            else:
                self._history.move_to_end(person)
                self._expire(person, kept, now)
            if len(kept) == self._history_size:
                self._trimmed[person] = kept[0][0]
            kept.append((self._last_id, now, frame))
            if self._started:
                self._plugin.publish(frame, channel_of(person))
            for queue in self._subscribers.get(person, ()):
                if not queue.full():
                    queue.put_nowait(event)
        self._forget_stale_people(now)

    def _first_time(self, key: str, now: float) -> bool:
        """Whether this is the first publish under ``key``: it is then kept for the second;
        the second is not, and forgets the key."""
        oldest_kept = now - self._history_seconds
        while self._once and next(iter(self._once.values())) < oldest_kept:
            self._once.popitem(last=False)
        if self._once.pop(key, None) is not None:
            return False
        while len(self._once) >= self._once_keys:
            self._once.popitem(last=False)
        self._once[key] = now
        return True

    def _expire(self, person: UUID, kept: deque[tuple[int, float, bytes]], now: float) -> None:
        """Drops the person's events older than the history's age."""
        oldest_kept = now - self._history_seconds
        while kept and kept[0][1] < oldest_kept:
            self._trimmed[person] = kept.popleft()[0]

    def _forget_stale_people(self, now: float) -> None:
        """Forgets, least recently told first, the people whose newest event is past the
        history's age, and beyond ``history_people`` people: their histories are gone, not
        just emptied, so memory follows who was told something lately."""
        oldest_kept = now - self._history_seconds
        while self._history:
            person, kept = next(iter(self._history.items()))
            if kept and kept[-1][1] >= oldest_kept and len(self._history) <= self._history_people:
                return
            self._history.popitem(last=False)
            newest = kept[-1][0] if kept else self._trimmed.get(person, 0)
            self._trimmed.pop(person, None)
            self._forgotten_up_to = max(self._forgotten_up_to, newest)

    # ---- in-process subscribers ---------------------------------------------------------------
    @asynccontextmanager
    async def subscribe(self, person: UUID) -> AsyncIterator[asyncio.Queue[dict[str, object]]]:
        """The person's events as published (``{type, **payload}``), for code in this process
        (tests, tools) rather than a socket."""
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(self._queue_size)
        self._subscribers[person].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[person].discard(queue)
            if not self._subscribers[person]:
                del self._subscribers[person]

    # ---- the socket side ----------------------------------------------------------------------
    async def start(self) -> None:
        if self._started:
            return
        await self._plugin.__aenter__()
        self._loop = asyncio.get_running_loop()
        self._started = True

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self._loop = None
        await self._plugin.__aexit__(None, None, None)

    def live(self, person: UUID) -> AbstractAsyncContextManager[BoundedSubscriber]:
        return live_subscription(self._plugin, person)

    async def missed(self, person: UUID, after: str) -> Replay:
        parsed = _EVENT_ID.fullmatch(after)
        if parsed is None:
            raise InvalidEventId(after)
        epoch, seen = int(parsed[1]), int(parsed[2])
        kept = self._history.get(person)
        if kept is not None:
            self._expire(person, kept, self._monotonic())
        else:
            kept = deque()
        if (epoch, seen) == (0, 0):
            epoch = self._epoch  # "0-0": everything kept, as with Redis
        if epoch < self._epoch:
            # Given before this process started: whatever followed it then is lost.
            return Replay([frame for _, _, frame in kept], complete=False)
        if epoch > self._epoch or seen > self._last_id:
            raise InvalidEventId(after)
        frames = [frame for event_id, _, frame in kept if event_id > seen]
        lost_up_to = self._trimmed.get(person, 0)
        if person not in self._history:
            lost_up_to = self._forgotten_up_to
        return Replay(frames, complete=seen >= lost_up_to)

    async def join(self, person: UUID, socket_id: str, *, limit: int, ttl_seconds: float) -> bool:
        # One process holds every socket: none outlives it, so nothing needs to expire.
        sockets = self._sockets[person]
        if len(sockets) >= limit:
            if not sockets:
                del self._sockets[person]
            return False
        sockets.add(socket_id)
        return True

    async def renew(self, person: UUID, socket_id: str, *, ttl_seconds: float) -> None:
        return None

    async def leave(self, person: UUID, socket_id: str) -> None:
        sockets = self._sockets.get(person)
        if sockets is None:
            return
        sockets.discard(socket_id)
        if not sockets:
            del self._sockets[person]
