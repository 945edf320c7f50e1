"""Migrations upgrade an empty database to head, match the models, and downgrade back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from tests.conftest import MIGRATIONS, postgres_url

from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.migrations import (
    alembic_config,
    downgrade,
    include_object,
    upgrade,
)
from elearn.entrypoints.modules import table_metadata

# Every table: the shared ones and each registered context's.
metadata = table_metadata()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    url = postgres_url()

    async def drop_everything() -> None:
        engine = create_engine(url, pool_size=1)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(drop_everything())
    yield url
    # Leave the shared test database at head for the other tests.
    asyncio.run(drop_everything())
    asyncio.run(upgrade(url, MIGRATIONS))


async def _tables(url: str) -> set[str]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _schema_differences(url: str) -> list[object]:
    # SQLite reflects column types by affinity (BINARY(16) comes back as NUMERIC), so types are
    # compared on PostgreSQL only; tables, columns, keys and indexes on both.
    compare_type = not url.startswith("sqlite")
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(
                        c, opts={"compare_type": compare_type, "include_object": include_object}
                    ),
                    metadata,
                )
            )
    finally:
        await engine.dispose()


async def test_upgrade_to_head_matches_the_models_and_downgrade_empties(
    empty_database: str,
) -> None:
    await upgrade(empty_database, MIGRATIONS)
    assert {t.name for t in metadata.sorted_tables} <= await _tables(empty_database)
    assert await _schema_differences(empty_database) == []

    await downgrade(empty_database, MIGRATIONS, "base")
    assert await _tables(empty_database) <= {"alembic_version"}


async def test_every_revision_steps_up_and_down(empty_database: str) -> None:
    """The stairway: each revision upgrades, downgrades and upgrades again on its own."""
    script = ScriptDirectory.from_config(alembic_config(empty_database, MIGRATIONS))
    revisions = list(reversed(list(script.walk_revisions())))
    for revision in revisions:
        await upgrade(empty_database, MIGRATIONS, revision.revision)
        await downgrade(empty_database, MIGRATIONS, revision.down_revision or "base")
        await upgrade(empty_database, MIGRATIONS, revision.revision)


def test_revisions_form_one_line() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://", MIGRATIONS))
    assert len(script.get_heads()) == 1
