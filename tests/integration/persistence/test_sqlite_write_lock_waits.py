"""On SQLite a writer waiting for the write lock waits in asyncio, not inside SQLite: the
connection it waits on stays free for the garbage collector. A cursor left behind by a failed
statement (an IntegrityError, as a second claim of a scheduler slot raises) is finalized by
whichever thread collects it and needs its connection; when that connection sat in SQLite's busy
handler, the event loop thread collecting it stopped until the wait timed out, so the writer
holding the lock on that loop could never commit: the embedded API froze for 30 s at restarts."""

from __future__ import annotations

import asyncio
import gc

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from elearn.adapters.persistence import database
from elearn.adapters.persistence.database import create_engine

IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}


async def _leave_a_failed_cursor_behind(engine: AsyncEngine) -> AsyncConnection:
    """A pooled connection whose last statement failed (its driver cursor left to the collector),
    checked out again for the caller."""
    connection = await engine.connect()
    with pytest.raises(exc.IntegrityError):
        await connection.execute(text("INSERT INTO claims VALUES (1)"))
    await connection.rollback()
    return connection


async def test_a_waiting_writer_leaves_its_connection_to_the_collector(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    gc.disable()  # the failed cursor is collected below, while its connection waits
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE claims (slot INTEGER PRIMARY KEY)"))
            await setup.execute(text("INSERT INTO claims VALUES (1)"))
        waiting = await _leave_a_failed_cursor_behind(engine)
        holder = await (await engine.connect()).execution_options(**IMMEDIATE)
        await holder.begin()
        await holder.execute(text("INSERT INTO claims VALUES (2)"))

        async def write_when_free() -> None:
            await (await waiting.execution_options(**IMMEDIATE)).begin()
            await waiting.execute(text("INSERT INTO claims VALUES (3)"))
            await waiting.commit()

        writer = asyncio.create_task(write_when_free())
        await asyncio.sleep(0.2)  # the writer is waiting for the lock
        assert not writer.done()
        gc.collect()  # on this loop's thread, as an allocation would trigger it
        await holder.commit()
        await holder.close()
        await writer  # before the fix: OperationalError "database is locked" after 30 s
        await waiting.close()
        async with engine.connect() as check:
            slots = (await check.execute(text("SELECT slot FROM claims ORDER BY slot"))).all()
        assert [slot for (slot,) in slots] == [1, 2, 3]
    finally:
        gc.enable()
        await engine.dispose()


async def test_a_deferred_transaction_that_writes_still_waits_for_the_lock(sqlite_url: str) -> None:
    """Test fixtures (and any code that writes without IMMEDIATE) keep SQLite's long wait, on a
    connection that last began IMMEDIATE with the short one."""
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE claims (slot INTEGER PRIMARY KEY)"))
        writer_connection = await (await engine.connect()).execution_options(**IMMEDIATE)
        await writer_connection.begin()
        await writer_connection.execute(text("INSERT INTO claims VALUES (1)"))
        await writer_connection.commit()
        holder = await (await engine.connect()).execution_options(**IMMEDIATE)
        await holder.begin()
        await holder.execute(text("INSERT INTO claims VALUES (2)"))

        async def write_deferred() -> None:
            await (await writer_connection.execution_options(sqlite_begin="DEFERRED")).begin()
            await writer_connection.execute(text("INSERT INTO claims VALUES (3)"))
            await writer_connection.commit()

        writer = asyncio.create_task(write_deferred())
        await asyncio.sleep(0.2)  # ten times the short wait: the writer still waits
        assert not writer.done()
        await holder.commit()
        await holder.close()
        await writer
        await writer_connection.close()
        async with engine.connect() as check:
            slots = (await check.execute(text("SELECT slot FROM claims ORDER BY slot"))).all()
        assert [slot for (slot,) in slots] == [1, 2, 3]
    finally:
        await engine.dispose()


async def test_a_writer_gives_up_after_the_wait_and_its_connection_still_works(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait in asyncio is bounded as SQLite's busy timeout was: 'database is locked' once
    it has passed, and nothing is left half begun on the connection."""
    monkeypatch.setattr(database, "SQLITE_WRITE_LOCK_WAIT_SECONDS", 0.3)
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE claims (slot INTEGER PRIMARY KEY)"))
        holder = await (await engine.connect()).execution_options(**IMMEDIATE)
        await holder.begin()
        await holder.execute(text("INSERT INTO claims VALUES (1)"))
        waiting = await (await engine.connect()).execution_options(**IMMEDIATE)
        with pytest.raises(exc.OperationalError, match="database is locked"):
            await waiting.begin()
        await holder.commit()
        await holder.close()
        await waiting.rollback()
        await waiting.begin()
        await waiting.execute(text("INSERT INTO claims VALUES (2)"))
        await waiting.commit()
        await waiting.close()
        async with engine.connect() as check:
            slots = (await check.execute(text("SELECT slot FROM claims ORDER BY slot"))).all()
        assert [slot for (slot,) in slots] == [1, 2]
    finally:
        await engine.dispose()
