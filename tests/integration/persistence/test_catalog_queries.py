"""The catalog's keyset pages, straight on SqlaCatalogQueries.published_courses, on SQLite and
PostgreSQL: for any set of courses (prices, counters, ratings and publish instants with many
ties, some not published) and any sort and page size, walking every cursor page yields exactly
the published courses in the order computed here by the sort key, then the id."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, literal_column, select
from tests.conftest import make_settings
from tests.support.identity import seed_accounts

from elearn.adapters.persistence.catalog_queries import SqlaCatalogQueries
from elearn.adapters.persistence.database import create_engine, create_session_factory
from elearn.adapters.persistence.models.catalog import CourseRow
from elearn.application.catalog.ports import CourseFilter, CourseSort
from elearn.domain.catalog.course import CourseStatus
from elearn.domain.identity.roles import Role

T0 = datetime(2026, 5, 4, 10, 20, 30, 123_456, tzinfo=UTC)
# Instants with ties, one of them written at another offset, one a microsecond apart.
INSTANTS = (
    T0,
    T0.astimezone(timezone(timedelta(hours=5, minutes=30))),
    T0 + timedelta(microseconds=1),
    T0 - timedelta(days=1),
    T0 + timedelta(days=400),
)
PRICES = ((0, None), (100, "USD"), (100, "EUR"), (999, "JPY"), (5000, "USD"), (99_999_999, "USD"))
ENROLLMENTS = (0, 1, 7, 2**31 - 1)
RATINGS = ((0, 0.0), (1, 5.0), (3, 13 / 3), (2, 4.5), (7, 13 / 3), (1, 1.0), (4, 0.1 + 0.2))
TITLES = ("Beta", "Alpha", "alpha Beta", "Gamma", "gamma ALPHA alpha")
TEXTS = ("", "alpha", "beta", "alpha beta", "gamma")
QUERIES = ("alpha", "beta", "alpha beta", "gamma alpha")
ORDERED_SORTS = tuple(s for s in CourseSort if s is not CourseSort.RELEVANCE)


@dataclass(frozen=True)
class Row:
    id: UUID
    status: CourseStatus
    published_at: datetime | None
    price: int
    currency: str | None
    enrollments: int
    ratings: int
    average: float
    title: str
    subtitle: str
    description: str


@st.composite
def course_rows(draw: st.DrawFn) -> Row:
    price, currency = draw(st.sampled_from(PRICES))
    ratings, average = draw(st.sampled_from(RATINGS))
    return Row(
        id=draw(st.uuids(version=4)),
        # Mostly published; the others must never show.
        status=draw(st.sampled_from([CourseStatus.PUBLISHED] * 5 + list(CourseStatus))),
        published_at=draw(st.sampled_from(INSTANTS)),
        price=price,
        currency=currency,
        enrollments=draw(st.sampled_from(ENROLLMENTS)),
        ratings=ratings,
        average=average,
        title=draw(st.sampled_from(TITLES)),
        subtitle=draw(st.sampled_from(TEXTS)),
        description=draw(st.sampled_from(TEXTS)),
    )


rows_strategy = st.lists(course_rows(), max_size=24, unique_by=lambda row: row.id)


# ---- the database ------------------------------------------------------------------------------
@pytest.fixture
def owner_id(tmp_path: Path, database_url: str) -> UUID:
    ids = asyncio.run(
        seed_accounts(make_settings(tmp_path, database_url), ("owner@catalog.test", Role.TUTOR))
    )
    return ids[0]


async def _replace_courses(engine: Any, owner: UUID, rows: Sequence[Row]) -> None:
    now = datetime.now(UTC)
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
                    "title": row.title,
                    "subtitle": row.subtitle,
                    "description": row.description,
                    "language": "en",
                    "level": "all",
                    "price_amount": row.price,
                    "price_currency": row.currency,
                    "category_id": None,
                    "tags": [],
                    "learning_outcomes": [],
                    "requirements": [],
                    "status": row.status.value,
                    "published_at": row.published_at,
                    "first_published_at": row.published_at,
                    "lesson_count": 0,
                    "duration_seconds": 0,
                    "enrollment_count": row.enrollments,
                    "rating_count": row.ratings,
                    "rating_average": row.average,
                    "created_at": now,
                    "updated_at": now,
                }
                for row in rows
            ],
        )


def _key(row: Row, sort: CourseSort) -> tuple[Any, bool]:
    assert row.published_at is not None
    return {
        CourseSort.NEWEST: (row.published_at, True),
        CourseSort.POPULAR: (row.enrollments, True),
        CourseSort.RATING: (row.average, True),
        CourseSort.PRICE_ASC: (row.price, False),
        CourseSort.PRICE_DESC: (row.price, True),
    }[sort]


def expected(rows: Sequence[Row], sort: CourseSort) -> list[UUID]:
    published = [row for row in rows if row.status is CourseStatus.PUBLISHED]
    descending = _key(published[0], sort)[1] if published else True
    ordered = sorted(published, key=lambda row: (_key(row, sort)[0], row.id.int))
    return [row.id for row in (reversed(ordered) if descending else ordered)]


def _sqlite_score(row: Row, q: str) -> int:
    score = 0
    for word in q.lower().split():
        score += 3 * (word in row.title.lower()) + 2 * (word in row.subtitle.lower())
        score += word in row.description.lower()
    return score


async def expected_by_relevance(engine: Any, rows: Sequence[Row], q: str) -> list[UUID]:
    words = q.lower().split()
    matching = [
        row
        for row in rows
        if row.status is CourseStatus.PUBLISHED
        and all(
            word in f"{row.title} {row.subtitle} {row.description}".lower().split()
            for word in words
        )
    ]
    if engine.dialect.name == "postgresql":
        # ts_rank is PostgreSQL's to compute; the order and the pages are what is checked.
        rank = func.ts_rank(
            literal_column("courses.search_document"),
            func.plainto_tsquery(literal_column("'simple'"), q),
        )
        async with engine.connect() as connection:
            ranks = dict(
                (await connection.execute(select(CourseRow.__table__.c.id, rank))).tuples().all()
            )
    else:
        ranks = {row.id: _sqlite_score(row, q) for row in matching}
    ordered = sorted(matching, key=lambda row: (ranks[row.id], row.id.int), reverse=True)
    return [row.id for row in ordered]


async def walk(
    queries: SqlaCatalogQueries, filters: CourseFilter, sort: CourseSort, size: int
) -> list[UUID]:
    seen: list[UUID] = []
    cursor: str | None = None
    while True:
        page = await queries.published_courses(filters, sort, limit=size, cursor=cursor)
        assert len(page.items) <= size
        assert page.items or cursor is None, "a cursor led to an empty page"
        assert page.next_cursor is None or len(page.items) == size
        seen += [item.id for item in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
        assert len(seen) <= 100, "the pages never end"


async def check_every_walk(
    url: str, owner: UUID, rows: Sequence[Row], sizes: dict[CourseSort, int], q: str
) -> None:
    engine = create_engine(url, pool_size=2)
    try:
        await _replace_courses(engine, owner, rows)
        queries = SqlaCatalogQueries(engine, create_session_factory(engine), image_url=str)
        for sort in ORDERED_SORTS:
            assert await walk(queries, CourseFilter(), sort, sizes[sort]) == expected(rows, sort), (
                sort,
                sizes[sort],
            )
        # Relevance without a search is popularity.
        assert await walk(
            queries, CourseFilter(), CourseSort.RELEVANCE, sizes[CourseSort.RELEVANCE]
        ) == expected(rows, CourseSort.POPULAR)
        assert await walk(
            queries, CourseFilter(q=q), CourseSort.RELEVANCE, sizes[CourseSort.RELEVANCE]
        ) == await expected_by_relevance(engine, rows, q), (q, sizes[CourseSort.RELEVANCE])
    finally:
        await engine.dispose()


# ---- the property ------------------------------------------------------------------------------
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=rows_strategy,
    sizes=st.fixed_dictionaries({sort: st.integers(1, 7) for sort in CourseSort}),
    q=st.sampled_from(QUERIES),
)
def test_walking_every_page_yields_the_whole_sorted_catalog(
    database_url: str, owner_id: UUID, rows: list[Row], sizes: dict[CourseSort, int], q: str
) -> None:
    asyncio.run(check_every_walk(database_url, owner_id, rows, sizes, q))


# ---- an exhaustive example ---------------------------------------------------------------------
def tie_heavy_catalog() -> list[Row]:
    """Every combination of two values per key, so each sort meets ties on its key."""
    rows = []
    for at, (price, currency), enrollments, (ratings, average), title in itertools.product(
        INSTANTS[:2], PRICES[:2], ENROLLMENTS[:2], RATINGS[:3:2], ("Alpha", "Beta alpha")
    ):
        rows.append(
            Row(
                uuid4(),
                CourseStatus.PUBLISHED,
                at,
                price,
                currency,
                enrollments,
                ratings,
                average,
                title,
                "",
                "alpha" if enrollments else "",
            )
        )
    return rows


def test_every_page_size_of_a_tie_heavy_catalog_walks_the_same_order(
    database_url: str, owner_id: UUID
) -> None:
    rows = tie_heavy_catalog()
    assert len(rows) == 32

    async def run() -> None:
        engine = create_engine(database_url, pool_size=2)
        try:
            await _replace_courses(engine, owner_id, rows)
            queries = SqlaCatalogQueries(engine, create_session_factory(engine), image_url=str)
            relevance = await expected_by_relevance(engine, rows, "alpha")
            assert len(relevance) == 32
            for size in (1, 2, 3, 5, 8, 31, 32, 33, 100):
                for sort in ORDERED_SORTS:
                    assert await walk(queries, CourseFilter(), sort, size) == expected(
                        rows, sort
                    ), (sort, size)
                assert (
                    await walk(queries, CourseFilter(q="alpha"), CourseSort.RELEVANCE, size)
                    == relevance
                ), size
        finally:
            await engine.dispose()

    asyncio.run(run())
