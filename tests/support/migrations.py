"""A test database, SQLite or PostgreSQL, stopped at an older revision: to see a migration carry
the rows of that revision over, and back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.migrations import upgrade
from tests.conftest import MIGRATIONS, postgres_url


@contextmanager
def database_at(kind: str, tmp_path: Path, revision: str) -> Iterator[str]:
    """Its URL; the shared PostgreSQL test database is left at head afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / f'at-{revision}.db'}"
        asyncio.run(upgrade(url, MIGRATIONS, revision))
        yield url
        return
    url = postgres_url()

    async def reset(to: str) -> None:
        engine = create_engine(url, pool_size=1)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        await upgrade(url, MIGRATIONS, to)

    asyncio.run(reset(revision))
    try:
        yield url
    finally:
        asyncio.run(reset("head"))


async def execute(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """One statement in a transaction of its own; the rows it answers, if any."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()
