"""Read side of the catalog: each answer is a fixed, small number of SQL statements whatever
the page size (one for a catalog page), selecting exactly the columns the API returns.

Catalog pages are keyset-paginated on (sort key, id). The cursor is the urlsafe base64 of
``[sort, key, id]`` of a page's last item; the next page is what sorts strictly after it, so
courses published meanwhile never shift or repeat items, and a deep page costs what the first
does. Search is PostgreSQL full-text search (the ``search_document`` column, ranked with
``ts_rank``) or, on SQLite, matching every word in title, subtitle or description, ranked by
where the words matched.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.catalog import (
    CategoryRow,
    CoInstructorInvitationRow,
    CourseInstructorRow,
    CoursePrerequisiteRow,
    CourseRevisionRow,
    CourseRow,
    CourseSlugRow,
    CourseTagRow,
    CourseTransitionRow,
    LessonRow,
    SectionRow,
)
from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.paging import (
    decode_cursor,
    encode_cursor,
    fetch_page,
    newest_first_after,
    oldest_first_after,
)
from elearn.adapters.persistence.raw_statements import Fields, compile_for_driver, driver_fetch
from elearn.adapters.persistence.text_search import (
    contains_word,
    document_query,
    escape_like,
    search_words,
    text_matches,
)
from elearn.application.authorization import STAFF_ROLES
from elearn.application.catalog.ports import (
    CategoryRef,
    CategoryView,
    CourseCard,
    CourseDetail,
    CourseFilter,
    CourseRef,
    CourseSort,
    CourseStatusCounts,
    InvitationView,
    LessonFileView,
    OutlineLesson,
    OutlineSectionView,
    OwnCourseCard,
    Person,
    RevisionCard,
    StaffCourseCard,
    TagCount,
    TransitionView,
)
from elearn.application.paging import InvalidCursor, Page
from elearn.domain.catalog.co_instructors import InvitationStatus
from elearn.domain.catalog.course import CourseStatus, LessonKind, Level
from elearn.domain.catalog.revision import RevisionStatus
from elearn.domain.shared.money import Money

_MAX_CURSOR_LENGTH = 300
PUBLISHED = CourseStatus.PUBLISHED.value

courses = CourseRow.__table__
categories = CategoryRow.__table__
users = UserRow.__table__

# The list's sort keys: (column or expression, descending?). The id breaks ties the same way.
_SORT_KEYS: dict[CourseSort, tuple[ColumnElement[Any], bool]] = {
    CourseSort.NEWEST: (courses.c.published_at, True),
    CourseSort.POPULAR: (courses.c.enrollment_count, True),
    CourseSort.RATING: (courses.c.rating_average, True),
    CourseSort.PRICE_ASC: (courses.c.price_amount, False),
    CourseSort.PRICE_DESC: (courses.c.price_amount, True),
}

_CARD_COLUMNS = (
    courses.c.id,
    courses.c.slug,
    courses.c.title,
    courses.c.subtitle,
    courses.c.price_amount,
    courses.c.price_currency,
    courses.c.level,
    courses.c.language,
    courses.c.category_id,
    categories.c.slug.label("category_slug"),
    categories.c.name.label("category_name"),
    courses.c.owner_id,
    users.c.full_name.label("owner_name"),
    courses.c.rating_average,
    courses.c.rating_count,
    courses.c.enrollment_count,
    courses.c.lesson_count,
    courses.c.duration_seconds,
    courses.c.thumbnail_key,
    courses.c.published_at,
)
_CARD_FROM = courses.join(users, users.c.id == courses.c.owner_id).outerjoin(
    categories, categories.c.id == courses.c.category_id
)


class _Interned:
    """Equal immutable values built once and shared: a catalog page repeats few distinct
    prices, categories and instructors, and building (and validating) each again for every
    card of every page costs more than finding it. Keyed by every field, so never stale;
    bounded all the same."""

    __slots__ = ("_build", "_built")
    _MOST = 4096

    def __init__(self, build: Callable[..., Any]) -> None:
        self._build = build
        self._built: dict[tuple[Any, ...], Any] = {}

    def __call__(self, *fields: Any) -> Any:
        found = self._built.get(fields)
        if found is None:
            if len(self._built) >= self._MOST:
                self._built.clear()
            found = self._built[fields] = self._build(*fields)
        return found


_MONEY, _CATEGORY, _PERSON = _Interned(Money), _Interned(CategoryRef), _Interned(Person)


def _price(amount: int | None, currency: str | None) -> Money | None:
    if not amount or not currency:
        return None
    price: Money = _MONEY(amount, currency)
    return price


# The enum by stored value, without Enum.__call__'s lookup machinery (a card is built per row).
_LEVELS = {level.value: level for level in Level}


def _rating(average: float, count: int) -> float | None:
    return round(average, 2) if count else None


# What a sort key can hold (the columns' own ranges: counts are 32-bit, prices 64-bit), so a
# forged cursor is refused instead of overflowing in the database.
_INT32, _INT64 = 2**31 - 1, 2**63 - 1
_KEY_RANGES: dict[CourseSort, tuple[float, float]] = {
    CourseSort.POPULAR: (0, _INT32),
    CourseSort.PRICE_ASC: (0, _INT64),
    CourseSort.PRICE_DESC: (0, _INT64),
    CourseSort.RATING: (0.0, 5.0),
    CourseSort.RELEVANCE: (0.0, 1e6),
}
_FRACTIONAL_KEYS = frozenset({CourseSort.RATING, CourseSort.RELEVANCE})


class CatalogCursor:
    """``[sort, key, id]``; a key is an ISO instant, a number, or null."""

    @staticmethod
    def encode(sort: CourseSort, key: Any, item_id: UUID) -> str:
        if isinstance(key, datetime):
            key = key.isoformat()
        raw = json.dumps([sort.value, key, str(item_id)], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode(cursor: str, sort: CourseSort) -> tuple[Any, UUID]:
        try:
            if len(cursor) > _MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            sort_name, key, id_text = json.loads(raw)
            if sort_name != sort.value:
                raise ValueError("a cursor of another order")
            if sort is CourseSort.NEWEST:
                key = datetime.fromisoformat(key)
                if key.tzinfo is None:
                    raise ValueError("naive instant")
                # As the database compares it; an offset can carry it out of datetime's range.
                key = key.astimezone(UTC)
            else:
                low, high = _KEY_RANGES[sort]
                if isinstance(key, bool) or not isinstance(key, int | float):
                    raise ValueError("not a number")
                if isinstance(key, float) and sort not in _FRACTIONAL_KEYS:
                    raise ValueError("not an integer")
                if not low <= key <= high:
                    raise ValueError("out of range")
            return key, UUID(id_text)
        except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
            raise InvalidCursor("this cursor is not one we gave out") from error


class SqlaCatalogQueries:
    def __init__(
        self,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        image_url: Callable[[str], str],
    ) -> None:
        # The hot reads use bare connections: no ORM session to set up and tear down.
        self._engine = engine
        self._sessions = session_factory
        self._dialect = engine.dialect.name
        self._image_url = image_url
        # On asyncpg the hottest reads (an unfiltered catalog page, a course) skip the ORM's
        # execution layer: their SQL is compiled once per shape, asyncpg prepares it once per
        # connection, and the rows come back as the driver decodes them (0.17 ms against
        # 0.40 ms through SQLAlchemy, measured). Everything else goes through SQLAlchemy.
        self._raw = RawStatements(engine.dialect) if engine.dialect.driver == "asyncpg" else None

    # ---- the catalog ------------------------------------------------------------------------
    async def published_courses(
        self, filters: CourseFilter, sort: CourseSort, *, limit: int, cursor: str | None
    ) -> Page[CourseCard]:
        if self._raw is not None and filters == _NO_FILTERS and sort in _SORT_KEYS:
            return await self._raw_published_courses(sort, limit=limit, cursor=cursor)
        dialect = self._dialect
        rank = _rank(filters.q, dialect) if filters.q else None
        if sort is CourseSort.RELEVANCE and rank is not None:
            key, descending = rank, True
        else:
            sort = CourseSort.POPULAR if sort is CourseSort.RELEVANCE else sort
            key, descending = _SORT_KEYS[sort]
        stmt = (
            select(*_CARD_COLUMNS, key.label("sort_key"))
            .select_from(_CARD_FROM)
            .where(courses.c.status == PUBLISHED, *_conditions(filters, dialect))
        )
        if descending:
            stmt = stmt.order_by(key.desc(), courses.c.id.desc())
        else:
            stmt = stmt.order_by(key.asc(), courses.c.id.asc())
        if cursor is not None:
            after_key, after_id = CatalogCursor.decode(cursor, sort)
            # Bound with the columns' own types: SQLite stores ids and instants its own way.
            position = tuple_(key, courses.c.id)
            after = tuple_(literal(after_key, key.type), literal(after_id, courses.c.id.type))
            stmt = stmt.where(position < after if descending else position > after)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(stmt.limit(limit + 1))).all()
        items = [self._card(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = CatalogCursor.encode(sort, last.sort_key, last.id)
        return Page(items=items, next_cursor=next_cursor)

    async def _raw_published_courses(
        self, sort: CourseSort, *, limit: int, cursor: str | None
    ) -> Page[CourseCard]:
        assert self._raw is not None
        args: list[Any]
        if cursor is None:
            sql, args = self._raw.catalog_page(sort, after=False), [limit + 1]
        else:
            after_key, after_id = CatalogCursor.decode(cursor, sort)
            sql, args = self._raw.catalog_page(sort, after=True), [after_key, after_id, limit + 1]
        rows = await self._fetch(sql, args)
        items = [self._card(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = CatalogCursor.encode(sort, last[-1], last[0])
        return Page(items=items, next_cursor=next_cursor)

    async def _fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        return await driver_fetch(self._engine, sql, args)

    async def _raw_course(self, key: UUID | str) -> tuple[Any, Sequence[Any], Sequence[Any]] | None:
        assert self._raw is not None
        # One round trip: the course row carries its outline and related rows as arrays of
        # records (see _course_page_statement).
        found = await self._fetch(self._raw.course_page(by_id=isinstance(key, UUID)), [key])
        if not found:
            return None
        fields = dict(found[0])
        # The driver hands JSON over as text; SQLAlchemy's type would have decoded it.
        for name in _JSON_COURSE_FIELDS:
            if isinstance(fields[name], str):
                fields[name] = json.loads(fields[name])
        # The outline and related records are read by position, as SQLAlchemy's rows are.
        return Fields(fields), fields.pop("outline"), fields.pop("related")

    def _card(self, row: Any) -> CourseCard:
        # Unpacked by position, in _CARD_COLUMNS' order: on the hottest path, looking each
        # column up by name costs more than building the card.
        (
            course_id,
            slug,
            title,
            subtitle,
            price_amount,
            price_currency,
            level,
            language,
            category_id,
            category_slug,
            category_name,
            owner_id,
            owner_name,
            rating_average,
            rating_count,
            enrollment_count,
            lesson_count,
            duration_seconds,
            thumbnail_key,
            published_at,
            _sort_key,
        ) = row
        return CourseCard(
            id=course_id,
            slug=slug,
            title=title,
            subtitle=subtitle,
            price=_price(price_amount, price_currency),
            is_free=price_amount == 0,
            level=_LEVELS[level],
            language=language,
            category=_CATEGORY(category_id, category_slug, category_name) if category_id else None,
            instructor=_PERSON(owner_id, owner_name),
            rating_average=_rating(rating_average, rating_count),
            rating_count=rating_count,
            enrollment_count=enrollment_count,
            lesson_count=lesson_count,
            duration_seconds=duration_seconds,
            thumbnail_url=self._image_url(thumbnail_key) if thumbnail_key else None,
            published_at=published_at,
        )

    # ---- an instructor's own courses --------------------------------------------------------
    async def instructor_courses(
        self, user_id: UUID, status: CourseStatus | None, *, limit: int, cursor: str | None
    ) -> Page[OwnCourseCard]:
        stmt = (
            select(
                courses.c.id,
                courses.c.slug,
                courses.c.title,
                courses.c.status,
                courses.c.owner_id,
                courses.c.price_amount,
                courses.c.price_currency,
                courses.c.lesson_count,
                courses.c.duration_seconds,
                courses.c.enrollment_count,
                courses.c.rating_average,
                courses.c.rating_count,
                courses.c.thumbnail_key,
                courses.c.rejection_reason,
                courses.c.created_at,
                courses.c.updated_at,
            )
            .join(CourseInstructorRow, CourseInstructorRow.course_id == courses.c.id)
            .where(CourseInstructorRow.user_id == user_id)
            .order_by(courses.c.updated_at.desc(), courses.c.id.desc())
        )
        if status is not None:
            stmt = stmt.where(courses.c.status == status.value)
        if cursor is not None:
            at, after_id = decode_cursor(cursor)
            stmt = stmt.where(
                tuple_(courses.c.updated_at, courses.c.id)
                < tuple_(
                    literal(at, courses.c.updated_at.type), literal(after_id, courses.c.id.type)
                )
            )
        async with self._sessions() as session:
            rows = (await session.execute(stmt.limit(limit + 1))).all()
        items = [
            OwnCourseCard(
                id=row.id,
                slug=row.slug,
                title=row.title,
                status=CourseStatus(row.status),
                is_owner=row.owner_id == user_id,
                price=_price(row.price_amount, row.price_currency),
                is_free=row.price_amount == 0,
                lesson_count=row.lesson_count,
                duration_seconds=row.duration_seconds,
                enrollment_count=row.enrollment_count,
                rating_average=_rating(row.rating_average, row.rating_count),
                rating_count=row.rating_count,
                thumbnail_url=self._image_url(row.thumbnail_key) if row.thumbnail_key else None,
                rejection_reason=row.rejection_reason,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows[:limit]
        ]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(last.updated_at, last.id)
        return Page(items=items, next_cursor=next_cursor)

    # ---- the staff's lists ------------------------------------------------------------------
    async def staff_courses(
        self,
        status: CourseStatus | None,
        instructor_id: UUID | None,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[StaffCourseCard]:
        stmt = select(
            CourseRow.id,
            CourseRow.slug,
            CourseRow.title,
            CourseRow.status,
            CourseRow.owner_id,
            users.c.full_name.label("owner_name"),
            CourseRow.category_id,
            categories.c.slug.label("category_slug"),
            categories.c.name.label("category_name"),
            CourseRow.price_amount,
            CourseRow.price_currency,
            CourseRow.lesson_count,
            CourseRow.enrollment_count,
            CourseRow.rejection_reason,
            CourseRow.submitted_at,
            CourseRow.published_at,
            CourseRow.created_at,
            CourseRow.updated_at,
        ).select_from(_CARD_FROM)
        if status is not None:
            stmt = stmt.where(CourseRow.status == status.value)
        if instructor_id is not None:
            teaches = select(CourseInstructorRow.course_id).where(
                CourseInstructorRow.course_id == CourseRow.id,
                CourseInstructorRow.user_id == instructor_id,
            )
            stmt = stmt.where(exists(teaches))
        # Submitting stamps submitted_at, so every pending course has one.
        queue = status is CourseStatus.PENDING
        if queue:
            stmt = oldest_first_after(stmt, cursor, CourseRow.submitted_at, CourseRow.id)
        else:
            stmt = newest_first_after(stmt, cursor, CourseRow.updated_at, CourseRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            self._staff_card,
            lambda row: (row.submitted_at if queue else row.updated_at, row.id),
        )

    def _staff_card(self, row: Any) -> StaffCourseCard:
        category = (
            CategoryRef(row.category_id, row.category_slug, row.category_name)
            if row.category_id is not None
            else None
        )
        return StaffCourseCard(
            id=row.id,
            slug=row.slug,
            title=row.title,
            status=CourseStatus(row.status),
            instructor=Person(row.owner_id, row.owner_name),
            category=category,
            price=_price(row.price_amount, row.price_currency),
            is_free=row.price_amount == 0,
            lesson_count=row.lesson_count,
            enrollment_count=row.enrollment_count,
            rejection_reason=row.rejection_reason,
            submitted_at=row.submitted_at,
            published_at=row.published_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def course_status_counts(self) -> CourseStatusCounts:
        stmt = select(courses.c.status, func.count()).group_by(courses.c.status)
        async with self._engine.connect() as connection:
            counted = dict((await connection.execute(stmt)).tuples().all())
        return CourseStatusCounts(**{state: counted.get(state.value, 0) for state in CourseStatus})

    # ---- one course -------------------------------------------------------------------------
    async def course_detail(self, key: UUID | str) -> CourseDetail | None:
        course: Any
        outline: Sequence[Any]
        related: Sequence[Any]
        if self._raw is not None:
            found = await self._raw_course(key)
            if found is None:
                return None
            course, outline, related = found
        else:
            async with self._engine.connect() as connection:
                if isinstance(key, UUID):
                    by_key = await connection.execute(_COURSE_BY_ID, {"course_id": key})
                else:
                    by_key = await connection.execute(_COURSE_BY_SLUG, {"slug": key})
                course = by_key.first()
                if course is None:
                    return None
                outline = (await connection.execute(_OUTLINE, {"course_id": course.id})).all()
                related = (await connection.execute(_RELATED, {"course_id": course.id})).all()
        sections: list[OutlineSectionView] = []
        for row in outline:
            section_id, section_title, lesson_id, *lesson = row
            if not sections or sections[-1].id != section_id:
                sections.append(OutlineSectionView(section_id, section_title, []))
            if lesson_id is not None:
                sections[-1].lessons.append(_outline_lesson(lesson_id, *lesson))
        # (kind, id, name, slug, status, position), as _related_statement selects them
        instructors = [Person(r[1], r[2]) for r in related if r[0] == "i"]
        prerequisites = [
            CourseRef(r[1], r[3], r[2], CourseStatus(r[4])) for r in related if r[0] == "p"
        ]
        return CourseDetail(
            id=course.id,
            slug=course.slug,
            title=course.title,
            subtitle=course.subtitle,
            description=course.description,
            language=course.language,
            level=Level(course.level),
            price=_price(course.price_amount, course.price_currency),
            is_free=course.price_amount == 0,
            status=CourseStatus(course.status),
            category=CategoryRef(course.category_id, course.category_slug, course.category_name)
            if course.category_id
            else None,
            tags=list(course.tags or ()),
            learning_outcomes=list(course.learning_outcomes or ()),
            requirements=list(course.requirements or ()),
            instructors=instructors,
            prerequisites=prerequisites,
            preview_lesson_id=course.preview_lesson_id,
            thumbnail_url=self._image_url(course.thumbnail_key) if course.thumbnail_key else None,
            rating_average=_rating(course.rating_average, course.rating_count),
            rating_count=course.rating_count,
            enrollment_count=course.enrollment_count,
            lesson_count=course.lesson_count,
            duration_seconds=course.duration_seconds,
            published_at=course.published_at,
            created_at=course.created_at,
            updated_at=course.updated_at,
            sections=sections,
            rejection_reason=course.rejection_reason,
        )

    async def course_id_for_slug(self, slug: str) -> UUID | None:
        async with self._sessions() as session:
            found: UUID | None = await session.scalar(
                select(CourseSlugRow.course_id).where(CourseSlugRow.slug == slug)
            )
            return found

    async def course_history(self, course_id: UUID) -> list[TransitionView]:
        stmt = (
            select(CourseTransitionRow, users.c.role)
            .outerjoin(users, users.c.id == CourseTransitionRow.actor_id)
            .where(CourseTransitionRow.course_id == course_id)
            .order_by(CourseTransitionRow.at, CourseTransitionRow.created_at)
        )
        async with self._sessions() as session:
            return [
                TransitionView(
                    at=row.at,
                    actor_id=row.actor_id,
                    actor_role=_transition_actor_role(row.actor_id, role),
                    action=row.action,
                    from_status=CourseStatus(row.from_status),
                    to_status=CourseStatus(row.to_status),
                    reason=row.reason,
                )
                for row, role in (await session.execute(stmt)).tuples()
            ]

    # ---- co-instructor invitations --------------------------------------------------------
    async def invitation(self, invitation_id: UUID) -> InvitationView | None:
        stmt = _INVITATIONS.where(CoInstructorInvitationRow.id == invitation_id)
        async with self._sessions() as session:
            row = (await session.execute(stmt)).first()
        return None if row is None else _invitation_view(row)

    async def invitations(
        self,
        *,
        course_id: UUID | None = None,
        invitee_id: UUID | None = None,
        status: InvitationStatus | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[InvitationView]:
        stmt = _INVITATIONS
        if course_id is not None:
            stmt = stmt.where(CoInstructorInvitationRow.course_id == course_id)
        if invitee_id is not None:
            stmt = stmt.where(CoInstructorInvitationRow.invitee_id == invitee_id)
        if status is not None:
            stmt = stmt.where(CoInstructorInvitationRow.status == status.value)
        stmt = newest_first_after(
            stmt, cursor, CoInstructorInvitationRow.created_at, CoInstructorInvitationRow.id
        )
        return await fetch_page(
            self._sessions, stmt, limit, _invitation_view, lambda row: (row.created_at, row.id)
        )

    async def revisions(
        self, status: RevisionStatus | None, *, limit: int, cursor: str | None
    ) -> Page[RevisionCard]:
        stmt = select(
            CourseRevisionRow.course_id,
            CourseRevisionRow.status,
            CourseRevisionRow.submitted_at,
            CourseRevisionRow.updated_at,
            CourseRow.slug,
            CourseRow.title,
            CourseRow.status.label("course_status"),
        ).join(CourseRow, CourseRow.id == CourseRevisionRow.course_id)
        if status is not None:
            stmt = stmt.where(CourseRevisionRow.status == status.value)
        stmt = newest_first_after(
            stmt, cursor, CourseRevisionRow.updated_at, CourseRevisionRow.course_id
        )
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: RevisionCard(
                course=CourseRef(
                    row.course_id, row.slug, row.title, CourseStatus(row.course_status)
                ),
                status=RevisionStatus(row.status),
                submitted_at=row.submitted_at,
                updated_at=row.updated_at,
            ),
            lambda row: (row.updated_at, row.course_id),
        )

    # ---- categories and tags ----------------------------------------------------------------
    async def categories(self) -> list[CategoryView]:
        published_count = (
            select(func.count())
            .where(courses.c.category_id == categories.c.id, courses.c.status == PUBLISHED)
            .scalar_subquery()
        )
        stmt = select(categories, published_count.label("course_count")).order_by(categories.c.name)
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        views = [
            CategoryView(
                id=row.id,
                slug=row.slug,
                name=row.name,
                description=row.description,
                icon=row.icon,
                parent_id=row.parent_id,
                course_count=row.course_count,
            )
            for row in rows
        ]
        return _parents_first(views)

    async def tags(self, *, prefix: str | None, limit: int) -> list[TagCount]:
        count = func.count().label("course_count")
        stmt = (
            select(CourseTagRow.tag, count)
            .join(courses, courses.c.id == CourseTagRow.course_id)
            .where(courses.c.status == PUBLISHED)
            .group_by(CourseTagRow.tag)
            .order_by(count.desc(), CourseTagRow.tag)
            .limit(limit)
        )
        if prefix:
            stmt = stmt.where(CourseTagRow.tag.like(escape_like(prefix) + "%", escape="\\"))
        async with self._sessions() as session:
            return [TagCount(tag, n) for tag, n in (await session.execute(stmt)).all()]


# ---- statement parts -------------------------------------------------------------------------
def _rank(q: str, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.ts_rank(literal_column("courses.search_document"), document_query(q))
    score: ColumnElement[Any] = literal(0)
    for word in search_words(q):
        score = (
            score
            + case((contains_word(courses.c.title, word), 3), else_=0)
            + case((contains_word(courses.c.subtitle, word), 2), else_=0)
            + case((contains_word(courses.c.description, word), 1), else_=0)
        )
    return score


def _search(q: str, dialect: str) -> ColumnElement[bool]:
    return text_matches(
        q,
        dialect,
        document="courses.search_document",
        columns=(courses.c.title, courses.c.subtitle, courses.c.description),
    )


def _conditions(filters: CourseFilter, dialect: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.q:
        where.append(_search(filters.q, dialect))
    if filters.category is not None:
        where.append(courses.c.category_id.in_(_category_subtree(filters.category)))
    if filters.tag is not None:
        where.append(
            exists().where(CourseTagRow.course_id == courses.c.id, CourseTagRow.tag == filters.tag)
        )
    if filters.level is not None:
        where.append(courses.c.level == filters.level.value)
    if filters.language is not None:
        where.append(courses.c.language == filters.language)
    if filters.free is True:
        where.append(courses.c.price_amount == 0)
    elif filters.free is False:
        where.append(courses.c.price_amount > 0)
    if filters.price_min is not None or filters.price_max is not None:
        # A free course costs 0 in every currency.
        where.append(or_(courses.c.price_amount == 0, courses.c.price_currency == filters.currency))
        if filters.price_min is not None:
            where.append(courses.c.price_amount >= filters.price_min)
        if filters.price_max is not None:
            where.append(courses.c.price_amount <= filters.price_max)
    if filters.instructor_id is not None:
        where.append(
            exists().where(
                CourseInstructorRow.course_id == courses.c.id,
                CourseInstructorRow.user_id == filters.instructor_id,
            )
        )
    if filters.rating_min:
        where.append(courses.c.rating_count > 0)
        where.append(courses.c.rating_average >= filters.rating_min)
    return where


def _category_subtree(id_or_slug: str) -> Select[Any]:
    try:
        root = categories.c.id == UUID(id_or_slug)
    except ValueError:
        root = categories.c.slug == id_or_slug
    tree = select(categories.c.id).where(root).cte("category_tree", recursive=True)
    tree = tree.union_all(select(categories.c.id).where(categories.c.parent_id == tree.c.id))
    return select(tree.c.id)


def _course_statement(which: ColumnElement[bool]) -> Select[Any]:
    return (
        select(
            courses,
            categories.c.slug.label("category_slug"),
            categories.c.name.label("category_name"),
        )
        .select_from(courses.outerjoin(categories, categories.c.id == courses.c.category_id))
        .where(which)
    )


def _outline_statement(course_id: Any) -> Select[Any]:
    return (
        select(
            SectionRow.id.label("section_id"),
            SectionRow.title.label("section_title"),
            LessonRow.id.label("lesson_id"),
            LessonRow.kind,
            LessonRow.title,
            LessonRow.duration_seconds,
            LessonRow.is_free_preview,
            LessonRow.is_required,
            LessonRow.text,
            LessonRow.video_url,
            LessonRow.file_name,
            LessonRow.file_content_type,
            LessonRow.file_size,
        )
        .outerjoin(LessonRow, LessonRow.section_id == SectionRow.id)
        .where(SectionRow.course_id == course_id)
        .order_by(SectionRow.position, LessonRow.position)
    )


def _outline_lesson(
    lesson_id: UUID,
    kind: str,
    title: str,
    duration_seconds: int,
    is_free_preview: bool,
    is_required: bool,
    text: str | None,
    video_url: str | None,
    file_name: str | None,
    file_content_type: str,
    file_size: int,
) -> OutlineLesson:
    """A lesson of the outline from its row's columns after the section's, in
    _outline_statement's order (by position: a course page maps a row per lesson)."""
    return OutlineLesson(
        id=lesson_id,
        kind=_LESSON_KINDS[kind],
        title=title,
        duration_seconds=duration_seconds,
        is_free_preview=is_free_preview,
        is_required=is_required,
        text=text,
        video_url=video_url,
        file=LessonFileView(file_name, file_content_type, file_size) if file_name else None,
    )


