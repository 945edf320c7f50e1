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

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

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
    SubmissionRow,
)
from elearn.adapters.persistence.repositories import TrackingRepository
from elearn.domain.learning.assignment import Assignment, FileKind, Submission, SubmittedFile
from elearn.domain.learning.certificate import Certificate
from elearn.domain.learning.enrollment import Enrollment, EnrollmentSource, EnrollmentStatus
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
class SqlaEnrollmentRepository(TrackingRepository[Enrollment, EnrollmentRow]):
    counters_changed = False  # the course's enrollment count moved (catalog caches are stale)

    async def add(self, enrollment: Enrollment) -> None:
        row = EnrollmentRow(id=enrollment.id)
        self._to_row(enrollment, row)
        self.session.add(row)
        self._track(enrollment.id, enrollment, row)

    async def get(self, enrollment_id: UUID, *, for_update: bool = False) -> Enrollment | None:
        if enrollment_id in self._tracked:
            return self._tracked[enrollment_id][0]
        row = await self._get_row(
            select(EnrollmentRow).where(EnrollmentRow.id == enrollment_id), for_update=for_update
        )
        return self._load(row) if row is not None else None

    async def find(
        self, user_id: UUID, course_id: UUID, *, for_update: bool = False
    ) -> Enrollment | None:
        for enrollment in self.seen:
            if enrollment.user_id == user_id and enrollment.course_id == course_id:
                return enrollment
        row = await self._get_row(
            select(EnrollmentRow).where(
                EnrollmentRow.user_id == user_id, EnrollmentRow.course_id == course_id
            ),
            for_update=for_update,
        )
        return self._load(row) if row is not None else None

    async def remove(self, enrollment: Enrollment) -> None:
        _, row = self._tracked.pop(enrollment.id)
        await self.session.delete(row)
        enrollment.pull_events()

    async def change_course_count(self, course_id: UUID, delta: int) -> None:
        self.counters_changed = True
        # Relative, so the row lock orders concurrent changes and none is lost.
        await self.session.execute(
            update(CourseRow)
            .where(CourseRow.id == course_id)
            .values(enrollment_count=CourseRow.enrollment_count + delta)
        )

    def _from_row(self, row: EnrollmentRow) -> Enrollment:
        return Enrollment(
            id=row.id,
            user_id=row.user_id,
            course_id=row.course_id,
            source=EnrollmentSource(row.source),
            enrolled_at=row.enrolled_at,
            status=EnrollmentStatus(row.status),
            progress_percent=row.progress_percent,
            last_lesson_id=row.last_lesson_id,
            last_activity_at=row.last_activity_at,
            completed_at=row.completed_at,
            revoked_at=row.revoked_at,
        )

    def _to_row(self, enrollment: Enrollment, row: EnrollmentRow) -> None:
        row.user_id = enrollment.user_id
        row.course_id = enrollment.course_id
        row.source = enrollment.source.value
        row.status = enrollment.status.value
        row.progress_percent = enrollment.progress_percent
        row.last_lesson_id = enrollment.last_lesson_id
        row.last_activity_at = enrollment.last_activity_at
        row.enrolled_at = enrollment.enrolled_at
        row.completed_at = enrollment.completed_at
        row.revoked_at = enrollment.revoked_at


# ---- progress ---------------------------------------------------------------------------------
class SqlaProgressRepository(TrackingRepository[LessonProgress, LessonProgressRow]):
    async def get(self, user_id: UUID, lesson_id: UUID) -> LessonProgress | None:
        key = (user_id, lesson_id)
        if key in self._tracked:
            return self._tracked[key][0]
        row = await self.session.get(LessonProgressRow, key)
        return self._load(row) if row is not None else None

    async def add(self, progress: LessonProgress) -> None:
        row = LessonProgressRow(user_id=progress.user_id, lesson_id=progress.lesson_id)
        self._to_row(progress, row)
        self.session.add(row)
        self._track((progress.user_id, progress.lesson_id), progress, row)

    async def completed_lessons(self, user_id: UUID, course_id: UUID) -> set[UUID]:
        stored = set(
            await self.session.scalars(
                select(LessonProgressRow.lesson_id).where(
                    LessonProgressRow.user_id == user_id,
                    LessonProgressRow.course_id == course_id,
                    LessonProgressRow.completed_at.is_not(None),
                )
            )
        )
        for progress in self.seen:
            if progress.user_id == user_id and progress.course_id == course_id:
                if progress.completed:
                    stored.add(progress.lesson_id)
                else:
                    stored.discard(progress.lesson_id)
        return stored

    def _key_of_row(self, row: LessonProgressRow) -> Any:
        return (row.user_id, row.lesson_id)

    def _from_row(self, row: LessonProgressRow) -> LessonProgress:
        return LessonProgress(
            user_id=row.user_id,
            lesson_id=row.lesson_id,
            course_id=row.course_id,
            completed_at=row.completed_at,
            position_seconds=row.position_seconds,
            seconds_spent=row.seconds_spent,
            updated_at=row.updated_at,
        )

    def _to_row(self, progress: LessonProgress, row: LessonProgressRow) -> None:
        row.course_id = progress.course_id
        row.completed_at = progress.completed_at
        row.position_seconds = progress.position_seconds
        row.seconds_spent = progress.seconds_spent
        if progress.updated_at is not None:
            row.updated_at = progress.updated_at


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


