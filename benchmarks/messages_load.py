"""Messages per second between 500 pairs through one real API process, and the time from
sending a message to it arriving on the other person's socket (issue 16: at least 1,000/s with
p99 under 100 ms from send to delivery).

1. makes the PostgreSQL database ``--database`` (a database of its own: it drops its public
   schema first) with the project's migrations, seeds ``--pairs`` pairs (a student and a
   manager each: staff may message anyone, the cheapest who-may-talk answer) and signs every
   one in once through the identity use case, in this process (cheap argon2 setting);
2. serves the app with uvicorn, one process, pinned to CPU ``--server-cpu`` (``catalog_load``'s
   ``start_server``: uvloop and httptools, no access log), with a pool of ``--pool-size``
   connections. Without ``--redis-url`` the hub is the in-process one and the outbox's
   handlers run in the API process (the embedded default); with it, the hub is Redis (a
   database of its own: it deletes the keys under ``elearn:rt:`` at the end) and an ``elearn
   worker`` process, pinned to the same CPU, runs the handlers;
3. from this process, pinned to ``--load-cpu``: starts each pair's conversation over HTTP, opens
   one socket per person (``POST /api/v1/realtime/ticket``, then ``WS /api/v1/realtime?ticket=``),
   and sends for ``--duration`` seconds from ``--concurrency`` keep-alive HTTP connections
   (a minimal HTTP/1.1 client on asyncio streams: httpx would cost this side more than the
   server), each picking a random pair and side. A message's delivery latency runs from just
   before its request is written to its ``message.created`` frame arriving on the recipient's
   socket (this machine's clock on both ends).

Reported: messages/s stored (201), p50/p99 send latency (request to 201), p50/p99 delivery
latency, messages not delivered within 30 s of the end, and the CPU used meanwhile by the server,
PostgreSQL and this load process (in CPUs: 1.00 is one core busy; the load process near 1.00
means the client limited the figures). Usage (from the project root):

    .venv/bin/python benchmarks/messages_load.py
        --database postgresql+asyncpg://postgres@127.0.0.1:5432/h_msgs_bench
        [--pairs 500] [--duration 20] [--concurrency 64] [--pool-size 16]
        [--redis-url redis://127.0.0.1:6379/7] [--server-cpu 0] [--load-cpu 1]

Loopback only; stops the server (and worker) by itself. The figures depend on the machine: say
whether it was shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from catalog_load import BIN, CpuMeter, start_server
from realtime_load import _forget_keys as forget_realtime_keys
from sqlalchemy import text
from websockets.asyncio.client import ClientConnection, connect

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.application.identity.sessions import LoginCommand
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

PASSWORD = "benchmark-password-1"
JWT_SECRET = "messages-bench-jwt-secret-not-for-production-0000"
# What the server reads from the .env of its working directory beside what start_server gives
# it; the seed in this process uses the same (its tokens must verify there).
SERVER_ENV_FILE = {
    "ELEARN_JWT_SECRET": JWT_SECRET,
    "ELEARN_JWT_ACCESS_TTL_SECONDS": "86400",
    "ELEARN_MEDIA_SIGNING_KEY": JWT_SECRET,
    "ELEARN_PASSWORD_HASH_TIME_COST": "1",
    "ELEARN_PASSWORD_HASH_MEMORY_KIB": "64",
    "ELEARN_MESSAGES_PER_MINUTE": "10000",
    "ELEARN_LOGIN_ATTEMPTS_PER_IP": "1000000",
}
SETTLE_SECONDS = 30.0  # the last deliveries after the sending stopped


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _settings(database_url: str, var_dir: Path, redis_url: str) -> Settings:
    return Settings(
        var_dir=str(var_dir),
        database_url=database_url,
        database_pool_size=2,
        redis_url=redis_url or None,
        jwt_secret=JWT_SECRET,
        jwt_access_ttl_seconds=86_400,
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        log_level="WARNING",
    )


async def _seed(settings: Settings, pairs: int) -> list[tuple[str, str]]:
    """The pairs' access tokens, (student's, manager's), on a database made afresh."""
    url = settings.effective_database_url
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await upgrade(url, find_migrations_dir(""), "head")
    container = bootstrap(settings, broker=build_broker(None))
    tokens = []
    try:
        for n in range(pairs):
            pair = []
            for role, name in ((Role.STUDENT, "student"), (Role.MANAGER, "manager")):
                email = f"{name}{n}@bench.test"
                await container.identity.create_account(
                    Actor.system(), CreateAccount(email, PASSWORD, f"{name} {n}", role)
                )
                session = await container.identity.login(
                    Actor.anonymous(ip="127.0.0.1"), LoginCommand(email, PASSWORD)
                )
                pair.append(session.access_token)
            tokens.append((pair[0], pair[1]))
    finally:
        await container.dispose()
    return tokens