_LESSON_KINDS = {kind.value: kind for kind in LessonKind}


def _related_statement(course_id: Any) -> Any:
    """Instructors (owner first) and prerequisites of a course, in one statement."""
    prerequisite = CourseRow.__table__.alias("prerequisite")
    instructors = (
        select(
            literal("i").label("kind"),
            CourseInstructorRow.user_id.label("id"),
            users.c.full_name.label("name"),
            literal("").label("slug"),
            literal("").label("status"),
            CourseInstructorRow.position,
        )
        .join(users, users.c.id == CourseInstructorRow.user_id)
        .where(CourseInstructorRow.course_id == course_id)
    )
    prerequisites = (
        select(
            literal("p").label("kind"),
            CoursePrerequisiteRow.prerequisite_id.label("id"),
            prerequisite.c.title.label("name"),
            prerequisite.c.slug,
            prerequisite.c.status,
            CoursePrerequisiteRow.position,
        )
        .join(prerequisite, prerequisite.c.id == CoursePrerequisiteRow.prerequisite_id)
        .where(CoursePrerequisiteRow.course_id == course_id)
    )
    combined = union_all(instructors, prerequisites).subquery()
    return select(combined).order_by(combined.c.kind, combined.c.position)


_NO_FILTERS = CourseFilter()
_JSON_COURSE_FIELDS = ("tags", "learning_outcomes", "requirements")


