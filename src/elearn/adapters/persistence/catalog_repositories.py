"""Catalog repositories: the course aggregate over its tables, and categories.

A course is written at commit in table order with a flush between steps (the tables have no ORM
relationships to order the statements): the course row, then sections, then lessons, then
removals, so a lesson moved out of a section is saved before that section is deleted.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.adapters.persistence.catalog_facts import (
    FACT_COLUMNS,
    course_facts,
    lesson_of,
    with_links,
)
from elearn.adapters.persistence.models.catalog import (
    CategoryRow,
    CoInstructorInvitationRow,
    CourseInstructorRow,
    CoursePrerequisiteRow,
    CourseRevisionItemRow,
    CourseRevisionRow,
    CourseRow,
    CourseSlugRow,
    CourseTagRow,
    CourseTransitionRow,
    LessonRow,
    SectionRow,
)
from elearn.adapters.persistence.repository_base import (
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    enum,
)
from elearn.adapters.persistence.text_search import escape_like
from elearn.application.catalog.ports import (
    CourseFacts,
    CourseForSale,
    LessonInCourse,
    OutlineEntry,
)
from elearn.domain.catalog.category import Category
from elearn.domain.catalog.co_instructors import CoInstructorInvitation, InvitationStatus
from elearn.domain.catalog.course import (
    Course,
    CourseAction,
    CourseStatus,
    CourseTransition,
    Lesson,
    LessonFile,
    LessonKind,
    Level,
    Section,
)
from elearn.domain.catalog.revision import CourseRevision, RevisionStatus
from elearn.domain.shared.money import Money

# Any constant: every transaction that changes prerequisites takes this one lock.
_PREREQUISITE_LOCK = zlib.crc32(b"elearn.catalog.prerequisites")


def _slug_family(column: Any, base: str) -> ColumnElement[bool]:
    """``base`` itself or ``base-<anything>``: the slugs ``first_free_slug`` would try."""
    return or_(column == base, column.like(escape_like(base) + "-%", escape="\\"))


@dataclass
class CourseRows:
    """The rows one course was loaded from (or will be written to)."""

    course: CourseRow
    sections: dict[UUID, SectionRow] = field(default_factory=dict)
    lessons: dict[UUID, LessonRow] = field(default_factory=dict)
    instructors: dict[UUID, CourseInstructorRow] = field(default_factory=dict)
    prerequisites: dict[UUID, CoursePrerequisiteRow] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    slugs: set[str] = field(default_factory=set)
    history: list[CourseTransitionRow] = field(default_factory=list)
    stored_transitions: int = 0
    is_new: bool = False


# What a sale reads of a course, built once with bound values (every sale asks): one row per
# instructor (the owner may have none of their own), the course named by id or by any slug.
_FOR_SALE = select(
    CourseRow.id,
    CourseRow.title,
    CourseRow.owner_id,
    CourseRow.status,
    CourseRow.price_amount,
    CourseRow.price_currency,
    CourseInstructorRow.user_id,
).outerjoin(CourseInstructorRow, CourseInstructorRow.course_id == CourseRow.id)
_FOR_SALE_BY_ID = _FOR_SALE.where(CourseRow.id == bindparam("course_id", type_=CourseRow.id.type))
_FOR_SALE_BY_SLUG = _FOR_SALE.where(
    CourseRow.id
    == select(CourseSlugRow.course_id)
    .where(CourseSlugRow.slug == bindparam("slug", type_=CourseSlugRow.slug.type))
    .scalar_subquery()
)
# A course's lessons in order, whether each is required (a new enrollment's progress).
_OUTLINE = (
    select(LessonRow.id, LessonRow.is_required)
    .where(LessonRow.course_id == bindparam("course_id", type_=LessonRow.course_id.type))
    .order_by(LessonRow.position)
)


class SqlaCourseRepository(TrackingRepository[Course, CourseRows]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._removed: list[CourseRow] = []
        self.touched = False  # whether this transaction loaded, added or removed a course

    # ---- reading ----------------------------------------------------------------------------
    async def add(self, course: Course) -> None:
        row = CourseRow(id=course.id, created_at=course.created_at)
        self._track(course.id, course, CourseRows(course=row, is_new=True))

    async def get(self, course_id: UUID, *, for_update: bool = False) -> Course | None:
        if course_id in self._tracked:
            return self._tracked[course_id][0]
        stmt = select(CourseRow).where(CourseRow.id == course_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = await self.session.scalar(stmt)
        if row is None:
            return None
        rows = await self._children(row)
        return self._track(course_id, self._from_rows(rows), rows)

    async def get_by_lesson(self, lesson_id: UUID, *, for_update: bool = False) -> Course | None:
        for course in self.seen:
            if any(lesson.id == lesson_id for lesson in course.lessons):
                return course
        course_id = await self.session.scalar(
            select(LessonRow.course_id).where(LessonRow.id == lesson_id)
        )
        return None if course_id is None else await self.get(course_id, for_update=for_update)

    async def get_by_section(self, section_id: UUID, *, for_update: bool = False) -> Course | None:
        for course in self.seen:
            if any(section.id == section_id for section in course.sections):
                return course
        course_id = await self.session.scalar(
            select(SectionRow.course_id).where(SectionRow.id == section_id)
        )
        return None if course_id is None else await self.get(course_id, for_update=for_update)

    async def id_for_slug(self, slug: str) -> UUID | None:
        for course, rows in self._tracked.values():
            if slug == course.slug or slug in rows.slugs:
                return course.id
        found: UUID | None = await self.session.scalar(
            select(CourseSlugRow.course_id).where(CourseSlugRow.slug == slug)
        )
        return found

    async def for_sale(self, course_key: UUID | str) -> CourseForSale | None:
        for course, rows in self._tracked.values():
            if course_key in (course.id, course.slug) or course_key in rows.slugs:
                return CourseForSale(
                    id=course.id,
                    title=course.title,
                    owner_id=course.owner_id,
                    instructor_ids=frozenset(course.instructor_ids),
                    is_published=course.status is CourseStatus.PUBLISHED,
                    is_free=course.is_free,
                    price=course.price,
                )
        values: dict[str, UUID | str]
        if isinstance(course_key, UUID):
            stmt, values = _FOR_SALE_BY_ID, {"course_id": course_key}
        else:
            stmt, values = _FOR_SALE_BY_SLUG, {"slug": course_key}
        per_instructor = (await self.session.execute(stmt, values)).all()
        if not per_instructor:
            return None
        course_id, title, owner_id, status, amount, currency, _ = per_instructor[0]
        instructors = (row.user_id for row in per_instructor if row.user_id is not None)
        return CourseForSale(
            id=course_id,
            title=title,
            owner_id=owner_id,
            instructor_ids=frozenset({owner_id, *instructors}),
            is_published=status == CourseStatus.PUBLISHED.value,
            is_free=amount == 0,
            price=Money(amount, currency) if amount and currency else None,
        )

    async def slugs_like(self, base: str, *, other_than: UUID | None = None) -> set[str]:
        stmt = select(CourseSlugRow.slug).where(_slug_family(CourseSlugRow.slug, base))
        if other_than is not None:
            stmt = stmt.where(CourseSlugRow.course_id != other_than)
        taken = set(await self.session.scalars(stmt))
        for course, rows in self._tracked.values():
            if course.id != other_than:
                taken |= {course.slug, *rows.slugs}
        return taken

    async def statuses(self, course_ids: tuple[UUID, ...]) -> Mapping[UUID, CourseStatus]:
        found = {
            course_id: CourseStatus(status)
            for course_id, status in await self.session.execute(
                select(CourseRow.id, CourseRow.status).where(CourseRow.id.in_(course_ids))
            )
        }
        for course in self.seen:
            if course.id in course_ids:
                found[course.id] = course.status
        return found

    async def lock_prerequisite_graph(self) -> None:
        # SQLite: the write transaction already holds the database's only write lock.
        if self.session.bind.dialect.name == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(_PREREQUISITE_LOCK)))

    async def prerequisite_graph(self, starts: tuple[UUID, ...]) -> Mapping[UUID, tuple[UUID, ...]]:
        if not starts:
            return {}
        edges = CoursePrerequisiteRow.__table__
        reach = select(CourseRow.id.label("id")).where(CourseRow.id.in_(starts)).cte(recursive=True)
        reach = reach.union(
            select(edges.c.prerequisite_id).join(reach, edges.c.course_id == reach.c.id)
        )
        rows = await self.session.execute(
            select(edges.c.course_id, edges.c.prerequisite_id).where(
                edges.c.course_id.in_(select(reach.c.id))
            )
        )
        graph: dict[UUID, list[UUID]] = {}
        for course_id, prerequisite_id in rows:
            graph.setdefault(course_id, []).append(prerequisite_id)
        # What this transaction changed but has not written yet wins.
        result = {course_id: tuple(ids) for course_id, ids in graph.items()}
        for course in self.seen:
            result[course.id] = course.prerequisite_ids
        return result

    # ---- narrow reads for other contexts ------------------------------------------------------
    async def course_facts(self, course_id: UUID) -> CourseFacts | None:
        if course_id in self._tracked:
            return CourseFacts.of(self._tracked[course_id][0])
        rows = (
            await self.session.execute(
                with_links(select(*FACT_COLUMNS)).where(CourseRow.id == course_id)
            )
        ).all()
        return course_facts(rows) if rows else None

    async def teaches_any(self, user_id: UUID, course_ids: Collection[UUID]) -> bool:
        if not course_ids:
            return False
        stmt = select(
            exists().where(
                CourseInstructorRow.user_id == user_id,
                CourseInstructorRow.course_id.in_(list(course_ids)),
            )
        )
        return bool(await self.session.scalar(stmt))

    async def lesson_in_course(self, lesson_id: UUID) -> LessonInCourse | None:
        for course in self.seen:
            if any(lesson.id == lesson_id for lesson in course.lessons):
                return LessonInCourse.of(course, lesson_id)
        rows = (
            await self.session.execute(
                with_links(select(*FACT_COLUMNS, LessonRow))
                .join(LessonRow, LessonRow.course_id == CourseRow.id)
                .where(LessonRow.id == lesson_id)
            )
        ).all()
        if not rows:
            return None
        lesson_row: LessonRow = rows[0].LessonRow
        return LessonInCourse(course_facts(rows), lesson_row.section_id, lesson_of(lesson_row))

    async def outline(self, course_id: UUID) -> list[OutlineEntry]:
        if course_id in self._tracked:
            course = self._tracked[course_id][0]
            return [OutlineEntry(lesson.id, lesson.is_required) for lesson in course.lessons]
        rows = await self.session.execute(_OUTLINE, {"course_id": course_id})
        return [OutlineEntry(lesson_id, is_required) for lesson_id, is_required in rows]

    async def remove(self, course: Course) -> None:
        self.touched = True
        course_id = course.id
        _, rows = self._tracked.pop(course_id)
        if not rows.is_new:
            self._removed.append(rows.course)

    async def _children(self, row: CourseRow) -> CourseRows:
        rows = CourseRows(course=row)
        course_id = row.id
        for section in await self.session.scalars(
            select(SectionRow)
            .where(SectionRow.course_id == course_id)
            .order_by(SectionRow.position)
        ):
            rows.sections[section.id] = section
        for lesson in await self.session.scalars(
            select(LessonRow).where(LessonRow.course_id == course_id).order_by(LessonRow.position)
        ):
            rows.lessons[lesson.id] = lesson
        for instructor in await self.session.scalars(
            select(CourseInstructorRow)
            .where(CourseInstructorRow.course_id == course_id)
            .order_by(CourseInstructorRow.position)
        ):
            rows.instructors[instructor.user_id] = instructor
        for prerequisite in await self.session.scalars(
            select(CoursePrerequisiteRow)
            .where(CoursePrerequisiteRow.course_id == course_id)
            .order_by(CoursePrerequisiteRow.position)
        ):
            rows.prerequisites[prerequisite.prerequisite_id] = prerequisite
        rows.tags = set(
            await self.session.scalars(
                select(CourseTagRow.tag).where(CourseTagRow.course_id == course_id)
            )
        )
        rows.slugs = set(
            await self.session.scalars(
                select(CourseSlugRow.slug).where(CourseSlugRow.course_id == course_id)
            )
        )
        rows.history = list(
            await self.session.scalars(
                select(CourseTransitionRow)
                .where(CourseTransitionRow.course_id == course_id)
                .order_by(CourseTransitionRow.at, CourseTransitionRow.created_at)
            )
        )
        rows.stored_transitions = len(rows.history)
        return rows

    def _from_rows(self, rows: CourseRows) -> Course:
        row = rows.course
        lessons_by_section: dict[UUID, list[Lesson]] = {
            section_id: [] for section_id in rows.sections
        }
        for lesson_row in rows.lessons.values():
            lessons_by_section.setdefault(lesson_row.section_id, []).append(lesson_of(lesson_row))
        instructors = sorted(rows.instructors.values(), key=lambda r: r.position)
        return Course(
            id=row.id,
            owner_id=row.owner_id,
            title=row.title,
            slug=row.slug,
            created_at=row.created_at,
            updated_at=row.updated_at,
            subtitle=row.subtitle,
            description=row.description,
            language=row.language,
            level=Level(row.level),
            price=Money(row.price_amount, row.price_currency)
            if row.price_amount and row.price_currency
            else None,
            is_free=row.price_amount == 0,
            category_id=row.category_id,
            tags=tuple(row.tags or ()),
            learning_outcomes=tuple(row.learning_outcomes or ()),
            requirements=tuple(row.requirements or ()),
            prerequisite_ids=tuple(
                r.prerequisite_id
                for r in sorted(rows.prerequisites.values(), key=lambda r: r.position)
            ),
            co_instructor_ids=tuple(r.user_id for r in instructors if r.user_id != row.owner_id),
            thumbnail_key=row.thumbnail_key,
            preview_lesson_id=row.preview_lesson_id,
            status=CourseStatus(row.status),
            sections=[
                Section(id=section.id, title=section.title, lessons=lessons_by_section[section.id])
                for section in rows.sections.values()
            ],
            history=[TRANSITION_FIELDS.load(t) for t in rows.history],
            submitted_at=row.submitted_at,
            published_at=row.published_at,
            first_published_at=row.first_published_at,
            rejection_reason=row.rejection_reason,
            enrollment_count=row.enrollment_count,
            rating_count=row.rating_count,
            rating_average=row.rating_average if row.rating_count else None,
        )

    # ---- writing ----------------------------------------------------------------------------
    async def flush_changes(self) -> None:
        pending = list(self._tracked.values())
        self.touched = self.touched or bool(pending)
        for course, rows in pending:
            _course_to_row(course, rows.course)
            if rows.is_new:
                self.session.add(rows.course)
        await self.session.flush()
        for course, rows in pending:
            self._sync_sections(course, rows)
        await self.session.flush()
        for course, rows in pending:
            self._sync_lessons(course, rows)
        await self.session.flush()
        for course, rows in pending:
            await self._sync_the_rest(course, rows)
            rows.is_new = False
        for row in self._removed:
            await self.session.delete(row)
        self._removed = []
        await self.session.flush()

    def _sync_sections(self, course: Course, rows: CourseRows) -> None:
        for position, section in enumerate(course.sections):
            row = rows.sections.get(section.id)
            if row is None:
                row = SectionRow(id=section.id, course_id=course.id)
                self.session.add(row)
                rows.sections[section.id] = row
            row.position = position
            row.title = section.title

    def _sync_lessons(self, course: Course, rows: CourseRows) -> None:
        present: set[UUID] = set()
        placed = [(section.id, lesson) for section in course.sections for lesson in section.lessons]
        for position, (section_id, lesson) in enumerate(placed):
            present.add(lesson.id)
            row = rows.lessons.get(lesson.id)
            if row is None:
                row = LessonRow(id=lesson.id, course_id=course.id)
                self.session.add(row)
                rows.lessons[lesson.id] = row
            row.section_id = section_id
            row.position = position
            _lesson_to_row(lesson, row)
        for lesson_id in list(rows.lessons):
            if lesson_id not in present:
                self.session.sync_session.delete(rows.lessons.pop(lesson_id))

    async def _sync_the_rest(self, course: Course, rows: CourseRows) -> None:
        course_id = course.id
        section_ids = {section.id for section in course.sections}
        for section_id in list(rows.sections):
            if section_id not in section_ids:
                self.session.sync_session.delete(rows.sections.pop(section_id))
        # Instructors: the owner at 0, co-instructors after, in their order.
        wanted = {user_id: position for position, user_id in enumerate(course.instructor_ids)}
        _sync_keyed(
            self.session,
            rows.instructors,
            wanted,
            lambda user_id: CourseInstructorRow(course_id=course_id, user_id=user_id),
        )
        _sync_keyed(
            self.session,
            rows.prerequisites,
            {prerequisite: i for i, prerequisite in enumerate(course.prerequisite_ids)},
            lambda prerequisite_id: CoursePrerequisiteRow(
                course_id=course_id, prerequisite_id=prerequisite_id
            ),
        )
        if set(course.tags) != rows.tags:
            await self.session.execute(
                delete(CourseTagRow).where(CourseTagRow.course_id == course_id)
            )
            self.session.add_all(CourseTagRow(course_id=course_id, tag=tag) for tag in course.tags)
            rows.tags = set(course.tags)
        if course.slug not in rows.slugs:
            self.session.add(CourseSlugRow(slug=course.slug, course_id=course_id))
            rows.slugs.add(course.slug)
        for transition in course.history[rows.stored_transitions :]:
            row = TRANSITION_FIELDS.new_row(transition)
            row.course_id = course_id
            self.session.add(row)
        rows.stored_transitions = len(course.history)


def _sync_keyed(
    session: AsyncSession,
    existing: dict[UUID, Any],
    wanted: Mapping[UUID, int],
    new_row: Any,
) -> None:
    for key in list(existing):
        if key not in wanted:
            session.sync_session.delete(existing.pop(key))
    for key, position in wanted.items():
        row = existing.get(key)
        if row is None:
            row = new_row(key)
            session.add(row)
            existing[key] = row
        row.position = position


def _course_to_row(course: Course, row: CourseRow) -> None:
    row.owner_id = course.owner_id
    row.slug = course.slug
    row.title = course.title
    row.subtitle = course.subtitle
    row.description = course.description
    row.language = course.language
    row.level = course.level.value
    if course.is_free:
        row.price_amount, row.price_currency = 0, None
    elif course.price is not None:
        row.price_amount, row.price_currency = course.price.amount, course.price.currency
    else:
        row.price_amount, row.price_currency = None, None
    row.category_id = course.category_id
    row.tags = list(course.tags)
    row.learning_outcomes = list(course.learning_outcomes)
    row.requirements = list(course.requirements)
    row.thumbnail_key = course.thumbnail_key
    row.preview_lesson_id = course.preview_lesson_id
    row.status = course.status.value
    row.submitted_at = course.submitted_at
    row.published_at = course.published_at
    row.first_published_at = course.first_published_at
    row.rejection_reason = course.rejection_reason
    row.lesson_count = course.lesson_count
    row.duration_seconds = course.duration_seconds
    row.updated_at = course.updated_at
    # The counters belong to learning: a new row starts at zero, an existing one keeps its own.
    if row.enrollment_count is None:
        row.enrollment_count = 0
        row.rating_count = 0
        row.rating_average = 0.0


def _lesson_to_row(lesson: Lesson, row: LessonRow) -> None:
    row.kind = lesson.kind.value
    row.title = lesson.title
    row.duration_seconds = lesson.duration_seconds
    row.is_free_preview = lesson.is_free_preview
    row.is_required = lesson.is_required
    row.text = lesson.text
    row.video_url = lesson.video_url
    file = lesson.file
    row.file_key = file.key if file else None
    row.file_name = file.filename if file else None
    row.file_content_type = file.content_type if file else None
    row.file_size = file.size if file else None


# actor_id reads back as None once that user is gone, although the domain types it as a UUID.
TRANSITION_FIELDS = FieldMap(
    CourseTransition,
    CourseTransitionRow,
    fields={
        "action": enum(CourseAction),
        "from_status": enum(CourseStatus),
        "to_status": enum(CourseStatus),
    },
)


# ---- categories ------------------------------------------------------------------------------
class SqlaCategoryRepository(SqlaRepository[Category, CategoryRow]):
    mapper = FieldMap(Category, CategoryRow, fixed=("id", "created_at"))
    flush_before_add = True  # its parent may be new in this transaction too

    async def slugs_like(self, base: str, *, other_than: UUID | None = None) -> set[str]:
        stmt = select(CategoryRow.slug).where(_slug_family(CategoryRow.slug, base))
        if other_than is not None:
            stmt = stmt.where(CategoryRow.id != other_than)
        taken = set(await self.session.scalars(stmt))
        return taken | {c.slug for c in self.seen if c.id != other_than}

    async def parents(self) -> Mapping[UUID, UUID | None]:
        rows = await self.session.execute(select(CategoryRow.id, CategoryRow.parent_id))
        found: dict[UUID, UUID | None] = {row.id: row.parent_id for row in rows}
        found.update({c.id: c.parent_id for c in self.seen})
        return found

    async def is_in_use(self, category_id: UUID) -> bool:
        used: CompoundSelect[tuple[int]] = union(
            select(literal_column("1")).where(CourseRow.category_id == category_id),
            select(literal_column("1")).where(CategoryRow.parent_id == category_id),
        )
        return (
            await self.session.execute(select(func.count()).select_from(used.subquery()))
        ).scalar_one() > 0

    @property
    def touched(self) -> bool:
        return bool(self._tracked) or self._removed_any

    _removed_any = False

    async def remove(self, category: Category) -> None:
        self._removed_any = True
        _, row = self._tracked.pop(category.id)
        await self.session.delete(row)


# ---- co-instructor invitations ---------------------------------------------------------------
class SqlaInvitationRepository(SqlaRepository[CoInstructorInvitation, CoInstructorInvitationRow]):
    mapper = FieldMap(
        CoInstructorInvitation,
        CoInstructorInvitationRow,
        fields={"status": enum(InvitationStatus)},
        fixed=("id", "created_at"),
    )

    async def pending_invitee_ids(self, course_id: UUID) -> set[UUID]:
        stored = await self.session.scalars(
            select(CoInstructorInvitationRow.invitee_id).where(
                CoInstructorInvitationRow.course_id == course_id,
                CoInstructorInvitationRow.status == InvitationStatus.PENDING.value,
            )
        )
        seen = {i.invitee_id: i.is_pending for i in self.seen if i.course_id == course_id}
        return {i for i in stored if seen.get(i, True)} | {i for i, p in seen.items() if p}


# ---- revisions -------------------------------------------------------------------------------
class SqlaCourseRevisionRepository(TrackingRepository[CourseRevision, CourseRevisionRow]):
    """A revision is one row with its working copy as JSON, plus the ids of the copy's sections
    and lessons (``course_revision_items``) so an edit by item id finds its course."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._items: dict[UUID, set[UUID]] = {}  # course id → item ids as stored
        self._new: set[UUID] = set()
        self._removed: list[tuple[UUID, CourseRevisionRow]] = []

    async def add(self, revision: CourseRevision) -> None:
        row = CourseRevisionRow(course_id=revision.course_id)
        self._items[revision.course_id] = set()
        self._new.add(revision.course_id)
        self._track(revision.course_id, revision, row)

    async def get(self, course_id: UUID, *, for_update: bool = False) -> CourseRevision | None:
        if course_id in self._tracked:
            return self._tracked[course_id][0]
        stmt = select(CourseRevisionRow).where(CourseRevisionRow.course_id == course_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = await self.session.scalar(stmt)
        if row is None:
            return None
        self._items[course_id] = set(
            await self.session.scalars(
                select(CourseRevisionItemRow.item_id).where(
                    CourseRevisionItemRow.course_id == course_id
                )
            )
        )
        revision = CourseRevision(
            course_id=row.course_id,
            content=_content_from_json(row.course_id, row.content),
            created_at=row.created_at,
            updated_at=row.updated_at,
            status=RevisionStatus(row.status),
            submitted_at=row.submitted_at,
            rejection_reason=row.rejection_reason,
        )
        return self._track(course_id, revision, row)

    async def course_of_item(self, item_id: UUID) -> UUID | None:
        for revision in self.seen:
            if item_id in _item_ids(revision.content):
                return revision.course_id
        found: UUID | None = await self.session.scalar(
            select(CourseRevisionItemRow.course_id).where(CourseRevisionItemRow.item_id == item_id)
        )
        return found

    async def remove(self, revision: CourseRevision) -> None:
        _, row = self._tracked.pop(revision.course_id)
        if revision.course_id in self._new:
            self._new.discard(revision.course_id)
        else:
            self._removed.append((revision.course_id, row))

    @property
    def touched(self) -> bool:
        return bool(self._tracked) or bool(self._removed)

    async def flush_changes(self) -> None:
        for revision, row in self._tracked.values():
            row.status = revision.status.value
            row.content = _content_to_json(revision.content)
            row.created_at = revision.created_at
            row.updated_at = revision.updated_at
            row.submitted_at = revision.submitted_at
            row.rejection_reason = revision.rejection_reason
            if revision.course_id in self._new:
                self.session.add(row)
        await self.session.flush()
        self._new.clear()
        for revision, _ in self._tracked.values():
            stored = self._items.setdefault(revision.course_id, set())
            wanted = _item_ids(revision.content)
            if stored - wanted:
                await self.session.execute(
                    delete(CourseRevisionItemRow).where(
                        CourseRevisionItemRow.item_id.in_(stored - wanted)
                    )
                )
            self.session.add_all(
                CourseRevisionItemRow(item_id=item_id, course_id=revision.course_id)
                for item_id in wanted - stored
            )
            self._items[revision.course_id] = wanted
        for course_id, row in self._removed:
            await self.session.execute(
                delete(CourseRevisionItemRow).where(CourseRevisionItemRow.course_id == course_id)
            )
            await self.session.delete(row)
            self._items.pop(course_id, None)
        self._removed = []
        await self.session.flush()


def _item_ids(course: Course) -> set[UUID]:
    return {section.id for section in course.sections} | {lesson.id for lesson in course.lessons}


def _content_to_json(course: Course) -> dict[str, Any]:
    """The working copy's content; what is not content (status, counters, history) comes from
    the live course when needed."""
    return {
        "owner_id": str(course.owner_id),
        "title": course.title,
        "slug": course.slug,
        "subtitle": course.subtitle,
        "description": course.description,
        "language": course.language,
        "level": course.level.value,
        "price": None
        if course.price is None
        else {"amount": course.price.amount, "currency": course.price.currency},
        "is_free": course.is_free,
        "category_id": None if course.category_id is None else str(course.category_id),
        "tags": list(course.tags),
        "learning_outcomes": list(course.learning_outcomes),
        "requirements": list(course.requirements),
        "prerequisite_ids": [str(i) for i in course.prerequisite_ids],
        "thumbnail_key": course.thumbnail_key,
        "preview_lesson_id": None
        if course.preview_lesson_id is None
        else str(course.preview_lesson_id),
        "created_at": course.created_at.isoformat(),
        "updated_at": course.updated_at.isoformat(),
        "first_published_at": None
        if course.first_published_at is None
        else course.first_published_at.isoformat(),
        "sections": [
            {
                "id": str(section.id),
                "title": section.title,
                "lessons": [_lesson_to_json(lesson) for lesson in section.lessons],
            }
            for section in course.sections
        ],
    }


def _lesson_to_json(lesson: Lesson) -> dict[str, Any]:
    file = lesson.file
    return {
        "id": str(lesson.id),
        "kind": lesson.kind.value,
        "title": lesson.title,
        "duration_seconds": lesson.duration_seconds,
        "is_free_preview": lesson.is_free_preview,
        "is_required": lesson.is_required,
        "text": lesson.text,
        "video_url": lesson.video_url,
        "file": None
        if file is None
        else {
            "key": file.key,
            "filename": file.filename,
            "content_type": file.content_type,
            "size": file.size,
        },
    }


def _uuid_or_none(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _content_from_json(course_id: UUID, data: Mapping[str, Any]) -> Course:
    price = data["price"]
    first_published = data["first_published_at"]
    return Course(
        id=course_id,
        owner_id=UUID(data["owner_id"]),
        title=data["title"],
        slug=data["slug"],
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        subtitle=data["subtitle"],
        description=data["description"],
        language=data["language"],
        level=Level(data["level"]),
        price=None if price is None else Money(price["amount"], price["currency"]),
        is_free=data["is_free"],
        category_id=_uuid_or_none(data["category_id"]),
        tags=tuple(data["tags"]),
        learning_outcomes=tuple(data["learning_outcomes"]),
        requirements=tuple(data["requirements"]),
        prerequisite_ids=tuple(UUID(i) for i in data["prerequisite_ids"]),
        thumbnail_key=data["thumbnail_key"],
        preview_lesson_id=_uuid_or_none(data["preview_lesson_id"]),
        status=CourseStatus.PUBLISHED,
        first_published_at=None
        if first_published is None
        else datetime.fromisoformat(first_published),
        sections=[
            Section(
                id=UUID(section["id"]),
                title=section["title"],
                lessons=[_lesson_from_json(lesson) for lesson in section["lessons"]],
            )
            for section in data["sections"]
        ],
    )


def _lesson_from_json(data: Mapping[str, Any]) -> Lesson:
    file = data["file"]
    return Lesson(
        id=UUID(data["id"]),
        kind=LessonKind(data["kind"]),
        title=data["title"],
        duration_seconds=data["duration_seconds"],
        is_free_preview=data["is_free_preview"],
        is_required=data["is_required"],
        text=data["text"],
        video_url=data["video_url"],
        file=None
        if file is None
        else LessonFile(
            key=file["key"],
            filename=file["filename"],
            content_type=file["content_type"],
            size=file["size"],
        ),
    )
