"""The realtime socket under load: how many idle authenticated sockets one API process holds,
and how long one published event takes to reach 1,000 connected subscribers.

1. makes a SQLite database under ``<tmp>/elearn-bench-realtime`` with the project's migrations
   and ``--people`` accounts (cheap argon2 setting), and signs each in once through the identity
   use case, in this process (every socket below is opened with a real ticket of a real
   sign-in, so each redemption reads the session as in production);
2. serves the app with uvicorn, one process, pinned to CPU 0, with Redis (``--redis-url``, a
   database of its own: the keys it leaves are under ``elearn:rt:``) so that this process can
   publish as an ``elearn worker`` does;
3. **idle sockets**: opens ``--sockets`` sockets from this process (pinned to CPU 1), five per
   person at most, ``--concurrency`` at a time, each with a ticket bought over HTTP just before
   (``POST /api/v1/realtime/ticket``), reads each welcome frame, waits ``--idle-seconds``,
   checks with a ``ping`` on a sample that they still answer, and reports the server's resident
   memory (``VmRSS``) before and after, and per socket;
4. **fan-out latency**: keeps one socket for each of ``--subscribers`` distinct people, publishes
   ``--events`` events to all of them through Redis (``RedisRealtimeHub``, as a worker would),
   ``--gap`` seconds apart, each carrying its publishing time; every socket reads them as they
   come, and the latency of each arrival (this machine's clock on both ends) is reported as
   p50/p90/p99/max, with how many arrived.

Run: ``python benchmarks/realtime_load.py --redis-url redis://127.0.0.1:6379/4``. The figures
depend on the machine: say whether it was shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.adapters.realtime.redis import RedisRealtimeHub
from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.application.identity.sessions import LoginCommand
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

PASSWORD = "bench-password-1234"
JWT_SECRET = "bench-only-jwt-secret-" + "0" * 24


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(var_dir: Path, redis_url: str) -> dict[str, str]:
    return {
        "ELEARN_ENV": "development",
        "ELEARN_VAR_DIR": str(var_dir),
        "ELEARN_REDIS_URL": redis_url,
        "ELEARN_JWT_SECRET": JWT_SECRET,
        "ELEARN_JWT_ACCESS_TTL_SECONDS": "86400",
        "ELEARN_MEDIA_SIGNING_KEY": "bench-only-media-signing-key-" + "0" * 16,
        "ELEARN_PASSWORD_HASH_TIME_COST": "1",
        "ELEARN_PASSWORD_HASH_MEMORY_KIB": "64",
        "ELEARN_LOG_LEVEL": "WARNING",
        "ELEARN_LOGIN_ATTEMPTS_PER_IP": "1000000",
        "ELEARN_REALTIME_CLIENT_MESSAGES_PER_MINUTE": "10000",
    }


async def _seed(settings: Settings, people: int) -> list[str]:
    """``people`` accounts, each signed in once: their access tokens."""
    await upgrade(settings.effective_database_url, find_migrations_dir(""), "head")
    container = bootstrap(settings, broker=build_broker(None))
    tokens = []
    try:
        for n in range(people):
            email = f"p{n}@bench.test"
            await container.identity.create_account(
                Actor.system(), CreateAccount(email, PASSWORD, f"Person {n}", Role.STUDENT)
            )
            session = await container.identity.login(
                Actor.anonymous(ip="127.0.0.1"), LoginCommand(email, PASSWORD)
            )
            tokens.append(session.access_token)
    finally:
        await container.dispose()
    return tokens


async def _open(
    base: str, tokens: list[str], count: int, concurrency: int
) -> list[ClientConnection]:
    """``count`` sockets, socket ``n`` of person ``n % len(tokens)``: each buys its ticket over
    HTTP just before it opens (a ticket lives 30 s), ``concurrency`` at a time."""
    url = base.replace("http://", "ws://") + "/api/v1/realtime?ticket="
    gate = asyncio.Semaphore(concurrency)
    # Keep-alive connections, a few: the server is measured on sockets, not on this.
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def one(n: int) -> ClientConnection:
            async with gate:
                bought = await http.post(
                    "/api/v1/realtime/ticket",
                    headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
                )
                bought.raise_for_status()
                connection = await connect(
                    url + bought.json()["ticket"], ping_interval=None, open_timeout=60
                )
                welcome = json.loads(await connection.recv())
                assert welcome["type"] == "welcome", welcome
                await connection.send('{"type":"ping"}')
                assert json.loads(await connection.recv())["type"] == "pong"
                return connection

        return list(await asyncio.gather(*(one(n) for n in range(count))))


async def _idle(base: str, pid: int, tokens: list[str], args: argparse.Namespace) -> None:
    before = _rss_kib(pid)
    started = time.perf_counter()
    sockets = await _open(base, tokens, args.sockets, args.concurrency)
    opened_in = time.perf_counter() - started
    await asyncio.sleep(args.idle_seconds)
    sample = sockets[:: max(1, len(sockets) // 50)]
    for connection in sample:
        await connection.send('{"type":"ping"}')
        while json.loads(await asyncio.wait_for(connection.recv(), 30))["type"] != "pong":
            pass
    after = _rss_kib(pid)
    print(
        f"idle sockets: {len(sockets)} open and answering (sample of {len(sample)} pinged after "
        f"{args.idle_seconds:.0f} s idle), opened in {opened_in:.1f} s; server RSS "
        f"{before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after "
        f"({(after - before) / len(sockets):.1f} KiB per socket)"
    )
    await asyncio.gather(*(c.close() for c in sockets), return_exceptions=True)


async def _fan_out(base: str, tokens: list[str], args: argparse.Namespace) -> None:
    people = tokens[: args.subscribers]
    sockets = await _open(base, people, len(people), args.concurrency)
    latencies: list[float] = []

    async def read(connection: ClientConnection) -> None:
        async for raw in connection:
            arrived = time.time()
            frame = json.loads(raw)
            if frame.get("type") == "bench":
                latencies.append(arrived - frame["data"]["sent_at"])

    readers = [asyncio.create_task(read(c)) for c in sockets]
    client = Redis.from_url(args.redis_url)
    hub = RedisRealtimeHub(client)
    audience = [uuid.UUID(json.loads(_claims(t))["sub"]) for t in people]
    for _ in range(args.events):
        await hub.publish(audience, "bench", {"sent_at": time.time()})
        await asyncio.sleep(args.gap)
    await asyncio.sleep(2)
    expected = args.events * len(sockets)
    ordered = sorted(latencies)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    print(
        f"fan-out to {len(sockets)} subscribers, {args.events} events {args.gap} s apart: "
        f"{len(latencies)}/{expected} arrivals; publish-to-arrival p50 {at(0.5):.1f} ms, "
        f"p90 {at(0.9):.1f} ms, p99 {at(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms "
        f"(mean {statistics.mean(ordered) * 1000:.1f} ms)"
    )
    for task in readers:
        task.cancel()
    await asyncio.gather(*(c.close() for c in sockets), return_exceptions=True)
    await client.aclose()


def _claims(token: str) -> str:
    import base64

    body = token.split(".")[1]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    command += [sys.executable, "-m", "uvicorn", "--factory", "--lifespan", "on"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    # Keep-alive outlasting the client's queueing: a connection the server closed while a
    # request waited for it would fail that request.
    command += ["--ws-ping-interval", "0", "--no-access-log", "--timeout-keep-alive", "300"]
    command += ["elearn.entrypoints.http.app:create_app"]
    # taskset execs the interpreter in place: the pid is the server's.
    server = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/health/live", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.3)


async def _measure(base: str, pid: int, tokens: list[str], args: argparse.Namespace) -> None:
    await _idle(base, pid, tokens, args)
    await asyncio.sleep(2)
    await _fan_out(base, tokens, args)


async def _forget_keys(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(match="elearn:rt:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def _load() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def _run(args: argparse.Namespace) -> None:
    work = Path(tempfile.gettempdir()) / "elearn-bench-realtime"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settings = Settings(
        var_dir=str(work / "var"),
        redis_url=args.redis_url,
        jwt_secret=JWT_SECRET,
        jwt_access_ttl_seconds=86_400,
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        login_attempts_per_ip=1_000_000,
    )
    seeded = time.perf_counter()
    tokens = asyncio.run(_seed(settings, args.people))
    print(f"seeded {len(tokens)} signed-in people in {time.perf_counter() - seeded:.0f} s")
    server, base = _serve(_environment(work / "var", args.redis_url))
    try:
        asyncio.run(_measure(base, server.pid, tokens, args))
    finally:
        server.terminate()
        server.wait(30)
        asyncio.run(_forget_keys(args.redis_url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.5)
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    if args.sockets > 5 * args.people or args.subscribers > args.people:
        parser.error("at most 5 sockets per person, and one subscriber per person")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {1})
    print(f"load average before: {_load()}")
    _run(args)
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
