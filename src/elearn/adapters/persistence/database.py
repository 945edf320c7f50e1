"""Engine and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

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

# A use case's transaction on SQLite takes the write lock when it begins (BEGIN IMMEDIATE), so
# two writers never interleave between a check and the write that relies on it, and never meet
# in the middle with SQLITE_BUSY on lock upgrade. Read-only work begins DEFERRED.
SQLITE_BEGIN_OPTION = "sqlite_begin"
WRITE_TRANSACTION = {SQLITE_BEGIN_OPTION: "IMMEDIATE"}


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
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions are not serializable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # SQLite's lower() folds ASCII only; catalog search folds case as Python does.
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
