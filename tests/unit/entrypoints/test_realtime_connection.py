"""A socket that resumes gets each missed event exactly once, even an event published after it
subscribed and before its replay ran (it is then both in the history and in the live stream)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from elearn.adapters.realtime.local import LocalRealtimeHub
from elearn.application.actor import Actor
from elearn.application.realtime_tickets import RealtimePolicy
from elearn.domain.identity.roles import Role
from elearn.entrypoints.http.realtime.socket import Connection


class FakeSocket:
    """What the connection uses of a Litestar WebSocket: frames sent, client messages queued."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send_data(self, data: str, mode: str = "text") -> None:
        self.sent.append(json.loads(data))

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    def client_sends(self, message: dict[str, Any]) -> None:
        self.incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    def client_leaves(self) -> None:
        self.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})


async def until(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_events_both_replayed_and_live_are_sent_once_in_order() -> None:
    hub = LocalRealtimeHub()
    await hub.start()
    person = uuid.uuid4()
    actor = Actor(user_id=person, role=Role.STUDENT)
    socket = FakeSocket()
    try:
        await hub.publish([person], "tick", {"n": 0})
        (seen,) = (await hub.missed(person, "0-0")).frames
        async with hub.live(person) as subscriber:
            # Published after the socket subscribed: in its live stream and in the history.
            await hub.publish([person], "tick", {"n": 1})
            await hub.publish([person], "tick", {"n": 2})
            connection = Connection(socket, actor, hub, {}, RealtimePolicy())  # type: ignore[arg-type]
            running = asyncio.create_task(connection.run(subscriber))
            socket.client_sends({"resume_from": json.loads(seen)["id"]})
            await until(lambda: any(f["type"] == "resumed" for f in socket.sent))
            await hub.publish([person], "tick", {"n": 3})
            await until(lambda: any(f.get("data") == {"n": 3} for f in socket.sent))
            await asyncio.sleep(0.05)
            socket.client_leaves()
            assert await running is None
    finally:
        await hub.stop()
    kinds = [(f["type"], f.get("data")) for f in socket.sent]
    assert kinds == [
        ("welcome", None),
        ("tick", {"n": 1}),
        ("tick", {"n": 2}),
        ("resumed", None),
        ("tick", {"n": 3}),
    ]


async def test_a_socket_closes_when_its_own_sign_in_ends_and_not_for_another() -> None:
    hub = LocalRealtimeHub()
    await hub.start()
    person, session = uuid.uuid4(), uuid.uuid4()
    actor = Actor(user_id=person, role=Role.STUDENT, session_id=session)
    socket = FakeSocket()
    try:
        async with hub.live(person) as subscriber:
            connection = Connection(socket, actor, hub, {}, RealtimePolicy())  # type: ignore[arg-type]
            running = asyncio.create_task(connection.run(subscriber))
            socket.client_sends({"type": "ping"})
            await until(lambda: any(f["type"] == "pong" for f in socket.sent))
            await hub.end_session(person, uuid.uuid4())  # another sign-in of theirs
            await hub.publish([person], "tick", {"n": 1})
            await until(lambda: any(f.get("data") == {"n": 1} for f in socket.sent))
            assert not running.done()
            await hub.end_session(person, session)
            assert await asyncio.wait_for(running, 2) == 4401
    finally:
        await hub.stop()
    # The control frame itself never reaches the client, nor the history.
    assert [f["type"] for f in socket.sent] == ["welcome", "pong", "tick"]
    assert len((await hub.missed(person, "0-0")).frames) == 1
