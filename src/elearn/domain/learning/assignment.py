"""Assignments: work a student hands in and an instructor grades.

An assignment lesson carries instructions, an optional due time, the points it is worth and
the kinds of file it accepts. A student hands in text, files or both; they may hand in again
(replacing what they sent) until it is graded. Work handed in after the due time is accepted
and flagged late. An instructor grades it with points (0 to the maximum) and feedback, and may
correct a grade later; the student hears of each grade.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from elearn.domain.shared.errors import Conflict, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

MAX_INSTRUCTIONS = 20_000
MAX_POINTS = 1000
MAX_SUBMISSION_TEXT = 50_000
MAX_FEEDBACK = 10_000
MAX_FILES = 5


class InvalidAssignment(RuleViolation):
    code = "invalid-assignment"


class InvalidSubmission(RuleViolation):
    code = "invalid-submission"


class InvalidGrade(RuleViolation):
    code = "invalid-grade"


class SubmissionGraded(Conflict):
    code = "submission-graded"


class FileKind(StrEnum):
    """What an assignment accepts, in words an instructor uses; storage judges each file's
    real type from its bytes."""

    PDF = "pdf"
    IMAGE = "image"
    ZIP = "zip"
    TEXT = "text"


MEDIA_TYPES_OF_KIND: dict[FileKind, frozenset[str]] = {
    FileKind.PDF: frozenset({"application/pdf"}),
    FileKind.IMAGE: frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
    FileKind.ZIP: frozenset({"application/zip"}),
    FileKind.TEXT: frozenset({"text/plain"}),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Assignment:
    instructions: str
    max_points: int = 100
    due_at: datetime | None = None
    allowed_file_kinds: frozenset[FileKind] = frozenset()  # empty: text only

    def __post_init__(self) -> None:
        if not self.instructions.strip():
            raise InvalidAssignment("instructions must not be empty")
        if len(self.instructions) > MAX_INSTRUCTIONS:
            raise InvalidAssignment(f"instructions are longer than {MAX_INSTRUCTIONS} characters")
        if isinstance(self.max_points, bool) or not 1 <= self.max_points <= MAX_POINTS:
            raise InvalidAssignment(f"max_points is a whole number from 1 to {MAX_POINTS}")
        if self.due_at is not None and self.due_at.tzinfo is None:
            raise InvalidAssignment("due_at needs a time zone")

    @property
    def allowed_media_types(self) -> frozenset[str]:
        return frozenset().union(*(MEDIA_TYPES_OF_KIND[k] for k in self.allowed_file_kinds))

    def is_late(self, at: datetime) -> bool:
        return self.due_at is not None and at > self.due_at


@dataclasses.dataclass(frozen=True, slots=True)
class SubmittedFile:
    key: str
    filename: str | None
    content_type: str
    size: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class AssignmentGraded(DomainEvent):
    event_type: ClassVar[str] = "learning.assignment_graded"
    submission_id: UUID
    lesson_id: UUID
    course_id: UUID
    user_id: UUID
    points: int
    max_points: int
    feedback: str | None = None


@dataclasses.dataclass(eq=False, kw_only=True)
class Submission(RecordsEvents):
    id: UUID
    lesson_id: UUID
    course_id: UUID
    user_id: UUID
    submitted_at: datetime
    text: str | None = None
    files: tuple[SubmittedFile, ...] = ()
    late: bool = False
    submission_count: int = 1
    points: int | None = None
    feedback: str | None = None
    graded_at: datetime | None = None
    graded_by: UUID | None = None

    @classmethod
    def hand_in(
        cls,
        assignment: Assignment,
        *,
        submission_id: UUID,
        lesson_id: UUID,
        course_id: UUID,
        user_id: UUID,
        text: str | None,
        files: tuple[SubmittedFile, ...],
        now: datetime,
    ) -> Submission:
        submission = cls(
            id=submission_id,
            lesson_id=lesson_id,
            course_id=course_id,
            user_id=user_id,
            submitted_at=now,
            submission_count=0,
        )
        submission.resubmit(assignment, text=text, files=files, now=now)
        return submission

    @property
    def is_graded(self) -> bool:
        return self.graded_at is not None

    def resubmit(
        self,
        assignment: Assignment,
        *,
        text: str | None,
        files: tuple[SubmittedFile, ...],
        now: datetime,
    ) -> tuple[SubmittedFile, ...]:
        """Replaces the work handed in; returns the files it replaced (for storage to drop)."""
        if self.is_graded:
            raise SubmissionGraded("this work has been graded and can no longer be changed")
        cleaned = (text or "").strip() or None
        if cleaned is not None and len(cleaned) > MAX_SUBMISSION_TEXT:
            raise InvalidSubmission(f"text is longer than {MAX_SUBMISSION_TEXT} characters")
        if cleaned is None and not files:
            raise InvalidSubmission("hand in some text or at least one file")
        if len(files) > MAX_FILES:
            raise InvalidSubmission(f"at most {MAX_FILES} files")
        allowed = assignment.allowed_media_types
        for file in files:
            if file.content_type not in allowed:
                raise InvalidSubmission(
                    f"{file.filename or 'a file'} is not a kind this assignment accepts"
                )
        replaced = self.files
        self.text = cleaned
        self.files = files
        self.submitted_at = now
        self.late = assignment.is_late(now)
        self.submission_count += 1
        return replaced

    def grade(
        self,
        assignment: Assignment,
        *,
        grader_id: UUID,
        points: int,
        feedback: str | None,
        now: datetime,
        event_id: UUID,
    ) -> None:
        if isinstance(points, bool) or not 0 <= points <= assignment.max_points:
            raise InvalidGrade(f"points are a whole number from 0 to {assignment.max_points}")
        cleaned = (feedback or "").strip() or None
        if cleaned is not None and len(cleaned) > MAX_FEEDBACK:
            raise InvalidGrade(f"feedback is longer than {MAX_FEEDBACK} characters")
        self.points = points
        self.feedback = cleaned
        self.graded_at = now
        self.graded_by = grader_id
        self.record(
            AssignmentGraded(
                event_id=event_id,
                occurred_at=now,
                submission_id=self.id,
                lesson_id=self.lesson_id,
                course_id=self.course_id,
                user_id=self.user_id,
                points=points,
                max_points=assignment.max_points,
                feedback=cleaned,
            )
        )
