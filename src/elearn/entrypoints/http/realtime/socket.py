"""``WS /api/v1/realtime?ticket=``: one socket per client for everything live.

The protocol (frames, close codes, resume, limits) is described in ``docs/realtime.md``; this
module is its one implementation. A connection goes through: the ticket redeemed (the person and
a sign-in still open), a place among the person's sockets, the person's live stream subscribed
(and the sign-in confirmed still open, now that its end would reach the socket), a welcome
frame; then, until either side closes: live events (after a replay of what was missed when the
first client message asks for one), heartbeats, and answers to client messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from elearn.adapters.realtime.hub import (
    CONTROL_PREFIX,
    BoundedSubscriber,
    InvalidEventId,
    SocketHub,
)
from elearn.application.actor import Actor
from elearn.application.errors import ApplicationError, NotAuthenticated
from elearn.application.realtime import SocketMessageHandler
from elearn.application.realtime_tickets import RealtimePolicy
from elearn.domain.shared.errors import DomainError
from elearn.entrypoints.http.auth import client_ip
from elearn.entrypoints.live import LiveUseCases

logger = logging.getLogger(__name__)

# Close codes (docs/realtime.md). 1000-range ones are the protocol's; 4000-range are ours.
GOING_AWAY = 1001
UNAVAILABLE = 1011
REFUSED_TICKET = 4401
TOO_MANY_SOCKETS = 4429
TOO_SLOW = 4408

# A client message larger than this is not read (no client message needs more).
MAX_CLIENT_MESSAGE_BYTES = 8 * 1024
# Until the first client message (which may ask to resume), live events wait at most this long.
FIRST_MESSAGE_WAIT_SECONDS = 1.0
# A close handshake with a client that reads nothing must not hold the handler.
CLOSE_TIMEOUT_SECONDS = 2.0

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _frame(kind: str, **fields: object) -> bytes:
    return _encode({"type": kind, **fields})


def _error(code: str, detail: str, ref: object = None) -> bytes:
    body: dict[str, object] = {"code": code, "detail": detail}
    if ref is not None:
        body["ref"] = ref
    return _frame("error", **body)


def _event_order(frame: bytes) -> tuple[int, ...]:
    """The order of a frame's event id (``"17"`` or ``"1700000000000-3"``): frames start with
    ``{"id":"<id>"``, written by the hubs."""
    end = frame.index(b'"', 7)
    return tuple(int(part) for part in frame[7:end].split(b"-"))


@dataclass
class _Window:
    """Client messages allowed a minute, counted in a fixed window."""

    limit: int
    started: float = field(default_factory=time.monotonic)
    count: int = 0

    def admit(self) -> bool:
        now = time.monotonic()
        if now - self.started >= 60:
            self.started, self.count = now, 0
        self.count += 1
        return self.count <= self.limit


class Connection:
    """One open socket of one person."""

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        actor: Actor,
        hub: SocketHub,
        handlers: Mapping[str, SocketMessageHandler],
        policy: RealtimePolicy,
    ) -> None:
        self.socket = socket
        self.actor = actor
        self.person = actor.user_id
        self.hub = hub
        self.handlers = handlers
        self.policy = policy
        self.id = uuid.uuid4().hex
        self._send_lock = asyncio.Lock()
        self._live = asyncio.Event()
        self._session_ended = asyncio.Event()
        self._first_message_seen = False
        self._replayed_up_to: tuple[int, ...] | None = None
        self._window = _Window(policy.client_messages_per_minute)

    async def send(self, frame: bytes) -> None:
        async with self._send_lock:
            await self.socket.send_data(frame.decode(), mode="text")

    async def run(self, subscriber: BoundedSubscriber) -> int | None:
        """Serves the socket until it ends; the close code to send, or None when the client
        left first."""
        await self.send(
            _frame(
                "welcome",
                socket_id=self.id,
                heartbeat_seconds=self.policy.heartbeat_seconds,
            )
        )
        tasks = started = {
            asyncio.create_task(self._receive(), name="receive"),
            asyncio.create_task(self._forward(subscriber), name="forward"),
            asyncio.create_task(self._heartbeat(), name="heartbeat"),
            asyncio.create_task(subscriber.overflowed.wait(), name="overflow"),
            asyncio.create_task(self._session_ended.wait(), name="session-ended"),
            asyncio.create_task(self._go_live_soon(), name="first-message-wait"),
        }
        try:
            while True:
                done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                ended = [task for task in done if task.get_name() != "first-message-wait"]
                if ended:
                    break
            # Of tasks that ended together, the cause: a slow client, else the client leaving.
            order = {"session-ended": 0, "overflow": 1, "receive": 2}
            task = min(ended, key=lambda t: order.get(t.get_name(), 3))
            name = task.get_name()
            if name == "session-ended":
                return REFUSED_TICKET
            if name == "overflow":
                return TOO_SLOW
            if name == "receive":
                task.result()  # a client that left: nothing more to send
                return None
            error = task.exception()
            if error is not None and not isinstance(error, WebSocketDisconnect):
                logger.warning("realtime socket ended: %r", error)
                return UNAVAILABLE
            # The live stream ended: this process is stopping.
            return GOING_AWAY if error is None else None
        finally:
            # Every task awaited, those that ended together with the first too (a heartbeat
            # failing as the client leaves): none is left with an error nobody read.
            for task in started:
                task.cancel()
            for task in started:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _go_live_soon(self) -> None:
        await asyncio.sleep(FIRST_MESSAGE_WAIT_SECONDS)
        # A first message being answered (a resume replaying) sets it when done.
        if not self._first_message_seen:
            self._live.set()

    async def _forward(self, subscriber: BoundedSubscriber) -> None:
        await self._live.wait()
        async for frame in subscriber.iter_events():
            if frame.startswith(CONTROL_PREFIX):
                self._obey(frame)
                continue
            if self._replayed_up_to is not None and _event_order(frame) <= self._replayed_up_to:
                continue  # already sent by the replay
            await self.send(frame)

    def _obey(self, frame: bytes) -> None:
        """A frame for the sockets themselves (``hub.session_ended_frame``): a sign-in that
        ended closes its sockets, this one when it is of that sign-in."""
        control = _decode(frame)
        session = self.actor.session_id
        if (
            control.get("control") == "session-ended"
            and session is not None
            and control.get("session") == session.hex
        ):
            self._session_ended.set()

    async def _heartbeat(self) -> None:
        interval = self.policy.heartbeat_seconds
        assert self.person is not None
        while True:
            await asyncio.sleep(interval)
            await self.send(_frame("heartbeat"))
            await self.hub.renew(self.person, self.id, ttl_seconds=self.policy.presence_seconds)

    async def _receive(self) -> None:
        while True:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw: str | bytes = message.get("text") or message.get("bytes") or b""  # type: ignore[assignment]
            await self._answer(raw)

    async def _answer(self, raw: str | bytes) -> None:
        first = not self._first_message_seen
        self._first_message_seen = True
        try:
            if len(raw) > MAX_CLIENT_MESSAGE_BYTES:
                await self.send(_error("message-too-large", "a client message is at most 8 KiB"))
                return
            if not self._window.admit():
                await self.send(_error("rate-limited", "too many messages; slow down"))
                return
            try:
                message = _decode(raw)
            except msgspec.DecodeError:
                await self.send(_error("invalid-message", "a client message is a JSON object"))
                return
            if not isinstance(message, dict):
                await self.send(_error("invalid-message", "a client message is a JSON object"))
                return
            if "resume_from" in message:
                await self._resume(message, first=first)
                return
            await self._dispatch(message)
        finally:
            self._live.set()

    async def _resume(self, message: dict[str, Any], *, first: bool) -> None:
        after = message["resume_from"]
        if not first:
            await self.send(
                _error("resume-too-late", "resume_from is only read as the first message")
            )
            return
        if not isinstance(after, str):
            await self.send(_error("invalid-resume-id", "resume_from is an event id (a string)"))
            return
        assert self.person is not None
        try:
            replay = await self.hub.missed(self.person, after)
        except InvalidEventId:
            await self.send(_error("invalid-resume-id", "no event was ever sent with this id"))
            return
        for frame in replay.frames:
            await self.send(frame)
        if replay.frames:
            self._replayed_up_to = _event_order(replay.frames[-1])
        await self.send(_frame("resumed", replayed=len(replay.frames), complete=replay.complete))

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        ref = message.get("ref")
        if kind == "ping":
            await self.send(_frame("pong", **({"ref": ref} if ref is not None else {})))
            return
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send(_error("unknown-message-type", f"no message type {kind!r}", ref))
            return
        try:
            reply = await handler(self.actor, message)
        except (ApplicationError, DomainError) as error:
            await self.send(_error(error.code, error.message, ref))
            return
        except (ValueError, KeyError, TypeError) as error:
            await self.send(_error("invalid-message", f"the message cannot be read: {error}", ref))
            return
        if reply is not None:
            await self.send(_encode({**reply, **({"ref": ref} if ref is not None else {})}))


async def close(socket: WebSocket[Any, Any, Any], code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(code=code, reason=reason), CLOSE_TIMEOUT_SECONDS)


async def serve(socket: WebSocket[Any, Any, Any], live: LiveUseCases) -> None:
    """Everything a socket goes through, from the handshake to the close."""
    state = socket.app.state
    container = state.container
    policy = live.deps.policy
    hub = container.realtime
    await socket.accept()
    if not isinstance(hub, SocketHub):
        await close(socket, UNAVAILABLE, "live delivery is not served by this process")
        return
    try:
        actor = await live.redeem_ticket(
            socket.query_params.get("ticket", ""),
            ip=client_ip(socket, state.trusted_proxies),
            user_agent=socket.headers.get("user-agent"),
        )
    except NotAuthenticated as refused:
        await close(socket, REFUSED_TICKET, refused.code)
        return
    assert actor.user_id is not None
    connection = Connection(socket, actor, hub, container.socket_messages, policy)
    limit = policy.sockets_per_person
    if not await hub.join(
        actor.user_id, connection.id, limit=limit, ttl_seconds=policy.presence_seconds
    ):
        await close(socket, TOO_MANY_SOCKETS, "too-many-sockets")
        return
    code: int | None = None
    try:
        async with hub.live(actor.user_id) as subscriber:
            try:
                # Its sign-in may have ended since the ticket was redeemed, the end told to its
                # sockets before this one listened: asked again now that it listens.
                await live.confirm_session(actor)
            except NotAuthenticated:
                code = REFUSED_TICKET
            else:
                code = await connection.run(subscriber)
    finally:
        await hub.leave(actor.user_id, connection.id)
    if code is not None:
        reason = {
            TOO_SLOW: "too-slow",
            GOING_AWAY: "going-away",
            REFUSED_TICKET: "invalid-token",  # its sign-in ended while it was open
        }.get(code, "server-error")
        await close(socket, code, reason)
