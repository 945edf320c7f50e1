"""The realtime socket over a real WebSocket, served by uvicorn on loopback (the embedded
default's hub, on SQLite and PostgreSQL): a ticket opens one socket once; live events arrive
with their ids; a resume replays what was missed exactly once; the limits hold; client messages
are routed and answered."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.identity import bearer, login, problem, register_student, seed_accounts
from tests.support.realtime import TICKET, Socket, open_socket, served, ticket_for

from elearn.application.actor import Actor
from elearn.application.errors import PermissionDenied
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import UserRegistered
from elearn.domain.shared.events import DomainEvent
from elearn.entrypoints.bootstrap import Container, Subscription, bootstrap
from elearn.entrypoints.module import Module
from elearn.entrypoints.modules import MODULES
from elearn.entrypoints.settings import Settings

ALICE = "alice@realtime.test"
BOB = "bob@realtime.test"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, realtime_heartbeat_seconds=0.3)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[Litestar, str]]:
    app = app_for(settings)
    async with served(app) as base:
        yield app, base


@pytest.fixture
async def http(server: tuple[Litestar, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server[1]) as client:
        yield client


@pytest.fixture
async def people(settings: Settings) -> dict[str, uuid.UUID]:
    alice, bob = await seed_accounts(settings, (ALICE, Role.STUDENT), (BOB, Role.TUTOR))
    return {"alice": alice, "bob": bob}


async def publish(app: Litestar, audience: list[uuid.UUID], kind: str, **data: Any) -> None:
    await app.state.container.realtime.publish(audience, kind, data)


async def go_live(socket: Socket) -> None:
    """Sends a first message, so live delivery starts without waiting."""
    await socket.send({"type": "ping"})
    assert (await socket.frame())["type"] == "pong"


async def test_a_ticket_is_issued_to_a_signed_in_person_only(
    http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    problem(await http.post(TICKET), 401, "not-authenticated")
    session = await login(http, ALICE)
    issued = await http.post(TICKET, headers=bearer(session))
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert set(body) == {"ticket", "expires_at"}
    assert len(body["ticket"]) >= 40


async def test_an_event_published_for_a_person_reaches_each_of_their_sockets_with_its_id(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    app, base = server
    alice_session, bob_session = await login(http, ALICE), await login(http, BOB)
    async with (
        open_socket(base, await ticket_for(http, alice_session)) as phone,
        open_socket(base, await ticket_for(http, alice_session)) as laptop,
        open_socket(base, await ticket_for(http, bob_session)) as bobs,
    ):
        for socket in (phone, laptop, bobs):
            await go_live(socket)
        await publish(app, [people["alice"]], "notification.created", title="Hello")
        for socket in (phone, laptop):
            frame = await socket.frame()
            assert frame["type"] == "notification.created"
            assert frame["data"] == {"title": "Hello"}
            assert isinstance(frame["id"], str)
        await bobs.nothing_within(0.3)
        connected = await app.state.container.realtime.connected(list(people.values()))
        assert connected == {people["alice"], people["bob"]}


async def test_a_ticket_opens_one_socket_once(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    _, base = server
    ticket = await ticket_for(http, await login(http, ALICE))
    async with open_socket(base, ticket):
        pass
    async with open_socket(base, ticket, welcome=False) as again:
        assert await again.closed_with() == (4401, "invalid-realtime-ticket")
    async with open_socket(base, "made-up", welcome=False) as unknown:
        assert await unknown.closed_with() == (4401, "invalid-realtime-ticket")


async def test_a_ticket_of_a_session_ended_since_is_refused(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    _, base = server
    session = await login(http, ALICE)
    ticket = await ticket_for(http, session)
    ended = await http.post(
        "/api/v1/auth/logout",
        json={"refresh_token": session["refresh_token"]},
        headers=bearer(session),
    )
    assert ended.status_code == 204, ended.text
    async with open_socket(base, ticket, welcome=False) as refused:
        assert await refused.closed_with() == (4401, "invalid-token")


async def test_an_open_socket_closes_when_its_sign_in_ends_and_the_others_stay(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    app, base = server
    phone_session, laptop_session = await login(http, ALICE), await login(http, ALICE)
    async with (
        open_socket(base, await ticket_for(http, phone_session)) as phone,
        open_socket(base, await ticket_for(http, laptop_session)) as laptop,
    ):
        for socket in (phone, laptop):
            await go_live(socket)
        ended = await http.post(
            "/api/v1/auth/logout",
            json={"refresh_token": phone_session["refresh_token"]},
            headers=bearer(phone_session),
        )
        assert ended.status_code == 204, ended.text
        # Closed by the outbox handler of the ended session, run by the in-process worker.
        assert await phone.closed_with() == (4401, "invalid-token")
        await publish(app, [people["alice"]], "notification.created", title="Still here")
        assert (await laptop.frame())["data"] == {"title": "Still here"}


async def test_a_sign_in_ending_between_redemption_and_listening_closes_the_socket(
    server: tuple[Litestar, str],
    http: httpx.AsyncClient,
    people: Mapping[str, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window the socket re-checks its sign-in for, forced open: the ticket is redeemed,
    then the sign-in ends and its sockets are told (this one not listening yet), then it
    listens."""
    app, base = server
    hub = app.state.container.realtime
    loop = asyncio.get_running_loop()
    session = await login(http, ALICE)
    ticket = await ticket_for(http, session)
    told = asyncio.Event()
    end_session, live = hub.end_session, hub.live

    async def end_session_then_say_so(person: uuid.UUID, session_id: uuid.UUID) -> None:
        await end_session(person, session_id)
        # Called from the in-process worker's loop: queued on the sockets' loop behind the
        # hub's own telling, so the event is set once the sockets have been told.
        loop.call_soon_threadsafe(told.set)

    @contextlib.asynccontextmanager
    async def sign_out_then_listen(person: uuid.UUID) -> AsyncIterator[Any]:
        ended = await http.post(
            "/api/v1/auth/logout",
            json={"refresh_token": session["refresh_token"]},
            headers=bearer(session),
        )
        assert ended.status_code == 204, ended.text
        await told.wait()
        async with live(person) as subscriber:
            yield subscriber

    monkeypatch.setattr(hub, "end_session", end_session_then_say_so)
    monkeypatch.setattr(hub, "live", sign_out_then_listen)
    async with open_socket(base, ticket, welcome=False) as socket:
        assert await socket.closed_with() == (4401, "invalid-token")
    assert told.is_set()


