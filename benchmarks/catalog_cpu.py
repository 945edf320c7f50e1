"""Server CPU per catalog request, measured in-process: the app is called over ASGI (no HTTP
server, no load tool), so the figure depends little on how busy the machine is. Use it to
compare builds of the hot reads on a shared machine; the throughput targets stay with
`catalog_load.py` and the peer kit.

Against a database seeded by `catalog_seed.py` (default ``elearn_bench_10000``), with the
catalog cache off and a seeded tutor signed in, it warms up, then for each scenario (first
page, course page, course page signed in) runs ``--requests`` requests from 8 concurrent
callers, ``--rounds`` times interleaved, and prints the process CPU per request (median of the
rounds). The figure covers the app from Litestar's ASGI entry to the last byte handed to
``send``, plus the process's idle background work. Usage (from the project root):

    .venv/bin/python benchmarks/catalog_cpu.py [--database elearn_bench_10000] [--requests 2000]
        [--rounds 3] [--server postgresql+asyncpg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from catalog_seed import TUTOR_PASSWORD

READER = "tutor-001@bench.elearn.test"
CALLERS = 8


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    from elearn.entrypoints.http.app import create_app

    app: Any = create_app()
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await to_app.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, to_app.get, from_app.put)
    )
    started = await from_app.get()
    if started["type"] != "lifespan.startup.complete":
        raise SystemExit(f"the app did not start: {started}")

    async def call(
        method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
    ) -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError

        messages: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, send)
        return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])

    login = json.dumps({"email": READER, "password": TUTOR_PASSWORD}).encode()
    status, body = await call(
        "POST", "/api/v1/auth/login", [(b"content-type", b"application/json")], login
    )
    if status != 200:
        raise SystemExit(f"sign-in answered {status}: {body[:300]!r}")
    signed_in = [(b"authorization", f"Bearer {json.loads(body)['access_token']}".encode())]
    _, first_page = await call("GET", "/api/v1/courses", [])
    course = "/api/v1/courses/" + json.loads(first_page)["items"][0]["slug"]
    scenarios: dict[str, tuple[str, list[tuple[bytes, bytes]]]] = {
        "first page": ("/api/v1/courses", []),
        "course page": (course, []),
        "course page signed in": (course, signed_in),
    }
    gc.freeze()  # as the API process does after start-up
    for path, headers in scenarios.values():
        for _ in range(200):
            status, body = await call("GET", path, headers)
            if status != 200:
                raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    per_caller = max(1, args.requests // CALLERS)
    found: dict[str, list[float]] = {name: [] for name in scenarios}
    for _ in range(args.rounds):
        for name, (path, headers) in scenarios.items():

            async def caller(
                path: str = path, headers: list[tuple[bytes, bytes]] = headers
            ) -> None:
                for _ in range(per_caller):
                    await call("GET", path, headers)

            before = time.process_time()
            await asyncio.gather(*(caller() for _ in range(CALLERS)))
            found[name].append((time.process_time() - before) / (per_caller * CALLERS) * 1e3)
    await to_app.put({"type": "lifespan.shutdown"})
    await lifespan
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="elearn_bench_10000")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--requests", type=int, default=2000, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if "bench" not in args.database:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    os.environ.update(
        ELEARN_DATABASE_URL=f"{args.server}/{args.database}",
        ELEARN_DATABASE_POOL_SIZE=str(CALLERS * 2),
        ELEARN_LOG_LEVEL="WARNING",
        ELEARN_VAR_DIR=tempfile.mkdtemp(prefix="elearn-catalog-cpu-"),
        ELEARN_CATALOG_CACHE_SECONDS="0",
        ELEARN_JWT_ACCESS_TTL_SECONDS="7200",
    )
    run: Callable[[Awaitable[dict[str, list[float]]]], dict[str, list[float]]] = asyncio.run
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        pass
    found = run(measure(args))
    for name, figures in found.items():
        rounds = ", ".join(f"{figure:.3f}" for figure in figures)
        print(f"{name:24s} {statistics.median(figures):.3f} ms CPU per request  ({rounds})")


if __name__ == "__main__":
    main()
