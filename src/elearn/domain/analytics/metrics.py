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
    """Metrics recomputed together from one source."""

    LEARNING = "learning"
    IDENTITY = "identity"
    LEDGER = "ledger"
    ACTIVITY = "activity"


FAMILY_METRICS: dict[Family, tuple[Metric, ...]] = {
    Family.LEARNING: (Metric.ENROLLMENTS, Metric.COMPLETIONS),
    Family.IDENTITY: (Metric.SIGNUPS,),
    Family.LEDGER: (
        Metric.GMV,
        Metric.PLATFORM_REVENUE,
        Metric.TUTOR_NET_REVENUE,
        Metric.REFUNDS,
        Metric.REFUNDED_AMOUNT,
        Metric.PAYOUTS,
    ),
    Family.ACTIVITY: (Metric.ACTIVE_PEOPLE, Metric.COURSE_VIEWERS),
}