class KeepAlive:
    """One keep-alive HTTP/1.1 connection sending JSON POSTs and reading whole answers: the
    least this side can spend per request."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> KeepAlive:
        return cls(*await asyncio.open_connection(host, port))

    async def post(self, path: str, token: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self._writer.write(head.encode() + body)
        header = await self._reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self._reader.readexactly(length)

    def close(self) -> None:
        self._writer.close()


class Tally:
    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}
        self.send: list[float] = []
        self.delivery: list[float] = []
        self.refused: list[str] = []
        self.sending = True
        self.all_delivered = asyncio.Event()  # set once the sending stopped and none is pending

    def settle(self) -> None:
        if not self.sending and not self.sent_at:
            self.all_delivered.set()


async def _conversations(
    base: str, tokens: list[tuple[str, str]]
) -> list[tuple[str, str, str, str, str]]:
    """Each pair's conversation, started by the manager: (id, student's token, student's id,
    manager's token, manager's id)."""
    found = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def me(token: str) -> str:
            answer = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            answer.raise_for_status()
            return str(answer.json()["id"])

        for student, manager in tokens:
            student_id, manager_id = await me(student), await me(manager)
            started = await http.post(
                "/api/v1/conversations",
                json={"participant_id": student_id, "body": "hello"},
                headers={"Authorization": f"Bearer {manager}"},
            )
            if started.status_code not in (200, 201):
                raise RuntimeError(f"starting a conversation: {started.text}")
            found.append((started.json()["id"], student, student_id, manager, manager_id))
    return found


async def _sockets(
    base: str, people: list[tuple[str, str]], tally: Tally
) -> list[asyncio.Task[None]]:
    """One socket per (token, person id), each reading frames into the tally until cancelled."""
    url = base.replace("http://", "ws://") + "/api/v1/realtime?ticket="
    gate = asyncio.Semaphore(32)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def one(token: str) -> ClientConnection:
            async with gate:
                bought = await http.post(
                    "/api/v1/realtime/ticket", headers={"Authorization": f"Bearer {token}"}
                )
                bought.raise_for_status()
                connection = await connect(
                    url + bought.json()["ticket"], ping_interval=None, open_timeout=60
                )
                welcome = json.loads(await connection.recv())
                if welcome["type"] != "welcome":
                    raise RuntimeError(f"no welcome: {welcome}")
                return connection

        connections = await asyncio.gather(*(one(token) for token, _ in people))

    async def read(connection: ClientConnection, person: str) -> None:
        async for raw in connection:
            arrived = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") != "message.created":
                continue
            message = frame["data"]["message"]
            if message["sender_id"] == person:
                continue  # the sender's own copy (their other devices follow)
            started = tally.sent_at.pop(message["body"], None)
            if started is not None:
                tally.delivery.append(arrived - started)
                tally.settle()

    return [
        asyncio.create_task(read(connection, person))
        for connection, (_, person) in zip(connections, people, strict=True)
    ]


async def _measure(base: str, server_pid: int, tokens: list[tuple[str, str]], args: Any) -> None:
    conversations = await _conversations(base, tokens)
    tally = Tally()
    people = [(s, sid) for _, s, sid, _, _ in conversations]
    people += [(m, mid) for _, _, _, m, mid in conversations]
    readers = await _sockets(base, people, tally)
    host, port = base.removeprefix("http://").split(":")
    connections = [await KeepAlive.open(host, int(port)) for _ in range(args.concurrency)]
    deadline = time.perf_counter() + args.duration
    counter = 0

    async def sender(connection: KeepAlive) -> None:
        nonlocal counter
        while time.perf_counter() < deadline:
            conversation_id, student, _, manager, _ = random.choice(conversations)
            counter += 1
            body = f"m{counter}"
            start = time.perf_counter()
            tally.sent_at[body] = start
            status, answer = await connection.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                random.choice((student, manager)),
                b'{"body":"' + body.encode() + b'"}',
            )
            if status != 201:
                tally.sent_at.pop(body, None)
                tally.refused.append(f"{status} {answer[:200]!r}")
                continue
            tally.send.append(time.perf_counter() - start)

    meter = CpuMeter(server_pid)
    mine = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    await asyncio.gather(*(sender(connection) for connection in connections))
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu, postgres_cpu, _, other_cpu = meter.stop()
    load_cpu = (after.ru_utime + after.ru_stime - mine.ru_utime - mine.ru_stime) / elapsed
    tally.sending = False
    tally.settle()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(tally.all_delivered.wait(), SETTLE_SECONDS)
    for task in readers:
        task.cancel()
    for connection in connections:
        connection.close()
    count = len(tally.send)
    print(f"pairs {args.pairs}, concurrency {args.concurrency}, hub {args.redis_url or 'local'}")
    print(f"messages stored: {count} in {elapsed:.1f} s = {count / elapsed:.0f}/s")
    print(
        f"send (request to 201): p50 {_percentile(tally.send, 0.5) * 1000:.1f} ms, "
        f"p99 {_percentile(tally.send, 0.99) * 1000:.1f} ms"
    )
    print(
        f"delivery (request to the recipient's socket): "
        f"p50 {_percentile(tally.delivery, 0.5) * 1000:.1f} ms, "
        f"p99 {_percentile(tally.delivery, 0.99) * 1000:.1f} ms "
        f"(mean {statistics.fmean(tally.delivery or [0]) * 1000:.1f} ms); "
        f"not delivered: {len(tally.sent_at)}"
    )
    print(
        f"CPU while sending: server {server_cpu:.2f}, PostgreSQL {postgres_cpu:.2f}, "
        f"this load process {load_cpu:.2f}, everything else {other_cpu:.2f}"
    )
    if tally.refused:
        print(f"refused: {len(tally.refused)}, first: {tally.refused[0]}")


def _worker(var_dir: Path, database_url: str, cpu: int, log: Path) -> subprocess.Popen[bytes]:
    """An ``elearn worker`` (one process) on the server's CPU: the outbox's handlers with Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")}
    env |= {"ELEARN_DATABASE_URL": database_url, "ELEARN_VAR_DIR": str(var_dir)}
    command = ["taskset", "-c", str(cpu), str(BIN / "elearn"), "worker", "--processes", "1"]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=var_dir, stdout=out, stderr=subprocess.STDOUT)


