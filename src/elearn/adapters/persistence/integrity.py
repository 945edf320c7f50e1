"""Turns database constraint violations into the domain conflicts they stand for."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from sqlalchemy.exc import IntegrityError

from elearn.domain.catalog.category import CategoryTaken
from elearn.domain.catalog.course import SlugTaken
from elearn.domain.identity.user import EmailTaken
from elearn.domain.learning.enrollment import AlreadyEnrolled
from elearn.domain.learning.review import AlreadyReviewed
from elearn.domain.shared.errors import Conflict, DomainError
from elearn.domain.tutoring.booking import SlotUnavailable

# constraint name (as named by the metadata's naming convention) → the domain error it means
CONSTRAINT_ERRORS: Mapping[str, Callable[[], DomainError]] = {
    "uq_users_email": lambda: EmailTaken("that email address already has an account"),
    "uq_courses_slug": lambda: SlugTaken("that slug is taken; try again"),
    "pk_course_slugs": lambda: SlugTaken("that slug is taken; try again"),
    "uq_course_slugs_slug": lambda: SlugTaken("that slug is taken; try again"),
    "uq_categories_slug": lambda: CategoryTaken("that category slug is taken"),
    "uq_enrollments_user_id": lambda: AlreadyEnrolled("already enrolled in this course"),
    "uq_course_reviews_course_id": lambda: AlreadyReviewed("you have already reviewed this course"),
    "uq_quiz_attempts_lesson_id": lambda: Conflict(
        "another attempt was started at the same moment; open the quiz again"
    ),
    "ex_bookings_tutor": lambda: SlotUnavailable(
        "that time was just taken with this tutor; pick another slot"
    ),
    "ex_bookings_student": lambda: SlotUnavailable("you already have a lesson at that time"),
    "uq_testimonials_booking_id": lambda: Conflict(
        "you have already rated this lesson", code="already-reviewed"
    ),
    "uq_withdrawals_tutor_id": lambda: Conflict(
        "a withdrawal in this currency is already waiting to be paid", code="withdrawal-open"
    ),
    "uq_journal_entries_key": lambda: Conflict(
        "this was recorded at the same moment by another request", code="already-recorded"
    ),
    "uq_assignment_submissions_lesson_id": lambda: Conflict(
        "your work was handed in twice at the same moment; check what was kept"
    ),
}

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")


def constraint_name(error: IntegrityError) -> str | None:
    orig = error.orig
    # asyncpg reports the constraint by name (through SQLAlchemy's adapter, on __cause__).
    for candidate in (orig, getattr(orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if name:
            return str(name)
    # SQLite only says which columns: rebuild the conventional name uq_<table>_<column>.
    match = _SQLITE_UNIQUE.search(str(orig))
    if match:
        first = match.group(1).split(", ")[0]
        table, column = first.split(".", 1)
        return f"uq_{table}_{column}"
    return None


def domain_error_for(error: IntegrityError) -> DomainError:
    name = constraint_name(error)
    factory = CONSTRAINT_ERRORS.get(name or "")
    if factory is not None:
        return factory()
    return Conflict("the change conflicts with existing data")
