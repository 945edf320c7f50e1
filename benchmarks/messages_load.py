"""Messages per second between 500 pairs through the API, and the time from sending to the
message reaching the other person through the realtime port.

The run measures send → stored (HTTP 201) → through the outbox → published by the
conversations' handler to the ``RealtimePublisher``, where a subscriber per recipient (the
in-process ``LocalRealtimeHub``, what a socket reads) takes the ``message.created`` event. The
last hop, hub to socket to client, is not in it: ``realtime_load.py`` measures that one (its
fan-out latency). The outbox is drained by a loop in this process
(what the relay and workers do) by ``--drainers`` tasks, polling every ``--poll-ms``.

1. bootstraps the app on the database ``--database`` (SQLite file by default; PostgreSQL with
   ``--database postgresql+asyncpg://...``, a database of its own: it drops its public schema
   first) with a pool of at most 8 connections, cheap password hashes and no rate limit worth
   the name;
2. seeds ``--pairs`` pairs: a student and a manager each (staff may message anyone: the
   cheapest who-may-talk answer; a student-tutor pair asks tutoring, learning and catalog one
   to three more reads per message), signs every one in through ``POST /auth/login``, and
   opens each pair's conversation;
3. sends for ``--duration`` seconds from ``--concurrency`` clients over the in-process ASGI
   transport (no socket, no HTTP parsing cost of a real server), each picking a random pair
   and side, and records per message the send latency (request to 201) and the delivery
   latency (request to the recipient's subscriber holding the event).

Reported: messages/s stored, p50/p99 send latency, p50/p99 delivery latency, messages not
delivered by the end. Usage (from the project root):

    .venv/bin/python benchmarks/messages_load.py [--pairs 500] [--duration 20]
        [--concurrency 64] [--database URL] [--poll-ms 5] [--drainers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select, text

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow
from elearn.adapters.realtime.local import LocalRealtimeHub
from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.http.app import create_app
from elearn.entrypoints.settings import Settings

PASSWORD = "benchmark-password-1"


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _seed(container: Container, pairs: int) -> list[tuple[str, str]]:
    identity = container.identity
    emails = []
    for n in range(pairs):
        for role, name in ((Role.STUDENT, "student"), (Role.MANAGER, "manager")):
            email = f"{name}{n}@bench.test"
            await identity.create_account(
                Actor.system(), CreateAccount(email, PASSWORD, f"{name} {n}", role)
            )
        emails.append((f"student{n}@bench.test", f"manager{n}@bench.test"))
    return emails


async def _pending(container: Container) -> int:
    async with container.sessions() as session:
        return len(
            (
                await session.scalars(
                    select(OutboxDeliveryRow.id).where(
                        OutboxDeliveryRow.status == "pending",
                        OutboxDeliveryRow.handler == "conversations.publish_message_posted",
                    )
                )
            ).all()
        )


async def _drain_outbox(
    container: Container, stop: asyncio.Event, poll: float, share: int, shares: int
) -> None:
    """One of ``shares`` workers: the pending deliveries whose id falls in its share."""
    executor = container.deliveries()
    while not stop.is_set():
        async with container.sessions() as session:
            ids = (
                await session.scalars(
                    select(OutboxDeliveryRow.id)
                    .where(
                        OutboxDeliveryRow.status == "pending",
                        OutboxDeliveryRow.handler == "conversations.publish_message_posted",
                    )
                    .limit(500)
                )
            ).all()
        mine = [delivery_id for delivery_id in ids if delivery_id.int % shares == share]
        for delivery_id in mine:
            await executor.deliver(delivery_id)
        if not mine:
            await asyncio.sleep(poll)


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="elearn-bench-messages-"))
    url = args.database or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    if url.startswith("postgresql"):
        from elearn.adapters.persistence.database import create_engine

        engine = create_engine(url, pool_size=1)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade(url, find_migrations_dir())
    settings = Settings(
        env="test",
        var_dir=str(workdir / "var"),
        database_url=url,
        database_pool_size=min(args.concurrency, 8),
        jwt_secret="benchmark-only-jwt-secret-" + "0" * 24,
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        messages_per_minute=10_000,
        log_level="WARNING",
    )
    hub = LocalRealtimeHub(queue_size=100_000)
    container = bootstrap(settings, broker=build_broker(None), overrides={"realtime": hub})
    app = create_app(settings, container=container, configure_logs=False, run_background=False)
    emails = await _seed(container, args.pairs)
    transport = httpx.ASGITransport(app=app)
    sent_at: dict[str, float] = {}
    send_latency: list[float] = []
    delivery_latency: list[float] = []
    async with (
        app.lifespan(),
        httpx.AsyncClient(  # type: ignore[attr-defined]
            transport=transport, base_url="http://bench.local"
        ) as client,
    ):
        tokens: dict[str, dict[str, str]] = {}
        ids: dict[str, UUID] = {}
        for pair in emails:
            for email in pair:
                session = (
                    await client.post(
                        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                    )
                ).json()
                tokens[email] = {"Authorization": f"Bearer {session['access_token']}"}
                me = (await client.get("/api/v1/me", headers=tokens[email])).json()
                ids[email] = UUID(me["id"])
        conversations = []
        for student, manager in emails:
            started = await client.post(
                "/api/v1/conversations",
                json={"participant_id": str(ids[student]), "body": "hello"},
                headers=tokens[manager],
            )
            conversations.append((started.json()["id"], student, manager))

        stop = asyncio.Event()
        drainers = [
            asyncio.create_task(
                _drain_outbox(container, stop, args.poll_ms / 1000, share, args.drainers)
            )
            for share in range(args.drainers)
        ]
        for _ in range(3000):  # the opening messages' deliveries, up to 5 minutes
            if not await _pending(container):
                break
            await asyncio.sleep(0.1)

        async def listen(person: UUID) -> None:
            async with hub.subscribe(person) as queue:
                while True:
                    event = await queue.get()
                    body = event.get("message", {})
                    started = sent_at.pop(str(body.get("body")), None)
                    if started is not None and event["type"] == "message.created":
                        delivery_latency.append(time.perf_counter() - started)

        listeners = [
            asyncio.create_task(listen(ids[email])) for pair in emails for email in pair[:1]
        ]
        deadline = time.perf_counter() + args.duration
        counter = 0

        async def sender() -> None:
            nonlocal counter
            while time.perf_counter() < deadline:
                conversation_id, _, manager = random.choice(conversations)
                counter += 1
                body = f"m{counter}"
                start = time.perf_counter()
                sent_at[body] = start
                answer = await client.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={"body": body},
                    headers=tokens[manager],
                )
                if answer.status_code != 201:
                    raise RuntimeError(answer.text)
                send_latency.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - began
        for _ in range(300):  # the last deliveries, up to 30 seconds
            if not sent_at:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*drainers)
        for listener in listeners:
            listener.cancel()
    await container.dispose()
    count = len(send_latency)
    print(f"pairs {args.pairs}, concurrency {args.concurrency}, database {url.split(':')[0]}")
    print(f"messages stored: {count} in {elapsed:.1f} s = {count / elapsed:.0f}/s")
    print(
        f"send (request to 201): p50 {statistics.median(send_latency) * 1000:.1f} ms, "
        f"p99 {_percentile(send_latency, 0.99) * 1000:.1f} ms"
    )
    print(
        f"delivery (request to the recipient's subscriber): "
        f"p50 {_percentile(delivery_latency, 0.5) * 1000:.1f} ms, "
        f"p99 {_percentile(delivery_latency, 0.99) * 1000:.1f} ms; "
        f"not delivered: {len(sent_at)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--database", default="")
    parser.add_argument("--poll-ms", type=float, default=5)
    parser.add_argument("--drainers", type=int, default=4)
    args: Any = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
