"""What the analytics use cases need: rollups to read and keep, and a person's own learning."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from elearn.domain.analytics.metrics import Family, Metric


class RollupReader(Protocol):
    async def many(
        self,
        metrics: Collection[Metric],
        bucket_starts: Sequence[int],
        end_slot: int,
        *,
        dimensions: Collection[str] | None = None,
        per_dimension: bool = True,
    ) -> dict[Metric, list[tuple[int, str, str, int]]]:
        """Several metrics in one statement, summed per bucket in the database: the buckets
        are the slots from each of ``bucket_starts`` (ascending) to the next, the last to
        ``end_slot``. Answers ``(bucket index, dimension, currency, value)`` per metric, buckets
        with nothing left out; without ``per_dimension``, summed over the dimensions
        (dimension '')."""
        ...


class RollupKeeper(Protocol):
    async def recompute(self, families: Collection[Family], first_slot: int, end_slot: int) -> int:
        """Recomputes the families' rollups of the slots ``[first_slot, end_slot)`` from their
        sources, replacing what was there, in one transaction; answers the rows written."""
        ...


@dataclass(frozen=True, slots=True)
class CourseProgress:
    course_id: UUID
    title: str
    status: str
    progress_percent: int
    last_activity_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class FunnelRow:
    course_id: UUID
    title: str
    enrolled: int
    started: int
    halfway: int
    completed: int


@dataclass(frozen=True, slots=True)
class UpcomingLesson:
    booking_id: UUID
    tutor_id: UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class LearnerFacts:
    courses: list[CourseProgress]
    learning_days: list[date]  # newest first, at most a year's worth
    certificates: int
    upcoming_lessons: list[UpcomingLesson]  # confirmed, not yet over, soonest first


@dataclass(frozen=True, slots=True)
class PlatformSnapshot:
    """Counts of things as they stand now (not events in time)."""

    # (category name, '' for none; status; courses)
    courses: list[tuple[str, str, int]]
    # (status, tickets)
    tickets: list[tuple[str, int]]


class AnalyticsQueries(Protocol):
    async def taught_courses(self, user_id: UUID) -> dict[UUID, str]:
        """The courses the person teaches (owner or co-instructor): id → title."""
        ...

    async def course_title(self, course_id: UUID) -> str | None: ...

    async def funnel(self, course_ids: Sequence[UUID]) -> list[FunnelRow]:
        """Per course: enrolled, started (any progress), halfway (50 %+), completed."""
        ...

    async def learner(self, user_id: UUID, now: datetime) -> LearnerFacts: ...

    async def ratings_and_last_lessons(
        self, course_ids: Sequence[UUID]
    ) -> tuple[list[int], dict[UUID, int]]:
        """Visible reviews of the courses per rating (1 to 5, index 0 is 1 star), and how many
        active students' last lesson reached is each lesson (drop-off)."""
        ...

    async def quiz_questions(self, course_ids: Sequence[UUID]) -> list[QuizQuestion]:
        """The questions of the courses' quizzes now, course, lesson and question in order."""
        ...

    async def active_people(self, today: date) -> tuple[int, int, int]:
        """Distinct people seen on the last 1, 7 and 30 UTC days up to ``today``, at once."""
        ...

    async def platform_snapshot(self) -> PlatformSnapshot:
        """Courses per category and status, and support tickets per status, as they stand (or
        stood a few seconds ago: an implementation may reuse a recent count): one statement."""
        ...


@dataclass(frozen=True, slots=True)
class Sighting:
    """A person seen on a UTC day: ``kind`` ``active`` (subject '') or ``course_view`` (subject
    the course's id as ``UUID.hex``)."""

    kind: str
    subject: str
    day: date
    person_id: UUID


@dataclass(frozen=True, slots=True)
class QuizAnswer:
    """Whether one question of a submitted attempt earned its full points."""

    attempt_id: UUID
    question_id: str
    course_id: UUID
    lesson_id: UUID
    submitted_at: datetime
    correct: bool


class QuizAnswerStore(Protocol):
    async def save(self, answers: Collection[QuizAnswer]) -> None:
        """Keeps each once: an answer already stored (same attempt and question) changes
        nothing."""
        ...


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    """A question of a quiz lesson as it is now, in the course's order of lessons and the
    quiz's order of questions (``position`` counts from 1 within the quiz)."""

    course_id: UUID
    lesson_id: UUID
    lesson_title: str
    position: int
    question_id: str
    prompt: str


class SightingStore(Protocol):
    async def save(self, sightings: Collection[Sighting]) -> None:
        """Keeps each once: a sighting already stored changes nothing."""
        ...