class RawStatements:
    """The hot reads' SQL for the driver, compiled from the same SQLAlchemy statements once per
    shape, with the values as the driver's positional parameters (in the order given)."""

    def __init__(self, dialect: Any) -> None:
        self._dialect = dialect
        self._pages: dict[tuple[CourseSort, bool], str] = {}
        self._course_page_by_id = self._compile(
            _course_page_statement(courses.c.id == _COURSE_ID), ["course_id"]
        )
        self._course_page_by_slug = self._compile(_course_page_statement(_BY_SLUG), ["slug"])

    def course_page(self, *, by_id: bool) -> str:
        """A course with its category's slug and name, its outline and its related rows (as
        arrays of records, in _OUTLINE's and _RELATED's columns and order); parameter: its
        id, or any slug."""
        return self._course_page_by_id if by_id else self._course_page_by_slug

    def catalog_page(self, sort: CourseSort, *, after: bool) -> str:
        """Published courses in ``sort`` order; parameters: [after key, after id,] limit."""
        found = self._pages.get((sort, after))
        if found is None:
            found = self._pages[(sort, after)] = self._compile(
                _catalog_page_statement(sort, after=after), ["after_key", "after_id", "row_limit"]
            )
        return found

    def _compile(self, stmt: Any, order: Sequence[str]) -> str:
        return compile_for_driver(self._dialect, stmt, order)


