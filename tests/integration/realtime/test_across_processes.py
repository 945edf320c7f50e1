"""Live delivery with Redis across processes, on SQLite and PostgreSQL: two API processes
(uvicorn subprocesses on loopback) share Redis and the database; a socket held by one gets what
another process publishes (the other API process's hub, a separate worker-like process); a
person's sockets count together; a socket that reconnects to the other process resumes with
exactly what it missed.

One pair of API processes per database serves the whole module (starting a pair cost ~6 s of
CPU, most of this module's time when each test started its own); each test signs in people of
its own, so sockets, counts and missed events of one test are never another's."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass

import httpx
import pytest
from redis.asyncio import Redis
from tests.conftest import make_settings
from tests.support.identity import login, seed_accounts
from tests.support.realtime import Socket, api_processes, open_socket, ticket_for

from elearn.adapters.realtime.redis import RedisRealtimeHub
from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings


@pytest.fixture(scope="module")
def settings(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str, redis_url: str
) -> Settings:
    return make_settings(
        tmp_path_factory.mktemp("across-processes"),
        module_database_url,
        redis_url=redis_url,
        realtime_heartbeat_seconds=1.0,
    )


def environment(settings: Settings) -> dict[str, str]:
    names = (
        "env", "var_dir", "database_url", "redis_url", "jwt_secret", "media_signing_key",
        "password_hash_time_cost", "password_hash_memory_kib", "realtime_heartbeat_seconds",
        "log_format", "database_pool_size",
    )  # fmt: skip
    return {f"ELEARN_{name.upper()}": str(getattr(settings, name)) for name in names}


@pytest.fixture(scope="module")
def two_apis(settings: Settings) -> Iterator[tuple[str, str]]:
    with api_processes(environment(settings), count=2) as (first, second):
        yield first, second


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    email: str


@pytest.fixture
async def people(settings: Settings) -> dict[str, Person]:
    """Alice (a student) and Bob (a tutor), this test's own."""
    test = uuid.uuid4().hex[:12]
    alice, bob = f"alice-{test}@processes.test", f"bob-{test}@processes.test"
    ids = await seed_accounts(settings, (alice, Role.STUDENT), (bob, Role.TUTOR))
    return {"alice": Person(ids[0], alice), "bob": Person(ids[1], bob)}


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[RedisRealtimeHub]:
    """This test process as a worker would publish: the same hub, on its own Redis client."""
    client = Redis.from_url(settings.redis_url)
    try:
        yield RedisRealtimeHub(client)
    finally:
        await client.aclose()


async def go_live(socket: Socket) -> None:
    await socket.send({"type": "ping"})
    assert (await socket.frame())["type"] == "pong"


async def test_an_event_from_any_process_reaches_sockets_held_by_either_api_process(
    two_apis: tuple[str, str],
    people: Mapping[str, Person],
    hub: RedisRealtimeHub,
    settings: Settings,
) -> None:
    first, second = two_apis
    alice, bob = people["alice"].id, people["bob"].id
    async with httpx.AsyncClient(base_url=first) as http:
        alice_session = await login(http, people["alice"].email)
        bob_session = await login(http, people["bob"].email)
        alice_ticket = await ticket_for(http, alice_session)
        bob_ticket = await ticket_for(http, bob_session)
    # Tickets bought from the first process open sockets on either.
    async with (
        open_socket(first, alice_ticket) as alices,
        open_socket(second, bob_ticket) as bobs,
    ):
        await go_live(alices)
        await go_live(bobs)
        assert await hub.connected([alice, bob, uuid.uuid4()]) == {alice, bob}

        await hub.publish([alice, bob], "message.created", {"body": "from a worker"})
        for socket in (alices, bobs):
            frame = await socket.frame()
            assert (frame["type"], frame["data"]) == ("message.created", {"body": "from a worker"})

        # A separate process publishing (as `elearn worker` does, bootstrapped from settings).
        await asyncio.to_thread(publish_from_another_process, settings, [bob], "typing")
        assert (await bobs.frame())["type"] == "typing"
        await alices.nothing_within(0.3)
    await asyncio.sleep(0.3)
    assert await hub.connected([alice, bob]) == set()


def publish_from_another_process(settings: Settings, audience: list[uuid.UUID], kind: str) -> None:
    script = (
        "import asyncio, sys, uuid\n"
        "from elearn.entrypoints.bootstrap import bootstrap\n"
        "from elearn.entrypoints.settings import load_settings\n"
        "async def main():\n"
        "    container = bootstrap(load_settings(env_file=None))\n"
        "    people = [uuid.UUID(p) for p in sys.argv[2:]]\n"
        "    await container.realtime.publish(people, sys.argv[1], {})\n"
        "    await container.dispose()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, kind, *map(str, audience)],
        env={**environment(settings), "PATH": ""},
        check=True,
        timeout=60,
    )


async def test_a_person_holds_five_sockets_across_processes_and_the_sixth_is_refused(
    two_apis: tuple[str, str], people: Mapping[str, Person]
) -> None:
    first, second = two_apis
    async with httpx.AsyncClient(base_url=first) as http:
        session = await login(http, people["alice"].email)
        tickets = [await ticket_for(http, session) for _ in range(6)]
    bases = [first, second, first, second, first]
    opened = [open_socket(base, ticket) for base, ticket in zip(bases, tickets, strict=False)]
    for socket in opened:
        await socket.__aenter__()
    try:
        async with open_socket(second, tickets[5], welcome=False) as sixth:
            assert await sixth.closed_with() == (4429, "too-many-sockets")
    finally:
        for socket in opened:
            await socket.__aexit__(None, None, None)


async def test_a_socket_that_reconnects_to_the_other_process_gets_what_it_missed_once(
    two_apis: tuple[str, str], people: Mapping[str, Person], hub: RedisRealtimeHub
) -> None:
    first, second = two_apis
    alice = people["alice"].id
    async with httpx.AsyncClient(base_url=first) as http:
        session = await login(http, people["alice"].email)
        tickets = [await ticket_for(http, session) for _ in range(2)]
    async with open_socket(first, tickets[0]) as before:
        await go_live(before)
        await hub.publish([alice], "notification.created", {"n": 1})
        last_seen = await before.frame()
    for n in (2, 3, 4):
        await hub.publish([alice], "notification.created", {"n": n})
    async with open_socket(second, tickets[1]) as after:
        await after.send({"resume_from": last_seen["id"]})
        replayed = [await after.frame() for _ in range(3)]
        assert [frame["data"]["n"] for frame in replayed] == [2, 3, 4]
        assert await after.frame() == {"type": "resumed", "replayed": 3, "complete": True}
        await hub.publish([alice], "notification.created", {"n": 5})
        assert (await after.frame())["data"] == {"n": 5}
        await after.nothing_within(0.5)
