"""Lesson progress and course progress.

Rules:

- A course's progress is the share of its *required* lessons that the student has completed, in
  whole percent rounded down, so 100 is only ever shown when every required lesson is done. A
  course whose instructors marked nothing required counts all its lessons; a course without
  lessons is at 0. Completions of lessons the course no longer has (deleted lessons) do not count.
- A video lesson completes when the player reaches 90% of the video: the credits and the last
  seconds people skip should not keep a lesson open. A video without a known duration never
  completes by position, only when marked complete.
- Clients report progress periodically. A report replaces the playback position (players seek
  backwards too) and adds the study time it claims (at most an hour), but never more than the
  wall-clock time since the student's previous activity the server observed (their previous
  report on any lesson, or enrolling): a client cannot make time up. A report that breaks a rule
  is refused whole.
- Marking a lesson complete keeps the first completion time; un-marking it clears it. A quiz
  lesson is completed by passing the quiz and an assignment lesson by handing it in, never by
  the student saying so: marking (or un-marking) them is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation

VIDEO_COMPLETION_PERCENT = 90
# One progress report cannot claim more than an hour of study (clients report periodically).
MAX_SECONDS_SPENT_PER_UPDATE = 3600
# The position limit when the lesson's duration is unknown: the longest lesson a course may have.
_MAX_POSITION_WITHOUT_DURATION = 24 * 3600


class InvalidProgress(RuleViolation):
    code = "invalid-progress"


class CompletedBy(StrEnum):
    """What completes a lesson whose completion the student cannot report."""

    PASSING_THE_QUIZ = "passing the quiz"
    HANDING_IN_THE_ASSIGNMENT = "handing in the assignment"


class CompletionNotReportable(RuleViolation):
    code = "completion-not-reportable"

    def __init__(self, completes_by: CompletedBy) -> None:
        super().__init__(f"this lesson is completed by {completes_by.value}, not by a report")


def credited_seconds(claimed: int, *, now: datetime, active_since: datetime | None) -> int:
    """The study time a report adds: what it claims, at most the whole seconds since the
    student's previous observed activity; nothing without one (nothing was observed)."""
    if active_since is None or now <= active_since:
        return 0
    return min(claimed, (now - active_since) // timedelta(seconds=1))


def study_quarter_hour(now: datetime) -> datetime:
    """The quarter hour of UTC a report's study time is kept in (the one it arrived in): every
    time zone is offset from UTC by a multiple of 15 minutes, so any local day is a run of them."""
    utc = now.astimezone(UTC)
    return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class LessonRequirement:
    lesson_id: UUID
    required: bool


def course_progress(lessons: Sequence[LessonRequirement], completed: Collection[UUID]) -> int:
    """Percent (0..100, rounded down) of the course's required lessons that are completed."""
    counted = {lesson.lesson_id for lesson in lessons if lesson.required}
    if not counted:
        counted = {lesson.lesson_id for lesson in lessons}
    if not counted:
        return 0
    # Intersecting with the course's lessons drops completions of deleted lessons.
    done = len(counted.intersection(completed))
    return done * 100 // len(counted)


def position_completes(position_seconds: int, duration_seconds: int) -> bool:
    """Whether a video position reaches the completion threshold (exact, in integers)."""
    return (
        duration_seconds > 0
        and position_seconds * 100 >= duration_seconds * VIDEO_COMPLETION_PERCENT
    )


@dataclass(eq=False)
class LessonProgress:
    """One student's progress in one lesson."""

    user_id: UUID
    lesson_id: UUID
    course_id: UUID
    completed_at: datetime | None = None
    position_seconds: int = 0
    seconds_spent: int = 0
    updated_at: datetime | None = None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    def record(
        self,
        *,
        now: datetime,
        is_video: bool,
        duration_seconds: int,
        completed: bool | None = None,
        position_seconds: int | None = None,
        seconds_spent: int | None = None,
        active_since: datetime | None = None,
        completes_by: CompletedBy | None = None,
    ) -> bool:
        """Apply one progress report. Returns True when it made the lesson newly complete.

        ``active_since`` is the student's previous activity the server observed, which caps the
        study time credited (``credited_seconds``); ``completes_by`` names what completes the
        lesson when the student may not report it. Raises InvalidProgress when a value is out
        of range, CompletionNotReportable for a completion the student may not report; either
        changes nothing.
        """
        if completed is not None and completes_by is not None:
            raise CompletionNotReportable(completes_by)
        max_position = duration_seconds if duration_seconds > 0 else _MAX_POSITION_WITHOUT_DURATION
        if position_seconds is not None and not 0 <= position_seconds <= max_position:
            raise InvalidProgress(f"position_seconds must be between 0 and {max_position}")
        if seconds_spent is not None and not 0 <= seconds_spent <= MAX_SECONDS_SPENT_PER_UPDATE:
            raise InvalidProgress(
                f"seconds_spent must be between 0 and {MAX_SECONDS_SPENT_PER_UPDATE}"
            )

        was_completed = self.completed
        if position_seconds is not None:
            self.position_seconds = position_seconds
        if seconds_spent is not None:
            self.seconds_spent += credited_seconds(
                seconds_spent, now=now, active_since=active_since
            )

        # An explicit "not complete" wins over the position in the same report: the student
        # un-marked the lesson on purpose.
        if completed is False:
            self.completed_at = None
        elif completed or (
            is_video
            and position_seconds is not None
            and position_completes(position_seconds, duration_seconds)
        ):
            if self.completed_at is None:
                self.completed_at = now

        self.updated_at = now
        return not was_completed and self.completed