def _catalog_page_statement(sort: CourseSort, *, after: bool) -> Select[Any]:
    key, descending = _SORT_KEYS[sort]
    stmt = (
        select(*_CARD_COLUMNS, key.label("sort_key"))
        .select_from(_CARD_FROM)
        .where(courses.c.status == PUBLISHED)
    )
    if descending:
        stmt = stmt.order_by(key.desc(), courses.c.id.desc())
    else:
        stmt = stmt.order_by(key.asc(), courses.c.id.asc())
    if after:
        position = tuple_(key, courses.c.id)
        bound = tuple_(
            bindparam("after_key", type_=key.type), bindparam("after_id", type_=courses.c.id.type)
        )
        stmt = stmt.where(position < bound if descending else position > bound)
    return stmt.limit(bindparam("row_limit", type_=Integer()))


# A course's statements, built once: building and caching a statement costs more CPU than
# running it does on the detail path.
_COURSE_ID = bindparam("course_id", type_=courses.c.id.type)
_BY_SLUG = (
    courses.c.id
    == select(CourseSlugRow.course_id)
    .where(CourseSlugRow.slug == bindparam("slug"))
    .scalar_subquery()
)
_COURSE_BY_ID = _course_statement(courses.c.id == _COURSE_ID)
_COURSE_BY_SLUG = _course_statement(_BY_SLUG)
_OUTLINE = _outline_statement(_COURSE_ID)
_RELATED = _related_statement(_COURSE_ID)


