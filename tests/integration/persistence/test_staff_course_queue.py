"""The staff's course lists, straight on SqlaCatalogQueries, on SQLite and PostgreSQL: for any
set of courses (every state, submission and change instants with many ties) and any page size,
walking the pending queue yields exactly the pending courses oldest submitted first, any other
list yields its courses most recently changed first (the id breaking ties either way), and the
counts per state are those of the set."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from tests.conftest import make_settings
from tests.support.identity import seed_accounts

from elearn.adapters.persistence.catalog_queries import SqlaCatalogQueries
from elearn.adapters.persistence.database import create_engine, create_session_factory
from elearn.adapters.persistence.models.catalog import CourseRow
from elearn.domain.catalog.course import CourseStatus
from elearn.domain.identity.roles import Role

T0 = datetime(2026, 5, 4, 10, 20, 30, 123_456, tzinfo=UTC)
# Instants with ties, one of them written at another offset, one a microsecond apart.
INSTANTS = (
    T0,
    T0.astimezone(timezone(timedelta(hours=-3))),
    T0 + timedelta(microseconds=1),
    T0 - timedelta(days=2),
    T0 + timedelta(days=30),
)


@dataclass(frozen=True)
class Course:
    id: UUID
    status: CourseStatus
    submitted_at: datetime | None
    updated_at: datetime


@st.composite
def courses(draw: st.DrawFn) -> Course:
    status = draw(st.sampled_from(list(CourseStatus)))
    # A pending course always has been submitted; a draft may never have been.
    never_submitted = status is CourseStatus.DRAFT and draw(st.booleans())
    return Course(
        id=draw(st.uuids(version=4)),
        status=status,
        submitted_at=None if never_submitted else draw(st.sampled_from(INSTANTS)),
        updated_at=draw(st.sampled_from(INSTANTS)),
    )


@pytest.fixture
def owner_id(tmp_path: Path, database_url: str) -> UUID:
    ids = asyncio.run(
        seed_accounts(make_settings(tmp_path, database_url), ("owner@queue.test", Role.TUTOR))
    )
    return ids[0]


async def _replace_courses(engine: Any, owner: UUID, rows: Sequence[Course]) -> None:
    async with engine.begin() as connection:
        await connection.execute(delete(CourseRow))
        if not rows:
            return
        await connection.execute(
            insert(CourseRow),
            [
                {
                    "id": row.id,
                    "owner_id": owner,
                    "slug": f"c-{row.id.hex}",
                    "title": "A course",
                    "language": "en",
                    "level": "all",
                    "price_amount": 0,
                    "tags": [],
                    "learning_outcomes": [],
                    "requirements": [],
                    "status": row.status.value,
                    "submitted_at": row.submitted_at,
                    "created_at": T0 - timedelta(days=10),
                    "updated_at": row.updated_at,
                }
                for row in rows
            ],
        )


def expected(rows: Sequence[Course], status: CourseStatus | None) -> list[UUID]:
    chosen = [row for row in rows if status is None or row.status is status]
    if status is CourseStatus.PENDING:
        queue = sorted(chosen, key=lambda row: (row.submitted_at, row.id.int))
        return [row.id for row in queue]
    latest = sorted(chosen, key=lambda row: (row.updated_at, row.id.int), reverse=True)
    return [row.id for row in latest]


async def walk(queries: SqlaCatalogQueries, status: CourseStatus | None, size: int) -> list[UUID]:
    seen: list[UUID] = []
    cursor: str | None = None
    while True:
        page = await queries.staff_courses(status, None, limit=size, cursor=cursor)
        assert page.items or cursor is None, "a cursor led to an empty page"
        assert page.next_cursor is None or len(page.items) == size
        seen += [item.id for item in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
        assert len(seen) <= 100, "the pages never end"


async def check(url: str, owner: UUID, rows: Sequence[Course], size: int) -> None:
    engine = create_engine(url, pool_size=2)
    try:
        await _replace_courses(engine, owner, rows)
        queries = SqlaCatalogQueries(engine, create_session_factory(engine), image_url=str)
        for status in (None, *CourseStatus):
            assert await walk(queries, status, size) == expected(rows, status), (status, size)
        counted = Counter(row.status.value for row in rows)
        counts = await queries.course_status_counts()
        assert {state.value: getattr(counts, state.value) for state in CourseStatus} == {
            state.value: counted[state.value] for state in CourseStatus
        }
    finally:
        await engine.dispose()


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(courses(), max_size=20, unique_by=lambda row: row.id),
    size=st.integers(1, 6),
)
def test_every_staff_list_walks_its_courses_in_its_order(
    database_url: str, owner_id: UUID, rows: list[Course], size: int
) -> None:
    asyncio.run(check(database_url, owner_id, rows, size))
