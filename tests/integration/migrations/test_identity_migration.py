"""Revision 0002 carries accounts over: ``is_active`` becomes ``status`` and back, and tutors
who taught before approval existed stay approved."""

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
def database_at_0001(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_at(request.param, tmp_path, "0001") as url:
        yield url


async def _insert_user(url: str, email: str, role: str, *, active: bool) -> None:
    now = datetime(2026, 1, 1)  # naive: both drivers take it for a timestamptz
    await execute(
        url,
        "INSERT INTO users (id, email, full_name, role, password_hash, is_active,"
        " created_at, updated_at) VALUES (:id, :email, 'Someone', :role, 'x', :active, :now, :now)",
        id=uuid4().bytes if url.startswith("sqlite") else uuid4(),
        email=email,
        role=role,
        active=active,
        now=now,
    )


async def test_account_states_survive_upgrade_and_downgrade(database_at_0001: str) -> None:
    url = database_at_0001
    await _insert_user(url, "on@example.com", "student", active=True)
    await _insert_user(url, "off@example.com", "student", active=False)
    await _insert_user(url, "tutor@example.com", "tutor", active=True)

    await upgrade(url, MIGRATIONS, "0002")
    rows = await execute(
        url,
        "SELECT email, status, tutor_approval, totp_enabled, recovery_code_hashes FROM users"
        " ORDER BY email",
    )
    assert [(email, status, approval) for email, status, approval, *_ in rows] == [
        ("off@example.com", "suspended", None),
        ("on@example.com", "active", None),
        ("tutor@example.com", "active", "approved"),
    ]
    for *_, totp_enabled, recovery in rows:
        assert not totp_enabled
        assert recovery in ([], "[]")

    await downgrade(url, MIGRATIONS, "0001")
    rows = await execute(url, "SELECT email, is_active FROM users ORDER BY email")
    assert [(email, bool(active)) for email, active in rows] == [
        ("off@example.com", False),
        ("on@example.com", True),
        ("tutor@example.com", True),
    ]
