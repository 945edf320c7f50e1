"""Revision 0020 keeps what students typed as their institution (as `unverified_institution`)
and puts it back on downgrade, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import text
from tests.conftest import MIGRATIONS, postgres_url

from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.migrations import downgrade, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def database_at_0019(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'institutions.db'}"
        asyncio.run(upgrade(url, MIGRATIONS, "0019"))
        yield url
        return
    url = postgres_url()

    async def reset(revision: str) -> None:
        engine = create_engine(url, pool_size=1)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        await upgrade(url, MIGRATIONS, revision)

    asyncio.run(reset("0019"))
    yield url
    asyncio.run(reset("head"))  # leave the shared test database at head


async def _execute(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_typed_institutions_survive_upgrade_and_downgrade(database_at_0019: str) -> None:
    url = database_at_0019
    user_id = uuid4()
    key = user_id.bytes if url.startswith("sqlite") else user_id
    now = datetime(2026, 1, 1)
    await _execute(
        url,
        "INSERT INTO users (id, email, full_name, role, password_hash, status, totp_enabled,"
        " recovery_code_hashes, created_at, updated_at) VALUES (:id, 's@example.com', 'S',"
        " 'student', 'x', 'active', false, '[]', :now, :now)",
        id=key,
        now=now,
    )
    await _execute(
        url,
        "INSERT INTO student_profiles (user_id, bio, time_zone, institution, onboarding,"
        " created_at, updated_at) VALUES (:id, '', 'UTC', 'TU Munich', '{}', :now, :now)",
        id=key,
        now=now,
    )

    await upgrade(url, MIGRATIONS, "0020")
    assert await _execute(
        url, "SELECT unverified_institution, institution_id FROM student_profiles"
    ) == [("TU Munich", None)]

    await downgrade(url, MIGRATIONS, "0019")
    assert await _execute(url, "SELECT institution FROM student_profiles") == [("TU Munich",)]
