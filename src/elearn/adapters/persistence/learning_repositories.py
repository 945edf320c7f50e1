"""Learning repositories: data mappers between the learning tables and the domain.

Aggregates that change (enrollments, progress, attempts, submissions, reviews) are tracked and
written back at commit, like every repository here; definitions (quizzes, assignments),
certificates and learning days are written at once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, cast, func, literal_column, null, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from elearn.adapters.persistence.models.catalog import CourseRow
from elearn.adapters.persistence.models.identity import StudentProfileRow, TutorProfileRow
from elearn.adapters.persistence.models.learning import (
    AssignmentRow,
    CertificateRow,
    CourseReviewRow,
    EnrollmentRow,
    LearningDayRow,
    LessonProgressRow,
    QuizAttemptRow,
    QuizRow,
    StudyTimeRow,
    SubmissionRow,
)
from elearn.adapters.persistence.repository_base import (
    LIST,
    Column,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    dialect_insert,
    enum,
)
from elearn.application.learning.ports import ProgressStanding
from elearn.domain.learning.assignment import Assignment, FileKind, Submission, SubmittedFile
from elearn.domain.learning.certificate import Certificate
from elearn.domain.learning.enrollment import (
    LEARNING_STATUSES,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
)
from elearn.domain.learning.progress import LessonProgress
from elearn.domain.learning.quiz import (
    AttemptStatus,
    Choice,
    NormalizedAnswer,
    Question,
    Quiz,
    QuizAttempt,
)
from elearn.domain.learning.review import Review

# ---- enrollments ------------------------------------------------------------------------------
# A student's enrollment in a course (parameters: user_id, course_id), built once: every
# progress report locks it.
_ENROLLMENT = select(EnrollmentRow).where(
    EnrollmentRow.user_id == bindparam("user_id", type_=EnrollmentRow.user_id.type),
    EnrollmentRow.course_id == bindparam("course_id", type_=EnrollmentRow.course_id.type),
)
_ENROLLMENT_LOCKED = _ENROLLMENT.with_for_update()
# A course's enrollment count moved (parameters: course_id, change), and the lessons a student
# has completed in a course (user_id, course_id): every sale does both.
_COUNT_ENROLLMENTS = (
    update(CourseRow)
    .where(CourseRow.id == bindparam("course_id", type_=CourseRow.id.type))
    .values(
        enrollment_count=CourseRow.enrollment_count
        + bindparam("change", type_=CourseRow.enrollment_count.type)
    )
)
_COMPLETED_LESSONS = select(LessonProgressRow.lesson_id).where(
    LessonProgressRow.user_id == bindparam("user_id", type_=LessonProgressRow.user_id.type),
    LessonProgressRow.course_id == bindparam("course_id", type_=LessonProgressRow.course_id.type),
    LessonProgressRow.completed_at.is_not(None),
)


class SqlaEnrollmentRepository(SqlaRepository[Enrollment, EnrollmentRow]):
    mapper = FieldMap(
        Enrollment,
        EnrollmentRow,
        fields={"source": enum(EnrollmentSource), "status": enum(EnrollmentStatus)},
        fixed=("id",),
    )
    relock_tracked = False
    counters_changed = False  # the course's enrollment count moved (catalog caches are stale)

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._count_changes: dict[UUID, int] = {}
        # (user, course) pairs this transaction found no enrollment of: a sale asks whether the
        # buyer owns the course, then grants it, and need not read the absence twice. (A lock
        # cannot hold a row that is not there either way: the table's unique key refuses a
        # second enrollment made meanwhile.)
        self._absent: set[tuple[UUID, UUID]] = set()

    async def courses_learned_by(self, user_id: UUID) -> set[UUID]:
        stmt = select(EnrollmentRow.course_id).where(
            EnrollmentRow.user_id == user_id,
            EnrollmentRow.status.in_([status.value for status in LEARNING_STATUSES]),
        )
        return set(await self.session.scalars(stmt))

    async def find(
        self, user_id: UUID, course_id: UUID, *, for_update: bool = False
    ) -> Enrollment | None:
        for enrollment in self.seen:
            if enrollment.user_id == user_id and enrollment.course_id == course_id:
                return enrollment
        if (user_id, course_id) in self._absent:
            return None
        row = await self.session.scalar(
            _ENROLLMENT_LOCKED if for_update else _ENROLLMENT,
            {"user_id": user_id, "course_id": course_id},
        )
        if row is None:
            self._absent.add((user_id, course_id))
            return None
        return self._load(row)

    async def learners_after(self, course_id: UUID, after: UUID | None, limit: int) -> list[UUID]:
        stmt = (
            select(EnrollmentRow.user_id)
            .where(
                EnrollmentRow.course_id == course_id,
                EnrollmentRow.status.in_([status.value for status in LEARNING_STATUSES]),
            )
            .order_by(EnrollmentRow.user_id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(EnrollmentRow.user_id > after)
        return list(await self.session.scalars(stmt))

    async def remove(self, enrollment: Enrollment) -> None:
        _, row = self._tracked.pop(enrollment.id)
        await self.session.delete(row)
        enrollment.pull_events()

    async def change_course_count(self, course_id: UUID, delta: int) -> None:
        self.counters_changed = True
        self._count_changes[course_id] = self._count_changes.get(course_id, 0) + delta

    async def flush_shared_rows(self) -> None:
        """The courses' counts: relative updates, so the row lock orders concurrent changes and
        none is lost, made last so every purchase of one course holds it for the commit alone."""
        changes, self._count_changes = self._count_changes, {}
        for course_id in sorted(changes):
            if changes[course_id]:
                await self.session.execute(
                    _COUNT_ENROLLMENTS, {"course_id": course_id, "change": changes[course_id]}
                )


# ---- progress ---------------------------------------------------------------------------------
class _WrittenOnceKnown(Column):
    """Left to the row's own value until the domain knows it."""

    def write(self, row: Any, field: str, value: Any) -> None:
        if value is not None:
            super().write(row, field, value)


