"""What the realtime socket needs of a hub, beside the publisher port: the person's live stream
(a Litestar channels subscriber), the events it missed, and its place among the person's
sockets. Both hubs (in process memory, and Redis for several processes) give it.

An event travels as one JSON frame, ``{"id": ..., "type": ..., "data": {...}}``: encoded once
per publish, the id put in front for each person (ids are per person, in publishing order).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.subscriber import BacklogStrategy, Subscriber

from elearn.application.realtime import LiveSessions, RealtimePublisher

__all__ = [
    "CONTROL_PREFIX",
    "BoundedSubscriber",
    "InvalidEventId",
    "Replay",
    "SocketHub",
    "channel_of",
    "channels_plugin",
    "distinct",
    "event_tail",
    "frame_of",
    "live_subscription",
    "session_ended_frame",
]

_encode = msgspec.json.Encoder().encode


def channel_of(person: UUID) -> str:
    return f"elearn:rt:person:{person.hex}"


def event_tail(event_type: str, payload: Mapping[str, object]) -> bytes:
    """Everything of a frame after its id: the same for every person it goes to."""
    return b',"type":' + _encode(event_type) + b',"data":' + _encode(dict(payload)) + b"}"


def frame_of(event_id: str, tail: bytes) -> bytes:
    return b'{"id":"' + event_id.encode() + b'"' + tail


# A frame on a person's channel for their sockets themselves, never sent to the client nor kept
# in the history: it starts with this (event frames start with ``{"id":``).
CONTROL_PREFIX = b'{"control":'


def session_ended_frame(session_id: UUID) -> bytes:
    """Tells the person's sockets of that sign-in to close."""
    return CONTROL_PREFIX + b'"session-ended","session":"' + session_id.hex.encode() + b'"}'


@dataclass(frozen=True, slots=True)
class Replay:
    """What a person missed after an event id, oldest first; ``complete`` is false when the
    history no longer reaches back that far (older events were trimmed): the client then
    reloads what it shows from the REST routes."""

    frames: list[bytes]
    complete: bool


class InvalidEventId(ValueError):
    """A resume id this hub never gave out."""


class BoundedSubscriber(Subscriber):
    """A socket's stream with a bounded backlog. When a client reads too slowly for the backlog
    to drain, the socket is closed rather than events silently dropped or memory grown:
    ``overflowed`` is set and the socket sees it."""

    def __init__(
        self,
        plugin: ChannelsPlugin,
        max_backlog: int | None = None,
        backlog_strategy: BacklogStrategy = "backoff",
    ) -> None:
        super().__init__(plugin, max_backlog=max_backlog, backlog_strategy=backlog_strategy)
        self.overflowed = asyncio.Event()

    def put_nowait(self, item: bytes | None) -> bool:
        accepted = super().put_nowait(item)
        if not accepted:
            self.overflowed.set()
        return accepted

    async def put(self, item: bytes | None) -> None:
        if item is None:
            # Stopping (the plugin puts None when the socket unsubscribes): what was not sent
            # will not be, and a full backlog must not hold the unsubscription back.
            while not self._queue.empty():
                self._queue.get_nowait()
                self._queue.task_done()
        await super().put(item)


@runtime_checkable
class SocketHub(RealtimePublisher, LiveSessions, Protocol):
    """The socket side of a hub."""

    async def start(self) -> None:
        """Starts live delivery in this process's event loop (the API's lifespan)."""
        ...

    async def stop(self) -> None: ...

    def live(self, person: UUID) -> AbstractAsyncContextManager[BoundedSubscriber]:
        """The person's live frames from now on, while the context lasts."""
        ...

    async def missed(self, person: UUID, after: str) -> Replay:
        """The person's events after ``after`` (raises `InvalidEventId` for an id never given)."""
        ...

    async def join(self, person: UUID, socket_id: str, *, limit: int, ttl_seconds: float) -> bool:
        """Counts the socket among the person's, unless they hold ``limit`` already (False).
        It stays counted for ``ttl_seconds`` unless renewed (a process that dies does not keep
        its sockets counted)."""
        ...

    async def renew(self, person: UUID, socket_id: str, *, ttl_seconds: float) -> None: ...

    async def leave(self, person: UUID, socket_id: str) -> None: ...


@asynccontextmanager
async def live_subscription(
    plugin: ChannelsPlugin, person: UUID
) -> AsyncIterator[BoundedSubscriber]:
    """The person's channel, subscribed while the context lasts."""
    channel = channel_of(person)
    subscriber = await plugin.subscribe(channel)
    assert isinstance(subscriber, BoundedSubscriber)  # the hubs' plugins are built with it
    try:
        yield subscriber
    finally:
        await plugin.unsubscribe(subscriber, channel)


def channels_plugin(backend: ChannelsBackend, *, backlog: int) -> ChannelsPlugin:
    """Litestar channels as the hubs use them: one channel per person, made on first use; each
    socket's subscriber holds at most ``backlog`` frames not yet sent."""
    return ChannelsPlugin(
        backend,
        arbitrary_channels_allowed=True,
        subscriber_class=BoundedSubscriber,
        subscriber_max_backlog=backlog,
        subscriber_backlog_strategy="backoff",
    )


def distinct(audience: Collection[UUID]) -> list[UUID]:
    """One copy per person, whatever the caller passed, in the caller's order."""
    return list(dict.fromkeys(audience))
