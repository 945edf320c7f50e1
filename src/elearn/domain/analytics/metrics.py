"""The figures rollups keep, by the name stored in each rollup row (never renamed)."""

from __future__ import annotations

from enum import StrEnum


class Metric(StrEnum):
    # Learning, per course.
    ENROLLMENTS = "enrollments"
    COMPLETIONS = "completions"
    # Identity, per role.
    SIGNUPS = "signups"
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


class Family(StrEnum):
    """Metrics recomputed together: a handler recounts its family when an event of its source
    arrives (the persistence adapter declares which metrics each family holds)."""

    LEARNING = "learning"
    IDENTITY = "identity"
    LEDGER = "ledger"
    ACTIVITY = "activity"