class SqlaProgressRepository(TrackingRepository[LessonProgress, LessonProgressRow]):
    mapper = FieldMap(
        LessonProgress,
        LessonProgressRow,
        fields={"updated_at": _WrittenOnceKnown()},
        fixed=("user_id", "lesson_id"),
    )

    def __init__(self, session: AsyncSession, attempts: SqlaAttemptRepository) -> None:
        super().__init__(session)
        self._attempts = attempts

    async def get(self, user_id: UUID, lesson_id: UUID) -> LessonProgress | None:
        key = (user_id, lesson_id)
        if key in self._tracked:
            return self._tracked[key][0]
        row = await self.session.get(LessonProgressRow, key)
        return self._load(row) if row is not None else None

    async def add(self, progress: LessonProgress) -> None:
        row = self.mapper.new_row(progress)
        self.session.add(row)
        self._track((progress.user_id, progress.lesson_id), progress, row)

    async def completed_lessons(self, user_id: UUID, course_id: UUID) -> set[UUID]:
        stored = set(
            await self.session.scalars(
                _COMPLETED_LESSONS, {"user_id": user_id, "course_id": course_id}
            )
        )
        return self._completed_as_seen(stored, user_id, course_id)

    async def last_activity(self, user_id: UUID) -> datetime | None:
        stored = await self.session.scalar(
            select(func.max(LessonProgressRow.updated_at)).where(
                LessonProgressRow.user_id == user_id
            )
        )
        return self._last_activity_as_seen(stored, user_id)

    async def standing(
        self, user_id: UUID, course_id: UUID, lesson_id: UUID, day: date
    ) -> ProgressStanding:
        rows = await self.session.execute(
            _STANDING,
            {"user_id": user_id, "course_id": course_id, "lesson_id": lesson_id, "day": day},
        )
        found: LessonProgress | None = self._tracked.get((user_id, lesson_id), (None,))[0]
        completed: set[UUID] = set()
        passed: set[UUID] = set()
        last_activity: datetime | None = None
        marked_day: date | None = None
        for row in rows:
            if row.part == _LAST_ACTIVITY:
                last_activity = row.updated_at
            elif row.part == _MARKED_DAY:
                marked_day = day
            elif row.part == _PASSED_QUIZ:
                passed.add(row.lesson_id)
            else:
                if row.course_id == course_id and row.completed_at is not None:
                    completed.add(row.lesson_id)
                if row.lesson_id == lesson_id and found is None:
                    found = self._load(self._persistent_row(user_id, row))
        passed.update(self._attempts.passed_as_seen(user_id, course_id))
        return ProgressStanding(
            progress=found,
            last_activity=self._last_activity_as_seen(last_activity, user_id),
            completed_lessons=frozenset(self._completed_as_seen(completed, user_id, course_id)),
            passed_quizzes=frozenset(passed),
            marked_day=marked_day,
        )

    def _persistent_row(self, user_id: UUID, stored: Any) -> LessonProgressRow:
        """The session's row for the stored values read: the one it holds, or one made
        persistent from them without reading it again (its changes are written at commit)."""
        key = identity_key(LessonProgressRow, (user_id, stored.lesson_id))
        held = self.session.identity_map.get(key)
        if isinstance(held, LessonProgressRow):
            return held
        row = LessonProgressRow(
            user_id=user_id,
            lesson_id=stored.lesson_id,
            course_id=stored.course_id,
            completed_at=stored.completed_at,
            position_seconds=stored.position_seconds,
            seconds_spent=stored.seconds_spent,
            updated_at=stored.updated_at,
        )
        make_transient_to_detached(row)
        self.session.add(row)
        return row

    def _completed_as_seen(self, stored: set[UUID], user_id: UUID, course_id: UUID) -> set[UUID]:
        for progress in self.seen:
            if progress.user_id == user_id and progress.course_id == course_id:
                if progress.completed:
                    stored.add(progress.lesson_id)
                else:
                    stored.discard(progress.lesson_id)
        return stored

    def _last_activity_as_seen(self, stored: datetime | None, user_id: UUID) -> datetime | None:
        seen = [p.updated_at for p in self.seen if p.user_id == user_id and p.updated_at]
        return max([*seen, *([stored] if stored is not None else [])], default=None)

    def _key_of_row(self, row: LessonProgressRow) -> Any:
        return (row.user_id, row.lesson_id)


