"""A client that stops reading is dropped with close code 4408 once its backlog is full, rather
than the server holding ever more frames for it; other sockets go on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.identity import login, seed_accounts
from tests.support.realtime import open_socket, served, ticket_for

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

SLOW = "slow@realtime.test"
FAST = "fast@realtime.test"


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path, sqlite_url, realtime_socket_backlog=4)


async def test_a_client_that_does_not_read_is_dropped_and_others_are_not(
    settings: Settings,
) -> None:
    slow, fast = await seed_accounts(settings, (SLOW, Role.STUDENT), (FAST, Role.STUDENT))
    app = app_for(settings)
    async with served(app) as base, httpx.AsyncClient(base_url=base) as http:
        slow_ticket = await ticket_for(http, await login(http, SLOW))
        fast_ticket = await ticket_for(http, await login(http, FAST))
        hub = app.state.container.realtime
        # The slow client's library stops reading from the network once it holds one frame.
        async with (
            open_socket(base, slow_ticket, max_queue=1) as stalled,
            open_socket(base, fast_ticket) as reader,
        ):
            for socket in (stalled, reader):
                await socket.send({"type": "ping"})
            assert (await reader.frame())["type"] == "pong"
            big = "x" * 64 * 1024
            for n in range(400):
                await hub.publish([slow], "notification.created", {"n": n, "padding": big})
                if n % 20 == 0:
                    await asyncio.sleep(0.01)  # let the socket's tasks run
                if slow not in await hub.connected([slow]):
                    break
            else:
                raise AssertionError("the slow client was never dropped")
            await hub.publish([fast], "notification.created", {"n": "still live"})
            assert (await reader.frame())["data"] == {"n": "still live"}
            # Reading again, the slow client finds the close after what had reached it.
            assert (await stalled.closed_with(timeout=10))[0] == 4408