def _course_page_statement(which: ColumnElement[bool]) -> Select[Any]:
    """The course page in one statement (PostgreSQL): the course row of _course_statement with
    its outline and related rows, each an array of records in that statement's column order
    and ORDER BY. Three round trips on one pooled connection cost more server CPU than the
    course itself; SQLite, which has no arrays, runs the three statements."""
    course = _course_statement(which).cte("course")
    return select(
        course,
        _rows_as_array(_outline_statement(course.c.id)).label("outline"),
        _rows_as_array(_related_statement(course.c.id)).label("related"),
    )


def _rows_as_array(stmt: Select[Any]) -> ColumnElement[Any]:
    """``ARRAY((SELECT (the columns) ... ORDER BY ...))``: ``stmt``'s rows, in its order, as one
    value of the enclosing row; the driver decodes each record as a tuple of typed values."""
    rows = stmt.with_only_columns(tuple_(*stmt.selected_columns), maintain_column_froms=True)
    return func.array(rows.scalar_subquery())


def _parents_first(views: Sequence[CategoryView]) -> list[CategoryView]:
    """Depth first: each category right after its parent, siblings by name."""
    children: dict[UUID | None, list[CategoryView]] = {}
    for view in views:
        children.setdefault(view.parent_id, []).append(view)
    ordered: list[CategoryView] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        view = stack.pop()
        ordered.append(view)
        stack.extend(reversed(children.get(view.id, [])))
    return ordered