# What `SqlaProgressRepository.standing` reads (parameters: user_id, course_id, lesson_id, day),
# one statement of four parts told apart by ``part``: the student's progress rows in the course
# (and in the lesson), the course's quizzes they passed, their last activity anywhere, and a row
# when the day is already marked one of their learning days (most reports of a day need not
# mark it again).
_PROGRESS_ROW, _PASSED_QUIZ, _LAST_ACTIVITY, _MARKED_DAY = "progress", "passed", "last", "day"
_STANDING_USER = bindparam("user_id", type_=LessonProgressRow.user_id.type)
_STANDING_COURSE = bindparam("course_id", type_=LessonProgressRow.course_id.type)
_STANDING_LESSON = bindparam("lesson_id", type_=LessonProgressRow.lesson_id.type)
# The columns a part leaves empty, typed: PostgreSQL matches a union's columns by type.
_UNTOLD = (
    LessonProgressRow.lesson_id,
    LessonProgressRow.course_id,
    LessonProgressRow.completed_at,
    LessonProgressRow.position_seconds,
    LessonProgressRow.seconds_spent,
    LessonProgressRow.updated_at,
)


def typed_null(column: Any) -> Any:
    """A NULL in ``column``'s place in a union's part: PostgreSQL matches a union's columns by
    type, and on SQLite the first part's types decode every part's values (a UUID as bytes)."""
    return cast(null(), column.type) if not column.type._isnull else null()


