"""The figures rollups keep, by the name stored in each rollup row (never renamed)."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID


class Metric(StrEnum):
    # Learning, per course; and enrollments in every course at once, so staff's ranges read one
    # row per quarter hour rather than one per course and quarter hour.
    ENROLLMENTS = "enrollments"
    COMPLETIONS = "completions"
    ALL_ENROLLMENTS = "all_enrollments"
    # Identity, per role; tutor applications decided, per decision (approved, rejected).
    SIGNUPS = "signups"
    TUTOR_DECISIONS = "tutor_decisions"
    # The ledger, per currency (and per tutor for their net revenue).
    GMV = "gmv"
    PLATFORM_REVENUE = "platform_revenue"
    TUTOR_NET_REVENUE = "tutor_net_revenue"
    REFUNDS = "refunds"
    REFUNDED_AMOUNT = "refunded_amount"
    PAYOUTS = "payouts"
    # Activity: distinct people seen, per day, and distinct viewers of a course, per day.
    ACTIVE_PEOPLE = "active_people"
    COURSE_VIEWERS = "course_viewers"
    # Tutoring, per tutor: lessons confirmed (at confirmation), cancelled (when, and by whom:
    # the dimension is the tutor and the currency column stays '').
    BOOKINGS_CONFIRMED = "bookings_confirmed"
    BOOKINGS_CANCELLED_BY_STUDENT = "bookings_cancelled_by_student"
    BOOKINGS_CANCELLED_BY_TUTOR = "bookings_cancelled_by_tutor"
    # Support: tickets opened, per category; SLA deadlines missed, per kind.
    TICKETS_OPENED = "tickets_opened"
    SLA_BREACHES = "sla_breaches"
    # Quizzes, per student: attempts submitted and the sum of their scores in permille of the
    # maximum (their average is the quotient).
    QUIZ_SUBMISSIONS = "quiz_submissions"
    QUIZ_SCORE_PERMILLE = "quiz_score_permille"
    # Review times, at the decision, per bin of the time it took (`durations.duration_bin`):
    # a tutor application from submission to approval or rejection, a course from its
    # submission for review to approval or rejection.
    TUTOR_DECISION_TIME = "tutor_decision_time"
    COURSE_REVIEW_TIME = "course_review_time"
    # Quiz questions, per question (`<quiz lesson UUID.hex>:<question id>`): how many submitted
    # attempts had it, and how many of those earned its full points.
    QUIZ_ITEM_ANSWERED = "quiz_item_answered"
    QUIZ_ITEM_CORRECT = "quiz_item_correct"
    # Study time, per student: the seconds progress reports added to their lessons.
    STUDY_SECONDS = "study_seconds"


class Family(StrEnum):
    """Metrics recomputed together: a handler recounts its family when an event of its source
    arrives (the persistence adapter declares which metrics each family holds)."""

    LEARNING = "learning"
    IDENTITY = "identity"
    LEDGER = "ledger"
    ACTIVITY = "activity"
    TUTORING = "tutoring"
    SUPPORT = "support"
    QUIZZES = "quizzes"
    CATALOG = "catalog"
    # No event: the periodic job recounts the last half hour (a progress report is "now").
    STUDY = "study"


def quiz_item_key(lesson_id: UUID, question_id: str) -> str:
    """A quiz question as the rollups' dimension names it (the quiz is its lesson)."""
    return f"{lesson_id.hex}:{question_id}"
