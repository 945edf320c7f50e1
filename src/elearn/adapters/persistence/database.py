"""Engine and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

# A use case's transaction on SQLite takes the write lock when it begins (BEGIN IMMEDIATE), so
# two writers never interleave between a check and the write that relies on it, and never meet
# in the middle with SQLITE_BUSY on lock upgrade. Read-only work begins DEFERRED.
SQLITE_BEGIN_OPTION = "sqlite_begin"
WRITE_TRANSACTION = {SQLITE_BEGIN_OPTION: "IMMEDIATE"}

# A transaction that begins IMMEDIATE (every use case that writes) waits for SQLite's write lock
# in asyncio (``_begin_when_free``), never more than SQLITE_BUSY_MS inside SQLite's busy handler:
# the busy handler holds the connection's mutex, and the garbage collector, on whichever thread
# it runs, needs that mutex to finalize a cursor the connection left behind (a failed
# statement's, such as an IntegrityError's). Run on the event loop's thread it stopped the loop,
# and with it the writer holding the lock, until the wait timed out: the embedded API froze for
# 30 s at some restarts. Other transactions keep the long wait (a DEFERRED one that writes has no
# other way to wait); a connection's busy timeout changes only when it goes from one kind to the
# other.
SQLITE_BUSY_MS = 20
SQLITE_WRITE_LOCK_WAIT_SECONDS = 30.0
_LONG_BUSY_MS = int(SQLITE_WRITE_LOCK_WAIT_SECONDS * 1000)
_BUSY_TIMEOUT = "busy_timeout_ms"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, sqlite_foreign_keys: bool = True
) -> AsyncEngine:
    if is_sqlite(url):
        return _create_sqlite_engine(url, echo=echo, foreign_keys=sqlite_foreign_keys)
    # Imported here: the embedded default never loads the PostgreSQL driver.
    from elearn.adapters.persistence.asyncpg_connection import WholeBatchConnection

    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={"connection_class": WholeBatchConnection},
    )
    _ping_after_idle(engine)
    return engine


# A pooled connection is pinged before use only when it has sat idle this long. SQLAlchemy's
# pool_pre_ping pings on every checkout: three round trips (BEGIN, ping, ROLLBACK) and ~0.36 ms
# of CPU on every request, to catch what happens to connections that sit unused (a database
# restart, a proxy or firewall closing idle connections). A connection returned moments ago
# was working moments ago.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (SQLAlchemy's
            # documented pessimistic handling).
            raise exc.DisconnectionError() from error


def _casefold(text: str | None) -> str | None:
    return None if text is None else text.casefold()


def _create_sqlite_engine(url: str, *, echo: bool, foreign_keys: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions are not serializable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={_LONG_BUSY_MS}")
        cursor.close()
        record.info[_BUSY_TIMEOUT] = _LONG_BUSY_MS
        # SQLite's lower() folds ASCII only; catalog search folds case as Python does.
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        waits_in_asyncio = mode != "DEFERRED"
        _set_busy_timeout(connection, SQLITE_BUSY_MS if waits_in_asyncio else _LONG_BUSY_MS)
        if waits_in_asyncio:
            _begin_when_free(connection, mode)
        else:
            connection.exec_driver_sql("BEGIN DEFERRED")

    return engine


def _set_busy_timeout(connection: Any, milliseconds: int) -> None:
    info = connection.connection.info  # the pooled DBAPI connection's, kept across checkouts
    if info.get(_BUSY_TIMEOUT) != milliseconds:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={milliseconds}")
        info[_BUSY_TIMEOUT] = milliseconds


def _begin_when_free(connection: Any, mode: str) -> None:
    """BEGIN IMMEDIATE, tried again after a pause on this loop while another writer holds the lock
    (pauses doubling to 50 ms, as SQLite's own busy handler sleeps), for up to
    SQLITE_WRITE_LOCK_WAIT_SECONDS in all."""
    deadline = time.monotonic() + SQLITE_WRITE_LOCK_WAIT_SECONDS
    pause = 0.001
    while True:
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
            return
        except exc.OperationalError as error:
            locked = getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
            if not locked or not in_greenlet() or time.monotonic() >= deadline:
                raise
        await_only(asyncio.sleep(pause))
        pause = min(pause * 2, 0.05)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
