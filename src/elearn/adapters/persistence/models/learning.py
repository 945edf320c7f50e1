"""Learning tables: enrollments, lesson progress, quizzes and attempts, assignments and
submissions, certificates, course reviews and the days students learned on.

Unique constraints carry the rules that must survive concurrent requests: one enrollment per
student and course, one review per student and course, one submission per student and
assignment, one certificate per enrollment, and attempt numbers unique per student and quiz (two
attempts started at once cannot both be the last one allowed).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import JsonB
from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.learning.enrollment import AlreadyEnrolled
from elearn.domain.learning.review import AlreadyReviewed
from elearn.domain.shared.errors import Conflict


class EnrollmentRow(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        # The course's students, newest first, and a student's courses, newest first.
        Index("ix_enrollments_course_id_enrolled_at", "course_id", "enrolled_at", "id"),
        Index("ix_enrollments_user_id_enrolled_at", "user_id", "enrolled_at", "id"),
        # Analytics recomputes its rollups of a time range from these.
        Index("ix_enrollments_enrolled_at", "enrolled_at"),
        Index("ix_enrollments_completed_at", "completed_at"),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    progress_percent: Mapped[int] = mapped_column(SmallInteger, default=0)
    # No foreign key: a lesson deleted later must not take the enrollment's history with it.
    last_lesson_id: Mapped[UUID | None]
    last_activity_at: Mapped[datetime | None]
    enrolled_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LessonProgressRow(DefaultBase):
    """Kept per student and lesson, not per enrollment: leaving a course and coming back, or a
    refund and a new purchase, finds the student where they were."""

    __tablename__ = "lesson_progress"
    __table_args__ = (Index("ix_lesson_progress_user_id_course_id", "user_id", "course_id"),)

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime | None]
    position_seconds: Mapped[int] = mapped_column(default=0)
    seconds_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class QuizRow(DefaultBase):
    __tablename__ = "quizzes"

    lesson_id: Mapped[UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    # Whether the course needs it passed, beside the definition, so completion checks read
    # only this column.
    required: Mapped[bool] = mapped_column(default=False)
    definition: Mapped[dict[str, object]] = mapped_column(JsonB)
    updated_at: Mapped[datetime]


class QuizAttemptRow(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id", "number"),)

    lesson_id: Mapped[UUID] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    answers: Mapped[dict[str, object]] = mapped_column(JsonB, default=dict)
    # An exact fraction ("7/2"): partial credit can give thirds.
    score: Mapped[str | None] = mapped_column(String(40))
    max_score: Mapped[int | None]
    passed: Mapped[bool | None]


class AssignmentRow(DefaultBase):
    __tablename__ = "assignments"

    lesson_id: Mapped[UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    instructions: Mapped[str] = mapped_column(Text)
    max_points: Mapped[int]
    due_at: Mapped[datetime | None]
    allowed_file_kinds: Mapped[list[str]] = mapped_column(JsonB, default=list)
    updated_at: Mapped[datetime]


class SubmissionRow(Base):
    __tablename__ = "assignment_submissions"
    __table_args__ = (
        UniqueConstraint("lesson_id", "user_id"),
        Index("ix_assignment_submissions_lesson_id_submitted_at", "lesson_id", "submitted_at"),
    )

    lesson_id: Mapped[UUID] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str | None] = mapped_column(Text)
    files: Mapped[list[dict[str, object]]] = mapped_column(JsonB, default=list)
    late: Mapped[bool] = mapped_column(default=False)
    submission_count: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime]
    points: Mapped[int | None]
    feedback: Mapped[str | None] = mapped_column(Text)
    graded_at: Mapped[datetime | None]
    graded_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CertificateRow(Base):
    __tablename__ = "certificates"

    enrollment_id: Mapped[UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    student_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(200))
    instructor_names: Mapped[list[str]] = mapped_column(JsonB, default=list)
    issued_at: Mapped[datetime]
    pdf_key: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None]


class CourseReviewRow(Base):
    __tablename__ = "course_reviews"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        Index("ix_course_reviews_course_id_written_at", "course_id", "written_at", "id"),
    )

    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replied_at: Mapped[datetime | None]
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    written_at: Mapped[datetime]
    edited_at: Mapped[datetime]


class StudyTimeRow(DefaultBase):
    """Seconds of study progress reports credited to a student in a quarter hour of UTC (the
    one the report arrived in): per quarter hour, so a day in any time zone (all are offset
    from UTC by multiples of 15 minutes) is a run of rows. Added to under the enrollment's
    lock, in the report's transaction: a report counts once, and only what it added."""

    __tablename__ = "study_time"
    # The rollups recount a range of quarter hours (every minute, the last half hour).
    __table_args__ = (Index("ix_study_time_quarter_hour", "quarter_hour"),)

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quarter_hour: Mapped[datetime] = mapped_column(primary_key=True)
    seconds: Mapped[int]


class LearningDayRow(DefaultBase):
    """A day, in the student's time zone at the time, on which they learned: streaks are runs
    of these."""

    __tablename__ = "learning_days"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)


# The constraints above that stand for a domain conflict (see `integrity`).
CONSTRAINT_ERRORS: ConstraintErrors = {
    "uq_enrollments_user_id": lambda: AlreadyEnrolled("already enrolled in this course"),
    "uq_course_reviews_course_id": lambda: AlreadyReviewed("you have already reviewed this course"),
    "uq_quiz_attempts_lesson_id": lambda: Conflict(
        "another attempt was started at the same moment; open the quiz again"
    ),
    "uq_assignment_submissions_lesson_id": lambda: Conflict(
        "your work was handed in twice at the same moment; check what was kept"
    ),
}
