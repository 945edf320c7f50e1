"""Revision 0020 keeps what students typed as their institution (as `unverified_institution`)
and puts it back on downgrade, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import pytest
from tests.conftest import MIGRATIONS
from tests.support.migrations import database_at, execute

from elearn.adapters.persistence.migrations import downgrade, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def database_at_0019(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_at(request.param, tmp_path, "0019") as url:
        yield url


async def test_typed_institutions_survive_upgrade_and_downgrade(database_at_0019: str) -> None:
    url = database_at_0019
    user_id = uuid4()
    key = user_id.bytes if url.startswith("sqlite") else user_id
    now = datetime(2026, 1, 1)
    await execute(
        url,
        "INSERT INTO users (id, email, full_name, role, password_hash, status, totp_enabled,"
        " recovery_code_hashes, created_at, updated_at) VALUES (:id, 's@example.com', 'S',"
        " 'student', 'x', 'active', false, '[]', :now, :now)",
        id=key,
        now=now,
    )
    await execute(
        url,
        "INSERT INTO student_profiles (user_id, bio, time_zone, institution, onboarding,"
        " created_at, updated_at) VALUES (:id, '', 'UTC', 'TU Munich', '{}', :now, :now)",
        id=key,
        now=now,
    )

    await upgrade(url, MIGRATIONS, "0020")
    assert await execute(
        url, "SELECT unverified_institution, institution_id FROM student_profiles"
    ) == [("TU Munich", None)]

    await downgrade(url, MIGRATIONS, "0019")
    assert await execute(url, "SELECT institution FROM student_profiles") == [("TU Munich",)]
