"""Revision 0024 widens a rollup's dimension to name a quiz question and keeps the rollups there
were; downgrading drops only the rows too wide for the old column (derived rows: the rebuild
writes them again after a new upgrade), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import MIGRATIONS
from tests.support.migrations import database_at, execute

from elearn.adapters.persistence.migrations import downgrade, upgrade

COURSE = "c" * 32
QUESTION = "a" * 32 + ":" + "q" * 64


@pytest.fixture(params=["sqlite", "postgres"])
def database_before_0024(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_at(request.param, tmp_path, "0023") as url:
        yield url


async def test_rollups_survive_and_only_question_rows_leave_on_downgrade(
    database_before_0024: str,
) -> None:
    url = database_before_0024
    insert = (
        "INSERT INTO analytics_rollups (metric, dimension, currency, slot, value)"
        " VALUES (:metric, :dimension, '', 1, 3)"
    )
    await execute(url, insert, metric="enrollments", dimension=COURSE)

    await upgrade(url, MIGRATIONS, "0024")
    await execute(url, insert, metric="quiz_item_answered", dimension=QUESTION)
    rows = "SELECT metric, dimension FROM analytics_rollups ORDER BY metric"
    assert await execute(url, rows) == [("enrollments", COURSE), ("quiz_item_answered", QUESTION)]

    await downgrade(url, MIGRATIONS, "0023")
    assert await execute(url, rows) == [("enrollments", COURSE)]