def _nulls_of(columns: tuple[Any, ...]) -> list[Any]:
    return [typed_null(column).label(column.key) for column in columns]


_STANDING = union_all(
    select(
        literal_column(f"'{_PROGRESS_ROW}'").label("part"),
        LessonProgressRow.lesson_id,
        LessonProgressRow.course_id,
        LessonProgressRow.completed_at,
        LessonProgressRow.position_seconds,
        LessonProgressRow.seconds_spent,
        LessonProgressRow.updated_at,
    ).where(
        LessonProgressRow.user_id == _STANDING_USER,
        or_(
            LessonProgressRow.course_id == _STANDING_COURSE,
            LessonProgressRow.lesson_id == _STANDING_LESSON,
        ),
    ),
    select(
        literal_column(f"'{_PASSED_QUIZ}'"),
        QuizAttemptRow.lesson_id,
        *_nulls_of(_UNTOLD[1:]),
    )
    .where(
        QuizAttemptRow.user_id == _STANDING_USER,
        QuizAttemptRow.course_id == _STANDING_COURSE,
        QuizAttemptRow.passed.is_(True),
    )
    .distinct(),
    select(
        literal_column(f"'{_LAST_ACTIVITY}'"),
        *_nulls_of(_UNTOLD[:-1]),
        func.max(LessonProgressRow.updated_at),
    ).where(LessonProgressRow.user_id == _STANDING_USER),
    select(literal_column(f"'{_MARKED_DAY}'"), *_nulls_of(_UNTOLD)).where(
        LearningDayRow.user_id == _STANDING_USER,
        LearningDayRow.day == bindparam("day", type_=LearningDayRow.day.type),
    ),
)


# ---- quizzes ----------------------------------------------------------------------------------
def quiz_to_json(quiz: Quiz) -> dict[str, Any]:
    return {
        "pass_mark_percent": quiz.pass_mark_percent,
        "max_attempts": quiz.max_attempts,
        "time_limit_seconds": quiz.time_limit_seconds,
        "shuffle_questions": quiz.shuffle_questions,
        "shuffle_choices": quiz.shuffle_choices,
        "feedback": quiz.feedback.value,
        "required": quiz.required,
        "reveal_answers": quiz.reveal_answers.value,
        "questions": [
            {
                "id": q.id,
                "kind": q.kind.value,
                "prompt": q.prompt,
                "points": q.points,
                "choices": [{"id": c.id, "text": c.text, "correct": c.correct} for c in q.choices],
                "partial_credit": q.partial_credit,
                "correct_boolean": q.correct_boolean,
                "accepted_answers": list(q.accepted_answers),
                # Decimals as strings: JSON numbers would come back as floats.
                "numeric_answer": None if q.numeric_answer is None else str(q.numeric_answer),
                "tolerance": str(q.tolerance),
                "explanation": q.explanation,
            }
            for q in quiz.questions
        ],
    }


def quiz_from_json(data: dict[str, Any]) -> Quiz:
    questions = tuple(
        Question(
            **{**q, "choices": tuple(Choice(**c) for c in q["choices"])},
        )
        for q in data["questions"]
    )
    return Quiz(**{**data, "questions": questions})


class SqlaQuizRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, lesson_id: UUID) -> Quiz | None:
        row = await self.session.get(QuizRow, lesson_id)
        return quiz_from_json(row.definition) if row is not None else None

    async def put(self, lesson_id: UUID, course_id: UUID, quiz: Quiz, now: datetime) -> None:
        row = await self.session.get(QuizRow, lesson_id)
        if row is None:
            row = QuizRow(lesson_id=lesson_id)
            self.session.add(row)
        row.course_id = course_id
        row.required = quiz.required
        row.definition = quiz_to_json(quiz)
        row.updated_at = now

    async def required_lessons(self, course_id: UUID) -> set[UUID]:
        return set(
            await self.session.scalars(
                select(QuizRow.lesson_id).where(QuizRow.course_id == course_id, QuizRow.required)
            )
        )