def run(args: Any) -> None:
    work = Path(tempfile.mkdtemp(prefix="elearn-bench-messages-"))
    var_dir = work / "var"
    var_dir.mkdir()
    env_file = dict(SERVER_ENV_FILE)
    if args.redis_url:
        env_file["ELEARN_REDIS_URL"] = args.redis_url
    (var_dir / ".env").write_text("".join(f"{k}={v}\n" for k, v in env_file.items()))
    settings = _settings(args.database, var_dir, args.redis_url)
    seeded = time.perf_counter()
    tokens = asyncio.run(_seed(settings, args.pairs))
    print(f"seeded {len(tokens)} signed-in pairs in {time.perf_counter() - seeded:.0f} s")
    server = start_server(
        args.database, cpu=args.server_cpu, pool_size=args.pool_size, var_dir=var_dir,
        log=work / "server.log", cache_seconds=0.0,
    )  # fmt: skip
    worker = (
        _worker(var_dir, args.database, args.server_cpu, work / "worker.log")
        if args.redis_url
        else None
    )
    try:
        asyncio.run(_measure(server.base_url, server.process.pid, tokens, args))
    finally:
        server.stop()
        if worker is not None:
            worker.terminate()
            worker.wait(30)
            asyncio.run(forget_realtime_keys(args.redis_url))
    print(f"server log: {server.log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="postgresql+asyncpg://... of its own")
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pool-size", type=int, default=16)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    args = parser.parse_args()
    if not args.database.startswith("postgresql"):
        parser.error("--database: a PostgreSQL database of its own (its schema is dropped)")
    if shutil.which("taskset") is None:
        parser.error("needs taskset")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, {args.load_cpu})
    run(args)


if __name__ == "__main__":
    sys.exit(main())
