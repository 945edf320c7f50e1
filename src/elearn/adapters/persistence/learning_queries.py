"""The learning read side: lists shaped like the API's answers, newest first, with keyset
cursors; and the catalog's question whether a student is enrolled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Row, and_, bindparam, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from elearn.adapters.persistence.catalog_facts import (
    FACT_COLUMNS,
    LESSON_COLUMNS,
    LINK_POSITION,
    course_facts,
    lesson_of,
    linked,
    with_links,
)
from elearn.adapters.persistence.learning_repositories import (
    TIME_ZONE,
    SqlaEnrollmentRepository,
    SqlaProgressRepository,
    submission_from_row,
    time_zone_of,
    typed_null,
)
from elearn.adapters.persistence.models.catalog import CourseRow, LessonRow
from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.models.learning import (
    CertificateRow,
    CourseReviewRow,
    EnrollmentRow,
    LearningDayRow,
    LessonProgressRow,
    QuizRow,
    SubmissionRow,
)
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.adapters.persistence.raw_statements import Fields, HotRead
from elearn.application.catalog.api import LessonInCourse
from elearn.application.learning.ports import (
    CertificateCard,
    CoursePlan,
    EnrolledCourse,
    EnrollmentView,
    LessonSight,
    ReviewView,
    StaffEnrollmentFilters,
    StaffEnrollmentView,
    StaffReviewFilters,
    StudentView,
)
from elearn.application.learning.ports import (
    SubmissionRow as SubmissionListItem,
)
from elearn.application.paging import Page
from elearn.domain.learning.enrollment import (
    LEARNING_STATUSES,
    EnrollmentSource,
    EnrollmentStatus,
)
from elearn.domain.learning.progress import LessonRequirement


def _labelled(table: Any, columns: Any, prefix: str) -> list[Any]:
    return [table.c[name].label(prefix + name) for name in columns]


_LESSON, _ENROLLMENT, _PROGRESS = "lesson_", "enrollment_", "progress_"
_ENROLLMENT_MAPPER = SqlaEnrollmentRepository.mapper
_PROGRESS_MAPPER = SqlaProgressRepository.mapper
_LEARNER = bindparam("user_id", type_=EnrollmentRow.user_id.type)
# A lesson with its course's facts (a row per instructor and prerequisite) and the learner's
# enrollment in the course and progress in the lesson: no row for an anonymous caller's id.
_LESSON_SIGHT = (
    with_links(
        select(
            *FACT_COLUMNS,
            *_labelled(LessonRow.__table__, LESSON_COLUMNS, _LESSON),
            *_labelled(EnrollmentRow.__table__, sorted(_ENROLLMENT_MAPPER.columns()), _ENROLLMENT),
            *_labelled(LessonProgressRow.__table__, sorted(_PROGRESS_MAPPER.columns()), _PROGRESS),
        )
    )
    .join(LessonRow, LessonRow.course_id == CourseRow.id)
    .outerjoin(
        EnrollmentRow,
        and_(EnrollmentRow.course_id == CourseRow.id, EnrollmentRow.user_id == _LEARNER),
    )
    .outerjoin(
        LessonProgressRow,
        and_(LessonProgressRow.lesson_id == LessonRow.id, LessonProgressRow.user_id == _LEARNER),
    )
    .where(LessonRow.id == bindparam("lesson_id", type_=LessonRow.id.type))
)


# Where a progress report is measured (parameters: lesson_id, user_id), one statement of two
# parts told apart by ``part``: the lesson in its course (a row per link of the course, as
# `lesson_sight` reads it) and the course's plan (a row per lesson, each with the user's zone;
# one with the zone alone when the course has none).
_SIGHT, _PLAN = "sight", "plan"
_ZONE = TIME_ZONE.subquery("zone")
_REPORTED = bindparam("lesson_id", type_=LessonRow.id.type)
_REPORTED_LESSON = LessonRow.__table__.alias("reported")
_ITS_COURSE = (
    select(_REPORTED_LESSON.c.course_id).where(_REPORTED_LESSON.c.id == _REPORTED).scalar_subquery()
)
_LESSON_COLUMNS = _labelled(LessonRow.__table__, LESSON_COLUMNS, _LESSON)
_PLAN_COLUMNS = [
    _ZONE.c[0].label("time_zone"),
    LessonRow.id.label("plan_lesson_id"),
    LessonRow.is_required.label("plan_lesson_required"),
    QuizRow.required.label("plan_quiz_required"),
]
_LESSON_AND_PLAN = union_all(
    linked(
        select(
            literal_column(f"'{_SIGHT}'").label("part"),
            *FACT_COLUMNS,
            LINK_POSITION.label("position"),
            *_LESSON_COLUMNS,
            *(typed_null(column).label(column.name) for column in _PLAN_COLUMNS),
        )
    )
    .join(LessonRow, LessonRow.course_id == CourseRow.id)
    .where(LessonRow.id == _REPORTED),
    select(
        literal_column(f"'{_PLAN}'"),
        *(typed_null(column) for column in FACT_COLUMNS),
        LessonRow.position,
        *(typed_null(column) for column in _LESSON_COLUMNS),
        *_PLAN_COLUMNS,
    )
    .select_from(_ZONE)
    .outerjoin(LessonRow, LessonRow.course_id == _ITS_COURSE)
    .outerjoin(QuizRow, and_(QuizRow.lesson_id == LessonRow.id, QuizRow.course_id == _ITS_COURSE)),
).order_by("part", "link", "position")

# A learner's enrollment in a course: its status and how far they are (no row: not enrolled).
_STANDING = select(EnrollmentRow.status, EnrollmentRow.progress_percent).where(
    EnrollmentRow.user_id == _LEARNER,
    EnrollmentRow.course_id == bindparam("course_id", type_=EnrollmentRow.course_id.type),
)


class SqlaLearningQueries:
    def __init__(
        self,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        image_url: Callable[[str], str],
    ) -> None:
        self._sessions = session_factory
        self._image_url = image_url
        self._lesson_sight = HotRead(engine, _LESSON_SIGHT, ["lesson_id", "user_id"])
        self._lesson_and_plan = HotRead(engine, _LESSON_AND_PLAN, ["lesson_id", "user_id"])
        self._standing = HotRead(engine, _STANDING, ["user_id", "course_id"])

    async def lesson_and_plan(
        self, lesson_id: UUID, user_id: UUID
    ) -> tuple[LessonInCourse, CoursePlan] | None:
        rows = await self._lesson_and_plan.fetch(lesson_id=lesson_id, user_id=user_id)
        sight = [row for row in rows if row["part"] == _SIGHT]
        if not sight:
            return None
        plan = [row for row in rows if row["part"] == _PLAN]
        lessons = [row for row in plan if row["plan_lesson_id"] is not None]
        lesson = Fields(sight[0], _LESSON)
        place = LessonInCourse(
            course_facts([Fields(row) for row in sight]), lesson.section_id, lesson_of(lesson)
        )
        return place, CoursePlan(
            requirements=[
                LessonRequirement(row["plan_lesson_id"], row["plan_lesson_required"])
                for row in lessons
            ],
            required_quizzes={
                row["plan_lesson_id"] for row in lessons if row["plan_quiz_required"]
            },
            time_zone=plan[0]["time_zone"] or "UTC",
        )

    # ---- a lesson as a learner opens it ------------------------------------------------------
    async def lesson_sight(self, user_id: UUID | None, lesson_id: UUID) -> LessonSight | None:
        found = await self._lesson_sight.fetch(lesson_id=lesson_id, user_id=user_id)
        if not found:
            return None
        rows = [Fields(row) for row in found]
        lesson = Fields(found[0], _LESSON)
        enrollment = Fields(found[0], _ENROLLMENT)
        progress = Fields(found[0], _PROGRESS)
        return LessonSight(
            LessonInCourse(course_facts(rows), lesson.section_id, lesson_of(lesson)),
            enrollment=None
            if enrollment.id is None
            else _ENROLLMENT_MAPPER.load(cast(Any, enrollment)),
            progress=None
            if progress.user_id is None
            else _PROGRESS_MAPPER.load(cast(Any, progress)),
        )

    # ---- enrollments ---------------------------------------------------------------------------
    def _enrollments(self) -> Any:
        return (
            select(
                EnrollmentRow,
                CourseRow.slug,
                CourseRow.title,
                CourseRow.thumbnail_key,
                CertificateRow.id.label("certificate_id"),
            )
            .join(CourseRow, CourseRow.id == EnrollmentRow.course_id)
            .outerjoin(CertificateRow, CertificateRow.enrollment_id == EnrollmentRow.id)
        )

    def _enrollment_view(self, row: Row[Any]) -> EnrollmentView:
        enrollment: EnrollmentRow = row[0]
        return EnrollmentView(
            id=enrollment.id,
            course=EnrolledCourse(
                id=enrollment.course_id,
                slug=row.slug,
                title=row.title,
                thumbnail_url=self._image_url(row.thumbnail_key) if row.thumbnail_key else None,
            ),
            status=EnrollmentStatus(enrollment.status),
            source=enrollment.source,
            progress_percent=enrollment.progress_percent,
            last_lesson_id=enrollment.last_lesson_id,
            last_activity_at=enrollment.last_activity_at,
            enrolled_at=enrollment.enrolled_at,
            completed_at=enrollment.completed_at,
            certificate_id=row.certificate_id,
        )

    async def my_enrollments(
        self,
        user_id: UUID,
        status: EnrollmentStatus | None,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[EnrollmentView]:
        stmt = self._enrollments().where(EnrollmentRow.user_id == user_id)
        if status is not None:
            stmt = stmt.where(EnrollmentRow.status == status.value)
        stmt = newest_first_after(stmt, cursor, EnrollmentRow.enrolled_at, EnrollmentRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            self._enrollment_view,
            lambda row: (row[0].enrolled_at, row[0].id),
        )

    async def enrollment(self, enrollment_id: UUID) -> EnrollmentView | None:
        async with self._sessions() as session:
            row = (
                await session.execute(self._enrollments().where(EnrollmentRow.id == enrollment_id))
            ).first()
        return self._enrollment_view(row) if row is not None else None

    async def all_enrollments(
        self, filters: StaffEnrollmentFilters, *, limit: int, cursor: str | None
    ) -> Page[StaffEnrollmentView]:
        stmt = (
            select(
                EnrollmentRow,
                UserRow.full_name,
                UserRow.email,
                CourseRow.slug,
                CourseRow.title,
                CourseRow.thumbnail_key,
            )
            .join(UserRow, UserRow.id == EnrollmentRow.user_id)
            .join(CourseRow, CourseRow.id == EnrollmentRow.course_id)
        )
        if filters.course_id is not None:
            stmt = stmt.where(EnrollmentRow.course_id == filters.course_id)
        if filters.student_id is not None:
            stmt = stmt.where(EnrollmentRow.user_id == filters.student_id)
        if filters.status is not None:
            stmt = stmt.where(EnrollmentRow.status == filters.status.value)
        if filters.source is not None:
            stmt = stmt.where(EnrollmentRow.source == filters.source.value)
        stmt = newest_first_after(stmt, cursor, EnrollmentRow.enrolled_at, EnrollmentRow.id)

        def view(row: Row[Any]) -> StaffEnrollmentView:
            enrollment: EnrollmentRow = row[0]
            return StaffEnrollmentView(
                id=enrollment.id,
                student_id=enrollment.user_id,
                student_name=row.full_name,
                student_email=row.email,
                course=EnrolledCourse(
                    id=enrollment.course_id,
                    slug=row.slug,
                    title=row.title,
                    thumbnail_url=self._image_url(row.thumbnail_key) if row.thumbnail_key else None,
                ),
                status=EnrollmentStatus(enrollment.status),
                source=EnrollmentSource(enrollment.source),
                progress_percent=enrollment.progress_percent,
                enrolled_at=enrollment.enrolled_at,
                completed_at=enrollment.completed_at,
            )

        return await fetch_page(
            self._sessions, stmt, limit, view, lambda row: (row[0].enrolled_at, row[0].id)
        )

    async def course_students(
        self, course_id: UUID, *, with_email: bool, limit: int, cursor: str | None
    ) -> Page[StudentView]:
        stmt = (
            select(EnrollmentRow, UserRow.full_name, UserRow.email)
            .join(UserRow, UserRow.id == EnrollmentRow.user_id)
            .where(EnrollmentRow.course_id == course_id)
        )
        stmt = newest_first_after(stmt, cursor, EnrollmentRow.enrolled_at, EnrollmentRow.id)

        def view(row: Row[Any]) -> StudentView:
            enrollment: EnrollmentRow = row[0]
            return StudentView(
                user_id=enrollment.user_id,
                name=row.full_name,
                email=row.email if with_email else None,
                status=EnrollmentStatus(enrollment.status),
                progress_percent=enrollment.progress_percent,
                enrolled_at=enrollment.enrolled_at,
                last_activity_at=enrollment.last_activity_at,
                completed_at=enrollment.completed_at,
            )

        return await fetch_page(
            self._sessions, stmt, limit, view, lambda row: (row[0].enrolled_at, row[0].id)
        )

    async def is_enrolled(self, user_id: UUID, course_id: UUID) -> bool:
        """The catalog's question: may this student still see the course (archived ones too)?"""
        return await self.progress_of(user_id, course_id) is not None

    async def progress_of(self, user_id: UUID, course_id: UUID) -> int | None:
        # Asked by every signed-in course page: one statement on the hot read, no transaction.
        rows = await self._standing.fetch(user_id=user_id, course_id=course_id)
        if not rows or EnrollmentStatus(rows[0]["status"]) not in LEARNING_STATUSES:
            return None
        return int(rows[0]["progress_percent"])

    # ---- reviews -------------------------------------------------------------------------------
    @staticmethod
    def _reviews() -> Any:
        return select(CourseReviewRow, UserRow.full_name).join(
            UserRow, UserRow.id == CourseReviewRow.user_id
        )

    @staticmethod
    def _review_view(row: Row[Any]) -> ReviewView:
        review: CourseReviewRow = row[0]
        return ReviewView(
            id=review.id,
            course_id=review.course_id,
            author_id=review.user_id,
            author_name=row.full_name,
            rating=review.rating,
            text=review.text,
            reply=review.reply,
            replied_at=review.replied_at,
            hidden=review.hidden,
            written_at=review.written_at,
            edited_at=review.edited_at,
        )

    async def reviews(
        self, course_id: UUID, *, include_hidden: bool, limit: int, cursor: str | None
    ) -> Page[ReviewView]:
        stmt = self._reviews().where(CourseReviewRow.course_id == course_id)
        if not include_hidden:
            stmt = stmt.where(CourseReviewRow.hidden.is_(False))
        stmt = newest_first_after(stmt, cursor, CourseReviewRow.written_at, CourseReviewRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            self._review_view,
            lambda row: (row[0].written_at, row[0].id),
        )

    async def all_reviews(
        self, filters: StaffReviewFilters, *, limit: int, cursor: str | None
    ) -> Page[ReviewView]:
        stmt = self._reviews()
        if filters.course_id is not None:
            stmt = stmt.where(CourseReviewRow.course_id == filters.course_id)
        if filters.author_id is not None:
            stmt = stmt.where(CourseReviewRow.user_id == filters.author_id)
        if filters.hidden is not None:
            stmt = stmt.where(CourseReviewRow.hidden.is_(filters.hidden))
        if filters.rating_max is not None:
            stmt = stmt.where(CourseReviewRow.rating <= filters.rating_max)
        stmt = newest_first_after(stmt, cursor, CourseReviewRow.written_at, CourseReviewRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            self._review_view,
            lambda row: (row[0].written_at, row[0].id),
        )

    async def review(self, review_id: UUID) -> ReviewView | None:
        async with self._sessions() as session:
            row = (
                await session.execute(self._reviews().where(CourseReviewRow.id == review_id))
            ).first()
        return self._review_view(row) if row is not None else None

    # ---- submissions, certificates, days --------------------------------------------------------
    async def submissions(
        self, lesson_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[SubmissionListItem]:
        stmt = (
            select(SubmissionRow, UserRow.full_name)
            .join(UserRow, UserRow.id == SubmissionRow.user_id)
            .where(SubmissionRow.lesson_id == lesson_id)
        )
        stmt = newest_first_after(stmt, cursor, SubmissionRow.submitted_at, SubmissionRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: SubmissionListItem(submission_from_row(row[0]), row.full_name),
            lambda row: (row[0].submitted_at, row[0].id),
        )

    async def my_certificates(self, user_id: UUID) -> list[CertificateCard]:
        stmt = (
            select(CertificateRow)
            .where(CertificateRow.user_id == user_id)
            .order_by(CertificateRow.issued_at.desc(), CertificateRow.id.desc())
        )
        async with self._sessions() as session:
            rows = (await session.scalars(stmt)).all()
        return [
            CertificateCard(
                id=row.id,
                serial=row.serial,
                verification_code=row.verification_code,
                course_id=row.course_id,
                course_title=row.course_title,
                issued_at=row.issued_at,
            )
            for row in rows
        ]

    async def learning_days(self, user_id: UUID, since: date) -> list[date]:
        stmt = select(LearningDayRow.day).where(
            LearningDayRow.user_id == user_id, LearningDayRow.day >= since
        )
        async with self._sessions() as session:
            return list((await session.scalars(stmt)).all())

    async def time_zone(self, user_id: UUID) -> str:
        async with self._sessions() as session:
            return await time_zone_of(session, user_id)
