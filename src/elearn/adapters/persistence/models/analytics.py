"""Analytics tables: the rollups dashboards read, and who was seen on which day.

A rollup row is one figure of one quarter hour of UTC (``slot``: seconds since the epoch // 900)
for one dimension (a course, a role, a tutor; '' for none) and currency ('' for counts). The
rows are derived: `elearn analytics rebuild` recomputes them from their sources at any time.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors


class AnalyticsRollupRow(DefaultBase):
    __tablename__ = "analytics_rollups"
    # Platform-wide figures read one metric's range of slots across every dimension.
    __table_args__ = (Index("ix_analytics_rollups_metric_slot", "metric", "slot"),)

    # The key's order serves every dashboard: one metric, some dimensions, a range of slots.
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Up to a quiz question: `<lesson UUID.hex>:<question id of up to 64>`.
    dimension: Mapped[str] = mapped_column(String(100), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class AnalyticsSightingRow(DefaultBase):
    """A person seen on a UTC day (``kind`` ``active``, subject '') or viewing a course's page
    (``kind`` ``course_view``, subject the course): written once per person, subject and day
    by the job that drains what the API processes buffered, never on a request."""

    __tablename__ = "analytics_sightings"
    __table_args__ = (Index("ix_analytics_sightings_day", "day", "kind", "subject"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True)


class AnalyticsRecountRow(DefaultBase):
    """When the latest committed recount of a family's quarter hour began (PostgreSQL): the
    first transaction id not yet assigned when it started reading (``pg_snapshot_xmax`` of its
    snapshot, which only grows). A recount that finds a later one committed since it was called
    has nothing to add and skips (`SqlaRollupKeeper`). Derived and disposable like the rollups:
    a missing row only means the next recount runs."""

    __tablename__ = "analytics_recounts"

    family: Mapped[str] = mapped_column(String(16), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    began: Mapped[int] = mapped_column(BigInteger)


class AnalyticsQuizAnswerRow(DefaultBase):
    """Whether one question of one submitted quiz attempt earned its full points, as the
    ``learning.quiz_submitted`` event said: the source the per-question rollups are recounted
    from (learning keeps the answers as JSON per attempt, scored against the quiz of the day).
    Written once per attempt and question, whatever the number of deliveries."""

    __tablename__ = "analytics_quiz_answers"
    __table_args__ = (Index("ix_analytics_quiz_answers_submitted_at", "submitted_at"),)

    attempt_id: Mapped[UUID] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    course_id: Mapped[UUID]
    lesson_id: Mapped[UUID]
    submitted_at: Mapped[datetime]
    correct: Mapped[bool]


CONSTRAINT_ERRORS: ConstraintErrors = {}
