"""Enrollment: a student's place in a course, and when it is complete.

An enrollment is ``active`` from the moment the student is in, ``completed`` once every
required lesson is done and every quiz the instructors marked required is passed, and
``revoked`` when billing takes it back (a refund). A completed enrollment stays completed when
the course later grows: the certificate was earned. A revoked enrollment gives no access;
granting the course again (a new purchase, an admin) makes it active again with the progress
the student had.

Self-service enrollment is for free, published courses, by students with a verified email who
have completed the course's prerequisites. ``grant`` is the only other way in, for billing and
administrators.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from elearn.domain.shared.errors import Conflict, Forbidden, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents


# ---- errors ----------------------------------------------------------------------------------
class AlreadyEnrolled(Conflict):
    code = "already-enrolled"


class NotEnrolled(Forbidden):
    code = "not-enrolled"


class EmailNotVerified(Forbidden):
    code = "email-not-verified"


class CourseNotOpen(RuleViolation):
    """Only published courses take new students."""

    code = "course-not-open"


class PrerequisitesMissing(RuleViolation):
    code = "prerequisites-missing"

    def __init__(self, missing: Sequence[UUID]) -> None:
        super().__init__("complete the course's prerequisites first")
        self.missing = tuple(missing)


class InstructorCannotEnroll(RuleViolation):
    code = "instructor-cannot-enroll"


class CannotLeave(Conflict):
    code = "cannot-leave"


# ---- value types -----------------------------------------------------------------------------
class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    REVOKED = "revoked"


class EnrollmentSource(StrEnum):
    SELF = "self"  # a free course, by the student
    PURCHASE = "purchase"  # billing, after payment
    GRANT = "grant"  # an administrator


# Statuses whose holder may learn: read lessons, record progress, review the course.
LEARNING_STATUSES = frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED})


# ---- events ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentStarted(DomainEvent):
    event_type: ClassVar[str] = "learning.enrollment_started"
    enrollment_id: UUID
    course_id: UUID
    user_id: UUID
    source: EnrollmentSource


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentCompleted(DomainEvent):
    event_type: ClassVar[str] = "learning.enrollment_completed"
    enrollment_id: UUID
    course_id: UUID
    user_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentRevoked(DomainEvent):
    event_type: ClassVar[str] = "learning.enrollment_revoked"
    enrollment_id: UUID
    course_id: UUID
    user_id: UUID
    reason: str | None = None


# ---- rules -----------------------------------------------------------------------------------
def check_self_enrollment(
    *,
    email_verified: bool,
    course_published: bool,
    is_instructor: bool,
    missing_prerequisites: Sequence[UUID],
) -> None:
    """What a student must satisfy to enroll on their own (price is the caller's concern:
    a paid course is bought, not enrolled in)."""
    if not email_verified:
        raise EmailNotVerified("verify your email address before enrolling")
    if not course_published:
        raise CourseNotOpen("the course is not open for enrollment")
    if is_instructor:
        raise InstructorCannotEnroll("instructors of a course cannot enroll in it")
    if missing_prerequisites:
        raise PrerequisitesMissing(missing_prerequisites)


def completes(*, progress_percent: int, required_quizzes_passed: bool) -> bool:
    return progress_percent >= 100 and required_quizzes_passed


# ---- the aggregate ---------------------------------------------------------------------------
@dataclasses.dataclass(eq=False, kw_only=True)
class Enrollment(RecordsEvents):
    id: UUID
    user_id: UUID
    course_id: UUID
    source: EnrollmentSource
    enrolled_at: datetime
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE
    progress_percent: int = 0
    last_lesson_id: UUID | None = None
    last_activity_at: datetime | None = None
    completed_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def start(
        cls,
        *,
        enrollment_id: UUID,
        user_id: UUID,
        course_id: UUID,
        source: EnrollmentSource,
        now: datetime,
        event_id: UUID,
    ) -> Enrollment:
        enrollment = cls(
            id=enrollment_id,
            user_id=user_id,
            course_id=course_id,
            source=source,
            enrolled_at=now,
        )
        enrollment._started(now, event_id)
        return enrollment

    @property
    def gives_access(self) -> bool:
        return self.status in LEARNING_STATUSES

    @property
    def counts_as_enrolled(self) -> bool:
        """Whether it counts in the course's enrollment count."""
        return self.gives_access

    def regrant(self, *, source: EnrollmentSource, now: datetime, event_id: UUID) -> None:
        """Grants a revoked enrollment again; a live one is a duplicate."""
        if self.status is not EnrollmentStatus.REVOKED:
            raise AlreadyEnrolled("already enrolled in this course")
        self.source = source
        self.enrolled_at = now
        self.revoked_at = None
        self.status = (
            EnrollmentStatus.COMPLETED if self.completed_at is not None else EnrollmentStatus.ACTIVE
        )
        self._started(now, event_id)

    def revoke(self, *, now: datetime, event_id: UUID, reason: str | None = None) -> None:
        if self.status is EnrollmentStatus.REVOKED:
            raise IllegalTransition("enrollment", self.status.value, "revoke")
        self.status = EnrollmentStatus.REVOKED
        self.revoked_at = now
        self.record(
            EnrollmentRevoked(
                event_id=event_id,
                occurred_at=now,
                enrollment_id=self.id,
                course_id=self.course_id,
                user_id=self.user_id,
                reason=reason,
            )
        )

    def check_can_leave(self) -> None:
        """A student leaves a free course they are taking; what was paid for ends by refund and
        what was completed stays with its certificate."""
        if self.source is not EnrollmentSource.SELF:
            raise CannotLeave("a purchased or granted enrollment ends by a refund, not by leaving")
        if self.status is not EnrollmentStatus.ACTIVE:
            raise CannotLeave(f"a {self.status.value} enrollment cannot be left")

    def require_access(self) -> None:
        if not self.gives_access:
            raise NotEnrolled("this enrollment was revoked")

    def record_activity(
        self,
        *,
        lesson_id: UUID | None,
        progress_percent: int,
        required_quizzes_passed: bool,
        now: datetime,
        event_id: UUID,
    ) -> bool:
        """Takes the course's progress after some learning; completes the enrollment when it
        reaches the end. Returns whether this completed it."""
        self.require_access()
        if lesson_id is not None:
            self.last_lesson_id = lesson_id
        self.last_activity_at = now
        self.progress_percent = max(0, min(100, progress_percent))
        if self.status is EnrollmentStatus.COMPLETED or not completes(
            progress_percent=self.progress_percent, required_quizzes_passed=required_quizzes_passed
        ):
            return False
        self.status = EnrollmentStatus.COMPLETED
        self.completed_at = now
        self.record(
            EnrollmentCompleted(
                event_id=event_id,
                occurred_at=now,
                enrollment_id=self.id,
                course_id=self.course_id,
                user_id=self.user_id,
            )
        )
        return True

    def _started(self, now: datetime, event_id: UUID) -> None:
        self.record(
            EnrollmentStarted(
                event_id=event_id,
                occurred_at=now,
                enrollment_id=self.id,
                course_id=self.course_id,
                user_id=self.user_id,
                source=self.source,
            )
        )
