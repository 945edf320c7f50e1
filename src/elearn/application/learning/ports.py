"""What learning use cases need: repositories of the write side, read-side queries shaped like
the API's answers, signed media tokens and the certificate renderer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from elearn.application.catalog.api import LessonInCourse
from elearn.application.links import FrontEndLinks
from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.learning.assignment import Assignment, Submission
from elearn.domain.learning.certificate import Certificate
from elearn.domain.learning.enrollment import Enrollment, EnrollmentSource, EnrollmentStatus
from elearn.domain.learning.progress import LessonProgress, LessonRequirement
from elearn.domain.learning.quiz import Quiz, QuizAttempt
from elearn.domain.learning.review import Review


# ---- write side ------------------------------------------------------------------------------
class EnrollmentRepository(Protocol):
    async def add(self, enrollment: Enrollment) -> None: ...

    async def courses_learned_by(self, user_id: UUID) -> set[UUID]:
        """The courses the user is in now (enrolled or completed, not revoked)."""
        ...

    async def find(
        self, user_id: UUID, course_id: UUID, *, for_update: bool = False
    ) -> Enrollment | None: ...

    async def get(self, enrollment_id: UUID, *, for_update: bool = False) -> Enrollment | None: ...

    async def remove(self, enrollment: Enrollment) -> None: ...

    async def learners_after(self, course_id: UUID, after: UUID | None, limit: int) -> list[UUID]:
        """Students who may learn in the course now, by user id, those after ``after``."""
        ...

    async def change_course_count(self, course_id: UUID, delta: int) -> None:
        """Moves the course's enrollment count by ``delta`` atomically (a relative update, so
        concurrent enrollments all count)."""
        ...


@dataclass(frozen=True, slots=True)
class ProgressStanding:
    """What a progress report needs of the student's stored learning, read together: their
    progress in the lesson (None before their first activity in it), when their progress in
    any lesson last changed, the course's lessons they completed and its quizzes they passed,
    and the learning day asked about when it is already marked (None: it is not)."""

    progress: LessonProgress | None
    last_activity: datetime | None
    completed_lessons: frozenset[UUID]
    passed_quizzes: frozenset[UUID]
    marked_day: date | None = None


class ProgressRepository(Protocol):
    async def get(self, user_id: UUID, lesson_id: UUID) -> LessonProgress | None: ...

    async def add(self, progress: LessonProgress) -> None: ...

    async def completed_lessons(self, user_id: UUID, course_id: UUID) -> set[UUID]:
        """Lessons of the course the student has completed, as this transaction sees them."""
        ...

    async def last_activity(self, user_id: UUID) -> datetime | None:
        """When the student's progress in any lesson last changed, as this transaction sees it:
        the last activity of theirs the server observed."""
        ...

    async def standing(
        self, user_id: UUID, course_id: UUID, lesson_id: UUID, day: date
    ) -> ProgressStanding:
        """``get``, ``last_activity``, ``completed_lessons``, the attempts' ``passed_lessons``
        and whether ``day`` is marked a learning day of the user, at once, in one statement (a
        report reads them while it holds the enrollment's lock), as this transaction sees
        them."""
        ...


class QuizRepository(Protocol):
    async def get(self, lesson_id: UUID) -> Quiz | None: ...

    async def put(self, lesson_id: UUID, course_id: UUID, quiz: Quiz, now: datetime) -> None: ...

    async def required_lessons(self, course_id: UUID) -> set[UUID]:
        """Quiz lessons of the course whose quiz must be passed to complete it."""
        ...


class AttemptRepository(Protocol):
    async def add(self, attempt: QuizAttempt) -> None: ...

    async def get(self, attempt_id: UUID, *, for_update: bool = False) -> QuizAttempt | None: ...

    async def for_student(self, user_id: UUID, lesson_id: UUID) -> list[QuizAttempt]:
        """Every attempt of the student at the quiz, oldest first."""
        ...

    async def passed_lessons(self, user_id: UUID, course_id: UUID) -> set[UUID]: ...


class AssignmentRepository(Protocol):
    async def get(self, lesson_id: UUID) -> Assignment | None: ...

    async def put(
        self, lesson_id: UUID, course_id: UUID, assignment: Assignment, now: datetime
    ) -> None: ...


class SubmissionRepository(Protocol):
    async def add(self, submission: Submission) -> None: ...

    async def get(self, submission_id: UUID, *, for_update: bool = False) -> Submission | None: ...

    async def find(
        self, lesson_id: UUID, user_id: UUID, *, for_update: bool = False
    ) -> Submission | None: ...


class CertificateRepository(Protocol):
    async def add(self, certificate: Certificate) -> None: ...

    async def get(self, certificate_id: UUID) -> Certificate | None: ...

    async def for_enrollment(self, enrollment_id: UUID) -> Certificate | None: ...

    async def by_code(self, code: str) -> Certificate | None: ...

    async def set_revoked(self, enrollment_id: UUID, at: datetime | None) -> None:
        """Revokes the enrollment's certificate (``at``), or makes it valid again (None)."""
        ...


class ReviewRepository(Protocol):
    async def add(self, review: Review) -> None: ...

    async def get(self, review_id: UUID, *, for_update: bool = False) -> Review | None: ...

    async def find(self, course_id: UUID, user_id: UUID) -> Review | None: ...

    async def remove(self, review: Review) -> None: ...

    async def course_of(self, review_id: UUID) -> UUID | None:
        """The course a review is about, read without loading the review (which must be loaded
        only once the course's lock is held)."""
        ...

    async def lock_course(self, course_id: UUID) -> None:
        """Serialises rating changes of one course (taken before reading or writing reviews)."""
        ...

    async def refresh_course_rating(self, course_id: UUID) -> None:
        """Recounts the course's rating from its visible reviews, including this transaction's
        changes: exact, however many reviews are written at once, because writers hold the
        course's lock."""
        ...


class LearningDays(Protocol):
    async def record(self, user_id: UUID, day: date) -> None:
        """Notes that the student learned on ``day`` (their local date); once per day."""
        ...

    async def add_study_time(self, user_id: UUID, quarter_hour: datetime, seconds: int) -> None:
        """Adds ``seconds`` of study to the student's quarter hour of UTC starting at
        ``quarter_hour`` (see `study_quarter_hour`)."""
        ...

    async def time_zone(self, user_id: UUID) -> str:
        """The student's time zone, read in this transaction (no second connection while it
        holds locks)."""
        ...


class LearningStore(Protocol):
    """The learning repositories of one unit of work (``uow.learning``).

    Properties, not attributes: read-only members let an implementation hold its own
    repository types, where a settable attribute would have to be exactly the port.
    """

    @property
    def enrollments(self) -> EnrollmentRepository: ...

    @property
    def progress(self) -> ProgressRepository: ...

    @property
    def quizzes(self) -> QuizRepository: ...

    @property
    def attempts(self) -> AttemptRepository: ...

    @property
    def assignments(self) -> AssignmentRepository: ...

    @property
    def submissions(self) -> SubmissionRepository: ...

    @property
    def certificates(self) -> CertificateRepository: ...

    @property
    def reviews(self) -> ReviewRepository: ...

    @property
    def days(self) -> LearningDays: ...


# ---- read side -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EnrolledCourse:
    id: UUID
    slug: str
    title: str
    thumbnail_url: str | None


@dataclass(frozen=True, slots=True)
class EnrollmentView:
    id: UUID
    course: EnrolledCourse
    status: EnrollmentStatus
    source: str
    progress_percent: int
    last_lesson_id: UUID | None
    last_activity_at: datetime | None
    enrolled_at: datetime
    completed_at: datetime | None
    certificate_id: UUID | None


@dataclass(frozen=True, slots=True)
class StaffEnrollmentView:
    """An enrollment in the staff's list: whose, in which course, how it came and how far."""

    id: UUID
    student_id: UUID
    student_name: str
    student_email: str
    course: EnrolledCourse
    status: EnrollmentStatus
    source: EnrollmentSource
    progress_percent: int
    enrolled_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class StaffEnrollmentFilters:
    course_id: UUID | None = None
    student_id: UUID | None = None
    status: EnrollmentStatus | None = None
    source: EnrollmentSource | None = None


@dataclass(frozen=True, slots=True)
class StaffReviewFilters:
    """The moderators' filters; ``rating_max`` finds the low ratings worth a look."""

    course_id: UUID | None = None
    author_id: UUID | None = None
    hidden: bool | None = None
    rating_max: int | None = None


@dataclass(frozen=True, slots=True)
class StudentView:
    user_id: UUID
    name: str
    email: str | None  # staff only
    status: EnrollmentStatus
    progress_percent: int
    enrolled_at: datetime
    last_activity_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReviewView:
    id: UUID
    course_id: UUID
    author_id: UUID
    author_name: str
    rating: int
    text: str | None
    reply: str | None
    replied_at: datetime | None
    hidden: bool
    written_at: datetime
    edited_at: datetime


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    """A submission as an instructor's list shows it."""

    submission: Submission
    student_name: str


@dataclass(frozen=True, slots=True)
class CertificateCard:
    id: UUID
    serial: str
    verification_code: str
    course_id: UUID
    course_title: str
    issued_at: datetime


class EnrollmentFilter(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class CoursePlan:
    """What a student's progress in a course is measured against, and the zone their days are
    counted in: nothing the student's own activity changes, so it may be read before their
    enrollment is locked."""

    requirements: list[LessonRequirement]
    required_quizzes: set[UUID]
    time_zone: str


@dataclass(frozen=True, slots=True)
class LessonSight:
    """A lesson in its course as one person comes to it: with their enrollment in the course
    (whatever its state) and their progress in the lesson, both None for nobody's."""

    place: LessonInCourse
    enrollment: Enrollment | None
    progress: LessonProgress | None


class LearningQueries(Protocol):
    async def lesson_sight(self, user_id: UUID | None, lesson_id: UUID) -> LessonSight | None:
        """The lesson (None: there is none) with ``user_id``'s enrollment and progress, as of
        one moment: one statement, outside any transaction (the hottest read of learning)."""
        ...

    async def lesson_and_plan(
        self, lesson_id: UUID, user_id: UUID
    ) -> tuple[LessonInCourse, CoursePlan] | None:
        """The lesson in its course (None: there is none) with the course's plan: its lessons
        in order with whether each counts, its required quizzes and ``user_id``'s time zone.
        One statement, outside any transaction (each progress report reads it)."""
        ...

    async def my_enrollments(
        self,
        user_id: UUID,
        status: EnrollmentStatus | None,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[EnrollmentView]: ...

    async def enrollment(self, enrollment_id: UUID) -> EnrollmentView | None: ...

    async def all_enrollments(
        self, filters: StaffEnrollmentFilters, *, limit: int, cursor: str | None
    ) -> Page[StaffEnrollmentView]:
        """Everyone's enrollments, newest first."""
        ...

    async def course_students(
        self, course_id: UUID, *, with_email: bool, limit: int, cursor: str | None
    ) -> Page[StudentView]: ...

    async def reviews(
        self, course_id: UUID, *, include_hidden: bool, limit: int, cursor: str | None
    ) -> Page[ReviewView]: ...

    async def review(self, review_id: UUID) -> ReviewView | None: ...

    async def all_reviews(
        self, filters: StaffReviewFilters, *, limit: int, cursor: str | None
    ) -> Page[ReviewView]:
        """Every course's reviews, hidden ones too, newest first."""
        ...

    async def submissions(
        self, lesson_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[SubmissionRow]: ...

    async def my_certificates(self, user_id: UUID) -> list[CertificateCard]: ...

    async def learning_days(self, user_id: UUID, since: date) -> list[date]: ...

    async def time_zone(self, user_id: UUID) -> str:
        """The student's time zone from their profile (UTC when none is set)."""
        ...


# ---- media -----------------------------------------------------------------------------------
class MediaSubject(StrEnum):
    LESSON = "lesson"  # a lesson's own file
    SUBMISSION = "submission"  # a file a student handed in


@dataclass(frozen=True, slots=True)
class MediaGrant:
    """What a media token allows: one stored file, for one user (None: a free preview anyone
    may watch), reached through one lesson or submission, until ``expires_at``.

    A one-time link's grant carries its ``link_id``: it opens the file once, also without the
    Authorization header (a new tab, a download manager), and is refused from then on."""

    user_id: UUID | None
    subject: MediaSubject
    subject_id: UUID
    key: str
    expires_at: datetime
    link_id: UUID | None = None


class MediaTokens(Protocol):
    def issue(self, grant: MediaGrant) -> str: ...

    def read(self, token: str, now: datetime) -> MediaGrant:
        """The grant a token carries; raises `InvalidMediaToken` when it is forged, malformed
        or expired (without saying which)."""
        ...


class SpentLinks(Protocol):
    """The one-time links already used, remembered until they would have expired anyway."""

    async def spend(self, link_id: str, until: datetime) -> bool:
        """Marks the link used: True the first time, False for every later use (a replay),
        also when two uses arrive at once."""
        ...


@dataclass(frozen=True, slots=True)
class MediaFile:
    key: str
    content_type: str
    filename: str | None
    size: int


# ---- certificates ----------------------------------------------------------------------------
class CertificateRenderer(Protocol):
    def render(self, certificate: Certificate, *, verification_url: str) -> bytes:
        """The certificate as a PDF document."""
        ...


@dataclass(frozen=True, slots=True)
class LearningPolicy:
    media_token_seconds: int = 300
    one_time_link_seconds: int = 60
    public_url: str = "http://localhost:8000"
    links: FrontEndLinks = field(default_factory=FrontEndLinks)


@dataclass(frozen=True, slots=True)
class QuizSummary:
    """A student's standing on a quiz, shown with the lesson."""

    attempts_used: int
    attempts_left: int | None
    best_percent: float | None
    passed: bool
    open_attempt_id: UUID | None


AnswersMap = Mapping[str, object]


class LearningUnitOfWork(Transaction, Protocol):
    """The learning context's unit of work: its own stores and nothing else."""

    learning: LearningStore
