"""Real sockets for the realtime tests: the app served by uvicorn on loopback (in this process,
or as a separate process), and a WebSocket client that reads frames as JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from websockets.asyncio.client import ClientConnection, connect

from tests.support.identity import bearer, login

TICKET = "/api/v1/realtime/ticket"


def loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[str]:
    """The app served by uvicorn in this event loop; its base URL."""
    sock = loopback_socket()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", ws_ping_interval=None)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


@contextlib.contextmanager
def api_processes(env: Mapping[str, str], count: int = 1) -> Iterator[list[str]]:
    """``count`` of elearn's API as separate uvicorn processes on loopback, started together;
    their base URLs."""
    ports = []
    for _ in range(count):
        sock = loopback_socket()
        ports.append(sock.getsockname()[1])
        sock.close()
    command = [sys.executable, "-m", "uvicorn", "--factory", "--lifespan", "on"]
    command += ["--host", "127.0.0.1", "--log-level", "warning", "--ws-ping-interval", "0"]
    command += ["elearn.entrypoints.http.app:create_app"]
    root = Path(__file__).resolve().parents[2]
    processes = [
        subprocess.Popen([*command, "--port", str(port)], env={**os.environ, **env}, cwd=root)
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 120
        for process, base in zip(processes, bases, strict=True):
            while not _answers(base):
                if process.poll() is not None:
                    raise RuntimeError(f"an API process exited with {process.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError("the API processes did not start within 120 s")
                time.sleep(0.2)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(base: str) -> bool:
    try:
        return httpx.get(base + "/health/live", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def ticket_for(http: httpx.AsyncClient, session: dict[str, Any]) -> str:
    response = await http.post(TICKET, headers=bearer(session))
    assert response.status_code == 201, response.text
    ticket: str = response.json()["ticket"]
    return ticket


def socket_url(base: str, ticket: str) -> str:
    return base.replace("http://", "ws://") + f"/api/v1/realtime?ticket={ticket}"


class Socket:
    """A client socket, read frame by frame (heartbeats skipped unless asked for)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def frame(self, *, timeout: float = 5, heartbeats: bool = False) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), timeout)
            frame: dict[str, Any] = json.loads(raw)
            if heartbeats or frame["type"] != "heartbeat":
                return frame

    async def nothing_within(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            frame = await self.frame(timeout=seconds)
            raise AssertionError(f"unexpected frame {frame}")

    async def closed_with(self, *, timeout: float = 5) -> tuple[int | None, str | None]:
        """The close code and reason, once the server has closed (frames before are skipped)."""
        with contextlib.suppress(Exception):
            while True:
                await asyncio.wait_for(self.connection.recv(), timeout)
        return self.connection.close_code, self.connection.close_reason


@contextlib.asynccontextmanager
async def open_socket(
    base: str, ticket: str, *, welcome: bool = True, **options: Any
) -> AsyncIterator[Socket]:
    async with connect(socket_url(base, ticket), **options) as connection:
        opened = Socket(connection)
        if welcome:
            assert (await opened.frame())["type"] == "welcome"
        yield opened


async def signed_in_socket(
    http: httpx.AsyncClient, base: str, address: str
) -> contextlib.AbstractAsyncContextManager[Socket]:
    session = await login(http, address)
    return open_socket(base, await ticket_for(http, session))
