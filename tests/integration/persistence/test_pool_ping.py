"""The pool pings a PostgreSQL connection before use only when it sat idle: one whose server
process went away while it waited (a restart, a proxy closing idle connections) is replaced at
checkout, never handed to a request."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest
from sqlalchemy import text
from tests.conftest import postgres_url

from elearn.adapters.persistence import database
from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.raw_statements import driver_fetch


def _driver_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _backend_of_pooled_connection(url: str, idle_seconds: float) -> tuple[int, int]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            first = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        killer = await asyncpg.connect(_driver_dsn(url))
        try:
            await killer.execute("SELECT pg_terminate_backend($1)", first)
        finally:
            await killer.close()
        await asyncio.sleep(idle_seconds)
        async with engine.connect() as connection:
            second = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        return first, second
    finally:
        await engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_at_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = postgres_url()
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.05)
    first, second = asyncio.run(_backend_of_pooled_connection(url, idle_seconds=0.1))
    assert second != first


async def _overflowing_driver_reads(url: str) -> list[int]:
    engine = create_engine(url, pool_size=1)  # and one connection in overflow
    try:
        reads = [
            driver_fetch(engine, "SELECT n FROM (SELECT $1::int AS n, pg_sleep(0.05)) s", [n])
            for n in (1, 2)
        ]
        return [rows[0]["n"] for rows in await asyncio.gather(*reads)]
    finally:
        await engine.dispose()


def test_a_driver_read_on_an_overflow_connection_returns_it_to_be_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The pool closes an overflow connection when it comes back: I/O, done in SQLAlchemy's
    greenlet (outside it the pool logged MissingGreenlet and left the connection unclosed)."""
    with caplog.at_level(logging.ERROR, logger="sqlalchemy.pool"):
        assert asyncio.run(_overflowing_driver_reads(postgres_url())) == [1, 2]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.pool")] == []