def _answer_to_json(answer: NormalizedAnswer) -> Any:
    if isinstance(answer, frozenset):
        return sorted(answer)
    if isinstance(answer, Decimal):
        return {"number": str(answer)}
    return answer


def _answer_from_json(value: Any) -> NormalizedAnswer:
    if isinstance(value, list):
        return frozenset(value)
    if isinstance(value, dict):
        return Decimal(value["number"])
    if isinstance(value, bool | str):
        return value
    raise ValueError(f"unexpected stored answer {value!r}")


class SqlaAttemptRepository(SqlaRepository[QuizAttempt, QuizAttemptRow]):
    mapper = FieldMap(
        QuizAttempt,
        QuizAttemptRow,
        fields={
            "status": enum(AttemptStatus),
            "answers": Column(
                load=lambda stored: {k: _answer_from_json(v) for k, v in (stored or {}).items()},
                dump=lambda answers: {k: _answer_to_json(v) for k, v in answers.items()},
            ),
            # A fraction as text ("7/3"): exact, unlike a float.
            "score": Column(
                load=lambda stored: Fraction(stored) if stored is not None else None,
                dump=lambda score: str(score) if score is not None else None,
            ),
        },
        fixed=("id",),
    )
    relock_tracked = False

    async def for_student(self, user_id: UUID, lesson_id: UUID) -> list[QuizAttempt]:
        attempts = await self._load_many(
            select(QuizAttemptRow).where(
                QuizAttemptRow.user_id == user_id, QuizAttemptRow.lesson_id == lesson_id
            ),
            lambda a: a.user_id == user_id and a.lesson_id == lesson_id,
        )
        return sorted(attempts, key=lambda a: a.number)

    async def passed_lessons(self, user_id: UUID, course_id: UUID) -> set[UUID]:
        passed = set(
            await self.session.scalars(
                select(QuizAttemptRow.lesson_id)
                .where(
                    QuizAttemptRow.user_id == user_id,
                    QuizAttemptRow.course_id == course_id,
                    QuizAttemptRow.passed.is_(True),
                )
                .distinct()
            )
        )
        passed.update(self.passed_as_seen(user_id, course_id))
        return passed

    def passed_as_seen(self, user_id: UUID, course_id: UUID) -> set[UUID]:
        """Quizzes of the course passed by attempts this transaction holds."""
        return {
            a.lesson_id
            for a in self.seen
            if a.user_id == user_id and a.course_id == course_id and a.passed
        }


# ---- assignments ------------------------------------------------------------------------------
ASSIGNMENT_FIELDS = FieldMap(
    Assignment,
    AssignmentRow,
    fields={
        "allowed_file_kinds": Column(
            load=lambda kinds: frozenset(FileKind(kind) for kind in kinds),
            dump=lambda kinds: sorted(kind.value for kind in kinds),
        )
    },
)


class SqlaAssignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, lesson_id: UUID) -> Assignment | None:
        row = await self.session.get(AssignmentRow, lesson_id)
        return None if row is None else ASSIGNMENT_FIELDS.load(row)

    async def put(
        self, lesson_id: UUID, course_id: UUID, assignment: Assignment, now: datetime
    ) -> None:
        row = await self.session.get(AssignmentRow, lesson_id)
        if row is None:
            row = AssignmentRow(lesson_id=lesson_id)
            self.session.add(row)
        row.course_id = course_id
        ASSIGNMENT_FIELDS.write(assignment, row)
        row.updated_at = now


def _files_to_json(files: tuple[SubmittedFile, ...]) -> list[dict[str, Any]]:
    return [
        {"key": f.key, "filename": f.filename, "content_type": f.content_type, "size": f.size}
        for f in files
    ]


def _files_from_json(stored: list[dict[str, Any]] | None) -> tuple[SubmittedFile, ...]:
    return tuple(
        SubmittedFile(
            key=str(f["key"]),
            filename=str(f["filename"]) if f.get("filename") is not None else None,
            content_type=str(f["content_type"]),
            size=int(str(f["size"])),
        )
        for f in stored or []
    )