class SqlaAttemptRepository(TrackingRepository[QuizAttempt, QuizAttemptRow]):
    async def add(self, attempt: QuizAttempt) -> None:
        row = QuizAttemptRow(id=attempt.id)
        self._to_row(attempt, row)
        self.session.add(row)
        self._track(attempt.id, attempt, row)

    async def get(self, attempt_id: UUID, *, for_update: bool = False) -> QuizAttempt | None:
        if attempt_id in self._tracked:
            return self._tracked[attempt_id][0]
        row = await self._get_row(
            select(QuizAttemptRow).where(QuizAttemptRow.id == attempt_id), for_update=for_update
        )
        return self._load(row) if row is not None else None

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
        passed.update(
            a.lesson_id
            for a in self.seen
            if a.user_id == user_id and a.course_id == course_id and a.passed
        )
        return passed

    def _from_row(self, row: QuizAttemptRow) -> QuizAttempt:
        return QuizAttempt(
            id=row.id,
            lesson_id=row.lesson_id,
            course_id=row.course_id,
            user_id=row.user_id,
            number=row.number,
            seed=row.seed,
            started_at=row.started_at,
            deadline=row.deadline,
            status=AttemptStatus(row.status),
            submitted_at=row.submitted_at,
            answers={k: _answer_from_json(v) for k, v in (row.answers or {}).items()},
            score=Fraction(row.score) if row.score is not None else None,
            max_score=row.max_score,
            passed=row.passed,
        )

    def _to_row(self, attempt: QuizAttempt, row: QuizAttemptRow) -> None:
        row.lesson_id = attempt.lesson_id
        row.course_id = attempt.course_id
        row.user_id = attempt.user_id
        row.number = attempt.number
        row.seed = attempt.seed
        row.status = attempt.status.value
        row.started_at = attempt.started_at
        row.deadline = attempt.deadline
        row.submitted_at = attempt.submitted_at
        row.answers = {k: _answer_to_json(v) for k, v in attempt.answers.items()}
        row.score = str(attempt.score) if attempt.score is not None else None
        row.max_score = attempt.max_score
        row.passed = attempt.passed


# ---- assignments ------------------------------------------------------------------------------
class SqlaAssignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, lesson_id: UUID) -> Assignment | None:
        row = await self.session.get(AssignmentRow, lesson_id)
        if row is None:
            return None
        return Assignment(
            instructions=row.instructions,
            max_points=row.max_points,
            due_at=row.due_at,
            allowed_file_kinds=frozenset(FileKind(k) for k in row.allowed_file_kinds),
        )

    async def put(
        self, lesson_id: UUID, course_id: UUID, assignment: Assignment, now: datetime
    ) -> None:
        row = await self.session.get(AssignmentRow, lesson_id)
        if row is None:
            row = AssignmentRow(lesson_id=lesson_id)
            self.session.add(row)
        row.course_id = course_id
        row.instructions = assignment.instructions
        row.max_points = assignment.max_points
        row.due_at = assignment.due_at
        row.allowed_file_kinds = sorted(k.value for k in assignment.allowed_file_kinds)
        row.updated_at = now


class SqlaSubmissionRepository(TrackingRepository[Submission, SubmissionRow]):
    async def add(self, submission: Submission) -> None:
        row = SubmissionRow(id=submission.id)
        self._to_row(submission, row)
        self.session.add(row)
        self._track(submission.id, submission, row)

    async def get(self, submission_id: UUID, *, for_update: bool = False) -> Submission | None:
        if submission_id in self._tracked:
            return self._tracked[submission_id][0]
        row = await self._get_row(
            select(SubmissionRow).where(SubmissionRow.id == submission_id), for_update=for_update
        )
        return self._load(row) if row is not None else None

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

    def _from_row(self, row: SubmissionRow) -> Submission:
        return submission_from_row(row)

    def _to_row(self, submission: Submission, row: SubmissionRow) -> None:
        row.lesson_id = submission.lesson_id
        row.course_id = submission.course_id
        row.user_id = submission.user_id
        row.text = submission.text
        row.files = [
            {"key": f.key, "filename": f.filename, "content_type": f.content_type, "size": f.size}
            for f in submission.files
        ]
        row.late = submission.late
        row.submission_count = submission.submission_count
        row.submitted_at = submission.submitted_at
        row.points = submission.points
        row.feedback = submission.feedback
        row.graded_at = submission.graded_at
        row.graded_by = submission.graded_by