_INVITATIONS = (
    select(
        CoInstructorInvitationRow.id,
        CoInstructorInvitationRow.status,
        CoInstructorInvitationRow.created_at,
        CoInstructorInvitationRow.responded_at,
        CoInstructorInvitationRow.invitee_id,
        users.c.full_name.label("invitee_name"),
        CourseRow.id.label("course_id"),
        CourseRow.slug.label("course_slug"),
        CourseRow.title.label("course_title"),
        CourseRow.status.label("course_status"),
    )
    .join(users, users.c.id == CoInstructorInvitationRow.invitee_id)
    .join(CourseRow, CourseRow.id == CoInstructorInvitationRow.course_id)
)


def _invitation_view(row: Any) -> InvitationView:
    return InvitationView(
        id=row.id,
        course=CourseRef(
            row.course_id, row.course_slug, row.course_title, CourseStatus(row.course_status)
        ),
        invitee=Person(row.invitee_id, row.invitee_name),
        status=InvitationStatus(row.status),
        created_at=row.created_at,
        responded_at=row.responded_at,
    )


_STAFF_ROLE_VALUES = frozenset(role.value for role in STAFF_ROLES)


def _transition_actor_role(actor_id: UUID | None, role: str | None) -> str:
    if actor_id is None:
        return "system"
    # The account's role now: a member of staff who moved a course stays hidden as staff.
    return "staff" if role in _STAFF_ROLE_VALUES else "instructor"
