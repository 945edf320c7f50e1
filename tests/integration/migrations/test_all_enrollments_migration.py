"""The per-quarter-hour sum of enrollments in every course is filled for the slots counted
before it existed, on SQLite and PostgreSQL, and removed again on the way down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import MIGRATIONS
from tests.support.migrations import database_at, execute

from elearn.adapters.persistence.migrations import downgrade, upgrade

BEFORE, AFTER = "0020", "0021"


@pytest.fixture(params=["sqlite", "postgres"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_at(request.param, tmp_path, BEFORE) as url:
        yield url


async def test_all_enrollments_are_the_per_course_rows_summed_per_slot(
    database_before: str,
) -> None:
    url = database_before
    for metric, course, slot, value in (
        ("enrollments", "a", 100, 2),
        ("enrollments", "b", 100, 3),
        ("enrollments", "a", 101, 1),
        ("completions", "a", 100, 7),  # not an enrollment
    ):
        await execute(
            url,
            "INSERT INTO analytics_rollups (metric, dimension, currency, slot, value)"
            " VALUES (:metric, :course, '', :slot, :value)",
            metric=metric,
            course=course,
            slot=slot,
            value=value,
        )

    await upgrade(url, MIGRATIONS, AFTER)
    select = (
        "SELECT dimension, currency, slot, value FROM analytics_rollups"
        " WHERE metric = 'all_enrollments' ORDER BY slot"
    )
    assert await execute(url, select) == [("", "", 100, 5), ("", "", 101, 1)]

    await downgrade(url, MIGRATIONS, BEFORE)
    assert await execute(url, select) == []
    assert len(await execute(url, "SELECT * FROM analytics_rollups")) == 4
