"""Alembic environment for SQLite (batch mode, so ALTERs work) and PostgreSQL, both async."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from elearn.adapters.persistence.database import create_engine, is_sqlite
from elearn.adapters.persistence.migrations import include_object
from elearn.entrypoints.modules import table_metadata

# Every table: the shared ones and each registered context's.
metadata = table_metadata()

config = context.config


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from elearn.entrypoints.settings import load_settings

    return load_settings().effective_database_url


def _configure(connection: Connection | None = None, *, url: str | None = None) -> None:
    sqlite = is_sqlite(url or str(connection.engine.url))  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        render_as_batch=sqlite,
        compare_type=True,
        include_object=include_object,
        literal_binds=url is not None,
        dialect_opts={"paramstyle": "named"} if url is not None else {},
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    url = _database_url()
    # SQLite alters a table by copying it and dropping the original; with foreign keys on, that
    # drop would cascade into every table that references it. So they are off while migrating,
    # and checked once the migration is done.
    engine = create_engine(url, pool_size=1, sqlite_foreign_keys=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
            if is_sqlite(url):
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                await connection.commit()
                if broken:
                    raise RuntimeError(f"the migration left broken foreign keys: {broken[:5]}")
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
    else:
        asyncio.run(run_migrations_online())