async def test_a_sixth_socket_of_one_person_is_refused_and_a_place_frees_when_one_closes(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    _, base = server
    session = await login(http, ALICE)
    tickets = [await ticket_for(http, session) for _ in range(7)]
    sockets = [open_socket(base, ticket) for ticket in tickets[:5]]
    opened = [await socket.__aenter__() for socket in sockets]
    try:
        async with open_socket(base, tickets[5], welcome=False) as sixth:
            assert await sixth.closed_with() == (4429, "too-many-sockets")
        await sockets[0].__aexit__(None, None, None)
        await asyncio.sleep(0.2)  # the server sees the close
        async with open_socket(base, tickets[6]) as another:
            await go_live(another)
    finally:
        for socket in sockets[1:]:
            await socket.__aexit__(None, None, None)
    assert len(opened) == 5


async def test_resuming_replays_exactly_what_was_missed_then_goes_on_live(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    app, base = server
    alice = people["alice"]
    session = await login(http, ALICE)
    async with open_socket(base, await ticket_for(http, session)) as first:
        await go_live(first)
        await publish(app, [alice], "message.created", n=1)
        seen = await first.frame()
        assert seen["data"] == {"n": 1}
    for n in (2, 3):  # published while no socket is open
        await publish(app, [alice], "message.created", n=n)
    async with open_socket(base, await ticket_for(http, session)) as second:
        await second.send({"resume_from": seen["id"]})
        replayed = [await second.frame(), await second.frame()]
        assert [f["data"]["n"] for f in replayed] == [2, 3]
        assert await second.frame() == {"type": "resumed", "replayed": 2, "complete": True}
        await publish(app, [alice], "message.created", n=4)
        assert (await second.frame())["data"] == {"n": 4}
        await second.nothing_within(0.3)
        await second.send({"resume_from": seen["id"]})
        assert (await second.frame())["code"] == "resume-too-late"


async def test_a_resume_id_never_given_is_answered_with_an_error_frame(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    _, base = server
    session = await login(http, ALICE)
    for bad in ("999999999", "not-an-id", 12):
        async with open_socket(base, await ticket_for(http, session)) as socket:
            await socket.send({"resume_from": bad})
            frame = await socket.frame()
            assert frame["type"] == "error"
            assert frame["code"] == "invalid-resume-id"


async def test_client_messages_are_answered_and_bad_ones_get_error_frames(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    _, base = server
    async with open_socket(base, await ticket_for(http, await login(http, ALICE))) as socket:
        await socket.send({"type": "ping", "ref": 7})
        assert await socket.frame() == {"type": "pong", "ref": 7}
        await socket.send({"type": "no-such-thing", "ref": "a"})
        frame = await socket.frame()
        assert (frame["type"], frame["code"], frame["ref"]) == (
            "error",
            "unknown-message-type",
            "a",
        )
        await socket.connection.send("not json")
        assert (await socket.frame())["code"] == "invalid-message"
        await socket.connection.send("[1, 2]")
        assert (await socket.frame())["code"] == "invalid-message"
        await socket.connection.send("x" * 9000)
        assert (await socket.frame())["code"] == "message-too-large"
        # Still open and answering.
        await socket.send({"type": "ping"})
        assert (await socket.frame())["type"] == "pong"


async def test_heartbeats_arrive_at_the_configured_interval(
    server: tuple[Litestar, str], http: httpx.AsyncClient, people: Mapping[str, uuid.UUID]
) -> None:
    _, base = server
    async with open_socket(base, await ticket_for(http, await login(http, ALICE))) as socket:
        assert (await socket.frame(heartbeats=True, timeout=2))["type"] == "heartbeat"
        assert (await socket.frame(heartbeats=True, timeout=2))["type"] == "heartbeat"


async def echo(actor: Actor, message: Mapping[str, object]) -> Mapping[str, object]:
    text = message["text"]
    if not isinstance(text, str):
        raise TypeError("text is a string")
    if text == "forbidden":
        raise PermissionDenied("not this one")
    return {"type": "echoed", "by": str(actor.user_id), "text": text}


ECHO = Module(name="echo", use_cases=lambda c, o: None, socket_messages=lambda c: {"echo": echo})


async def test_a_client_message_reaches_the_handler_a_module_registered_with_the_caller(
    settings: Settings, people: Mapping[str, uuid.UUID]
) -> None:
    container = bootstrap(settings, modules=(*MODULES, ECHO))
    try:
        async with (
            served(app_for(settings, container=container)) as base,
            httpx.AsyncClient(base_url=base) as http,
            open_socket(base, await ticket_for(http, await login(http, ALICE))) as socket,
        ):
            await socket.send({"type": "echo", "text": "hi", "ref": 1})
            assert await socket.frame() == {
                "type": "echoed",
                "by": str(people["alice"]),
                "text": "hi",
                "ref": 1,
            }
            await socket.send({"type": "echo", "text": "forbidden", "ref": 2})
            assert await socket.frame() == {
                "type": "error",
                "code": "permission-denied",
                "detail": "not this one",
                "ref": 2,
            }
            for unreadable in ({"type": "echo"}, {"type": "echo", "text": 5}):
                await socket.send(unreadable)
                frame = await socket.frame()
                assert (frame["type"], frame["code"]) == ("error", "invalid-message")
    finally:
        await container.dispose()


def test_two_modules_may_not_register_one_socket_message_type(settings: Settings) -> None:
    twin = Module(
        name="twin", use_cases=lambda c, o: None, socket_messages=lambda c: {"echo": echo}
    )
    with pytest.raises(ValueError, match="socket message 'echo'"):
        bootstrap(settings, modules=(*MODULES, ECHO, twin))


# Who the handler below tells, set by the test that registers it.
_WATCHERS: list[uuid.UUID] = []


def _tell_watchers(c: Container) -> Callable[[DomainEvent], Awaitable[None]]:
    async def handler(event: DomainEvent) -> None:
        assert isinstance(event, UserRegistered)
        await c.realtime.publish(_WATCHERS, "notification.created", {"email": event.email})

    return handler


WATCH = Module(
    name="watch",
    use_cases=lambda c, o: None,
    subscriptions=lambda c: {
        "watch.tell_watchers": Subscription(UserRegistered.event_type, _tell_watchers(c))
    },
)


async def test_an_outbox_handler_run_by_the_in_process_worker_reaches_the_apis_sockets(
    settings: Settings, people: Mapping[str, uuid.UUID]
) -> None:
    _WATCHERS[:] = [people["alice"]]
    container = bootstrap(settings, modules=(*MODULES, WATCH))
    try:
        async with (
            served(app_for(settings, container=container)) as base,
            httpx.AsyncClient(base_url=base) as http,
            open_socket(base, await ticket_for(http, await login(http, ALICE))) as socket,
        ):
            await go_live(socket)
            await register_student(http, "newcomer@realtime.test")
            frame = await socket.frame(timeout=20)
            assert (frame["type"], frame["data"]) == (
                "notification.created",
                {"email": "newcomer@realtime.test"},
            )
    finally:
        await container.dispose()


async def test_a_new_message_and_typing_reach_the_other_persons_socket_live(
    server: tuple[Litestar, str], http: httpx.AsyncClient, settings: Settings,
    people: Mapping[str, uuid.UUID],
) -> None:  # fmt: skip
    _, base = server
    (manager,) = await seed_accounts(settings, ("manager@realtime.test", Role.MANAGER))
    manager_session = await login(http, "manager@realtime.test")
    async with (
        open_socket(base, await ticket_for(http, manager_session)) as managers,
        open_socket(base, await ticket_for(http, await login(http, ALICE))) as alices,
    ):
        for socket in (managers, alices):
            await go_live(socket)
        started = await http.post(
            "/api/v1/conversations",
            json={"participant_id": str(people["alice"]), "body": "Hello"},
            headers=bearer(manager_session),
        )
        assert started.status_code == 201, started.text
        conversation = started.json()["id"]
        # Delivered by the outbox handler, run by the app's in-process worker.
        created = await alices.frame(timeout=20)
        assert created["type"] == "message.created"
        await managers.send({"type": "typing", "conversation_id": conversation})
        typing = await alices.frame()
        assert typing["type"] == "typing"
        await managers.send({"type": "typing", "conversation_id": "not-an-id", "ref": 1})
        refused = await managers.frame()
        while refused["type"] != "error":  # the sender's own copy of the message comes first
            refused = await managers.frame()
        assert (refused["type"], refused["code"], refused["ref"]) == ("error", "invalid-message", 1)
    assert isinstance(manager, uuid.UUID)