SUBMISSION_FIELDS = FieldMap(
    Submission,
    SubmissionRow,
    fields={"files": Column(load=_files_from_json, dump=_files_to_json)},
    fixed=("id",),
)
submission_from_row = SUBMISSION_FIELDS.load


class SqlaSubmissionRepository(SqlaRepository[Submission, SubmissionRow]):
    mapper = SUBMISSION_FIELDS
    relock_tracked = False

    async def find(
        self, lesson_id: UUID, user_id: UUID, *, for_update: bool = False
    ) -> Submission | None:
        for submission in self.seen:
            if submission.lesson_id == lesson_id and submission.user_id == user_id:
                return submission
        row = await self._get_row(
            select(SubmissionRow).where(
                SubmissionRow.lesson_id == lesson_id, SubmissionRow.user_id == user_id
            ),
            for_update=for_update,
        )
        return self._load(row) if row is not None else None


# ---- certificates -----------------------------------------------------------------------------
CERTIFICATE_FIELDS = FieldMap(
    Certificate, CertificateRow, fields={"instructor_names": LIST}, fixed=("id",)
)


class SqlaCertificateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, certificate: Certificate) -> None:
        self.session.add(CERTIFICATE_FIELDS.new_row(certificate))

    async def get(self, certificate_id: UUID) -> Certificate | None:
        return await self._one(CertificateRow.id == certificate_id)

    async def for_enrollment(self, enrollment_id: UUID) -> Certificate | None:
        return await self._one(CertificateRow.enrollment_id == enrollment_id)

    async def by_code(self, code: str) -> Certificate | None:
        return await self._one(CertificateRow.verification_code == code)

    async def set_revoked(self, enrollment_id: UUID, at: datetime | None) -> None:
        await self.session.execute(
            update(CertificateRow)
            .where(CertificateRow.enrollment_id == enrollment_id)
            .values(revoked_at=at)
        )

    async def _one(self, predicate: Any) -> Certificate | None:
        row = await self.session.scalar(select(CertificateRow).where(predicate))
        return None if row is None else CERTIFICATE_FIELDS.load(row)


# ---- reviews ----------------------------------------------------------------------------------
class SqlaReviewRepository(SqlaRepository[Review, CourseReviewRow]):
    mapper = FieldMap(
        Review,
        CourseReviewRow,
        fields={"created_at": Column("written_at"), "updated_at": Column("edited_at")},
        fixed=("id",),
    )
    relock_tracked = False
    counters_changed = False  # the course's rating moved (catalog caches are stale)

    async def find(self, course_id: UUID, user_id: UUID) -> Review | None:
        for review in self.seen:
            if review.course_id == course_id and review.user_id == user_id:
                return review
        row = await self.session.scalar(
            select(CourseReviewRow).where(
                CourseReviewRow.course_id == course_id, CourseReviewRow.user_id == user_id
            )
        )
        return self._load(row) if row is not None else None

    async def remove(self, review: Review) -> None:
        _, row = self._tracked.pop(review.id)
        await self.session.delete(row)

    async def course_of(self, review_id: UUID) -> UUID | None:
        found: UUID | None = await self.session.scalar(
            select(CourseReviewRow.course_id).where(CourseReviewRow.id == review_id)
        )
        return found

    async def lock_course(self, course_id: UUID) -> None:
        await self.session.execute(
            select(CourseRow.id).where(CourseRow.id == course_id).with_for_update()
        )

    async def refresh_course_rating(self, course_id: UUID) -> None:
        self.counters_changed = True
        # This transaction's own changes must be in the count.
        self.write_back()
        await self.session.flush()
        visible = select(CourseReviewRow.rating).where(
            CourseReviewRow.course_id == course_id, CourseReviewRow.hidden.is_(False)
        )
        count = select(func.count()).select_from(visible.subquery()).scalar_subquery()
        average = (
            select(func.coalesce(func.avg(CourseReviewRow.rating), 0.0))
            .where(CourseReviewRow.course_id == course_id, CourseReviewRow.hidden.is_(False))
            .scalar_subquery()
        )
        await self.session.execute(
            update(CourseRow)
            .where(CourseRow.id == course_id)
            .values(rating_count=count, rating_average=average)
        )