def submission_from_row(row: SubmissionRow) -> Submission:
    return Submission(
        id=row.id,
        lesson_id=row.lesson_id,
        course_id=row.course_id,
        user_id=row.user_id,
        submitted_at=row.submitted_at,
        text=row.text,
        files=tuple(
            SubmittedFile(
                key=str(f["key"]),
                filename=str(f["filename"]) if f.get("filename") is not None else None,
                content_type=str(f["content_type"]),
                size=int(str(f["size"])),
            )
            for f in row.files or []
        ),
        late=row.late,
        submission_count=row.submission_count,
        points=row.points,
        feedback=row.feedback,
        graded_at=row.graded_at,
        graded_by=row.graded_by,
    )


# ---- certificates -----------------------------------------------------------------------------
class SqlaCertificateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, certificate: Certificate) -> None:
        self.session.add(
            CertificateRow(
                id=certificate.id,
                enrollment_id=certificate.enrollment_id,
                user_id=certificate.user_id,
                course_id=certificate.course_id,
                serial=certificate.serial,
                verification_code=certificate.verification_code,
                student_name=certificate.student_name,
                course_title=certificate.course_title,
                instructor_names=list(certificate.instructor_names),
                issued_at=certificate.issued_at,
                pdf_key=certificate.pdf_key,
                revoked_at=certificate.revoked_at,
            )
        )

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
        if row is None:
            return None
        return Certificate(
            id=row.id,
            enrollment_id=row.enrollment_id,
            user_id=row.user_id,
            course_id=row.course_id,
            serial=row.serial,
            verification_code=row.verification_code,
            student_name=row.student_name,
            course_title=row.course_title,
            instructor_names=tuple(row.instructor_names),
            issued_at=row.issued_at,
            pdf_key=row.pdf_key,
            revoked_at=row.revoked_at,
        )


# ---- reviews ----------------------------------------------------------------------------------
class SqlaReviewRepository(TrackingRepository[Review, CourseReviewRow]):
    counters_changed = False  # the course's rating moved (catalog caches are stale)

    async def add(self, review: Review) -> None:
        row = CourseReviewRow(id=review.id)
        self._to_row(review, row)
        self.session.add(row)
        self._track(review.id, review, row)

    async def get(self, review_id: UUID, *, for_update: bool = False) -> Review | None:
        if review_id in self._tracked:
            return self._tracked[review_id][0]
        row = await self._get_row(
            select(CourseReviewRow).where(CourseReviewRow.id == review_id), for_update=for_update
        )
        return self._load(row) if row is not None else None

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

    def _from_row(self, row: CourseReviewRow) -> Review:
        return Review(
            id=row.id,
            course_id=row.course_id,
            user_id=row.user_id,
            rating=row.rating,
            created_at=row.written_at,
            updated_at=row.edited_at,
            text=row.text,
            reply=row.reply,
            replied_by=row.replied_by,
            replied_at=row.replied_at,
            hidden=row.hidden,
            hidden_reason=row.hidden_reason,
            hidden_by=row.hidden_by,
        )

    def _to_row(self, review: Review, row: CourseReviewRow) -> None:
        row.course_id = review.course_id
        row.user_id = review.user_id
        row.rating = review.rating
        row.text = review.text
        row.reply = review.reply
        row.replied_by = review.replied_by
        row.replied_at = review.replied_at
        row.hidden = review.hidden
        row.hidden_reason = review.hidden_reason
        row.hidden_by = review.hidden_by
        row.written_at = review.created_at
        row.edited_at = review.updated_at


# ---- learning days ----------------------------------------------------------------------------
class SqlaLearningDays:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, user_id: UUID, day: date) -> None:
        dialect = self.session.bind.dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(LearningDayRow)
            .values(user_id=user_id, day=day)
            .on_conflict_do_nothing(index_elements=["user_id", "day"])
        )

    async def time_zone(self, user_id: UUID) -> str:
        return await time_zone_of(self.session, user_id)


async def time_zone_of(session: AsyncSession, user_id: UUID) -> str:
    """From the student profile, else the tutor profile (tutors take courses too), else UTC."""
    for column, owner in (
        (StudentProfileRow.time_zone, StudentProfileRow.user_id),
        (TutorProfileRow.time_zone, TutorProfileRow.user_id),
    ):
        zone = await session.scalar(select(column).where(owner == user_id))
        if zone:
            return str(zone)
    return "UTC"


class SqlaLearningStore:
    """Every learning repository of one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.enrollments = SqlaEnrollmentRepository(session)
        self.progress = SqlaProgressRepository(session)
        self.quizzes = SqlaQuizRepository(session)
        self.attempts = SqlaAttemptRepository(session)
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