# ---- learning days ----------------------------------------------------------------------------
def _mark_day(insert: Any) -> Any:
    return insert.values(user_id=bindparam("user_id"), day=bindparam("day")).on_conflict_do_nothing(
        index_elements=["user_id", "day"]
    )


def _add_study_time(insert: Any) -> Any:
    insert = insert.values(
        user_id=bindparam("user_id"),
        quarter_hour=bindparam("quarter_hour"),
        seconds=bindparam("seconds"),
    )
    return insert.on_conflict_do_update(
        index_elements=["user_id", "quarter_hour"],
        set_={"seconds": StudyTimeRow.__table__.c.seconds + insert.excluded.seconds},
    )


class SqlaLearningDays:
    """Every progress report marks its day and most add study time: both statements are built
    once per dialect, on the tables (the ORM classes' inserts would take the ORM's bulk path),
    not rebuilt per report (building the upsert's ``excluded`` alone cost ~0.3 ms a report)."""

    _built: dict[tuple[str, str], Any] = {}

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _statement(self, table: Any, shape: Any) -> Any:
        key = (self.session.bind.dialect.name, shape.__name__)
        stmt = self._built.get(key)
        if stmt is None:
            stmt = self._built[key] = shape(dialect_insert(self.session, table))
        return stmt

    async def record(self, user_id: UUID, day: date) -> None:
        await self.session.execute(
            self._statement(LearningDayRow.__table__, _mark_day), {"user_id": user_id, "day": day}
        )

    async def add_study_time(self, user_id: UUID, quarter_hour: datetime, seconds: int) -> None:
        await self.session.execute(
            self._statement(StudyTimeRow.__table__, _add_study_time),
            {"user_id": user_id, "quarter_hour": quarter_hour, "seconds": seconds},
        )

    async def time_zone(self, user_id: UUID) -> str:
        return await time_zone_of(self.session, user_id)


async def time_zone_of(session: AsyncSession, user_id: UUID) -> str:
    """From the student profile, else the tutor profile (tutors take courses too), else UTC:
    one statement."""
    zone = await session.scalar(TIME_ZONE, {"user_id": user_id})
    return str(zone) if zone else "UTC"


# The user's time zone (parameter: user_id), as `time_zone_of` reads it.
_PROFILE_OWNER = bindparam("user_id", type_=StudentProfileRow.user_id.type)
TIME_ZONE = select(
    func.coalesce(
        select(StudentProfileRow.time_zone)
        .where(StudentProfileRow.user_id == _PROFILE_OWNER)
        .scalar_subquery(),
        select(TutorProfileRow.time_zone)
        .where(TutorProfileRow.user_id == _PROFILE_OWNER)
        .scalar_subquery(),
    )
)


class SqlaLearningStore:
    """Every learning repository of one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.enrollments = SqlaEnrollmentRepository(session)
        self.attempts = SqlaAttemptRepository(session)
        self.progress = SqlaProgressRepository(session, self.attempts)
        self.quizzes = SqlaQuizRepository(session)
        self.assignments = SqlaAssignmentRepository(session)
        self.submissions = SqlaSubmissionRepository(session)
        self.certificates = SqlaCertificateRepository(session)
        self.reviews = SqlaReviewRepository(session)
        self.days = SqlaLearningDays(session)

    @property
    def changed_courses(self) -> bool:
        """Whether course counters (enrollments, rating) were written."""
        return self.enrollments.counters_changed or self.reviews.counters_changed

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.enrollments, self.progress, self.attempts, self.submissions, self.reviews]
