"""Tutoring tables: availability, bookings (with their reminders), testimonials and calendar
feeds.

No two active bookings of one tutor may overlap (with the buffer), nor of one student: the
domain checks it inside a transaction that locks the tutor's availability, and on PostgreSQL
exclusion constraints over ``tstzrange`` (btree_gist) enforce it again, created by the
migration. ``blocks_until`` is a booking's end plus its tutor's buffer, so the tutor's
constraint needs no arithmetic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import JsonB
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.shared.errors import Conflict
from elearn.domain.tutoring.booking import SlotTaken


class TutorAvailabilityRow(DefaultBase):
    __tablename__ = "tutor_availability"

    tutor_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    time_zone: Mapped[str] = mapped_column(String(64))
    windows: Mapped[list[Any]] = mapped_column(JsonB)
    durations: Mapped[list[int]] = mapped_column(JsonB)
    buffer_minutes: Mapped[int] = mapped_column(SmallInteger)
    minimum_notice_minutes: Mapped[int] = mapped_column(Integer)
    maximum_days_ahead: Mapped[int] = mapped_column(SmallInteger)
    exceptions: Mapped[list[Any]] = mapped_column(JsonB)
    updated_at: Mapped[datetime]


class BookingRow(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_tutor_id_starts_at", "tutor_id", "starts_at"),
        Index("ix_bookings_student_id_starts_at", "student_id", "starts_at"),
        Index("ix_bookings_status_held_until", "status", "held_until"),
        Index("ix_bookings_status_starts_at", "status", "starts_at"),
    )

    tutor_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    student_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    blocks_until: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(24))
    price_amount: Mapped[int] = mapped_column(BigInteger)
    price_currency: Mapped[str] = mapped_column(String(3))
    cutoff_hours: Mapped[int] = mapped_column(SmallInteger)
    refund_percent_before: Mapped[int] = mapped_column(SmallInteger)
    refund_percent_after: Mapped[int] = mapped_column(SmallInteger)
    buffer_minutes: Mapped[int] = mapped_column(SmallInteger)
    held_until: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[UUID | None]
    meeting_url: Mapped[str | None] = mapped_column(String(2048))
    confirmed_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    sequence: Mapped[int] = mapped_column(Integer, default=0)


class BookingReminderRow(DefaultBase):
    """One row per reminder sent: (booking, lead, the start it was for) is unique, so a
    reminder goes out once per start, and again after a reschedule."""

    __tablename__ = "booking_reminders"

    booking_id: Mapped[UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    lead_minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime]


class TestimonialRow(Base):
    __tablename__ = "testimonials"
    __table_args__ = (
        UniqueConstraint("booking_id"),
        Index("ix_testimonials_tutor_id_created_at", "tutor_id", "created_at", "id"),
    )

    booking_id: Mapped[UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    tutor_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    student_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)


class CalendarFeedRow(DefaultBase):
    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("token_hash"),)

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


# The constraints above that stand for a domain conflict (see `integrity`).
CONSTRAINT_ERRORS: ConstraintErrors = {
    "ex_bookings_tutor": lambda: SlotTaken(
        "that time was just taken with this tutor; pick another slot"
    ),
    "ex_bookings_student": lambda: SlotTaken("you already have a lesson at that time"),
    "uq_testimonials_booking_id": lambda: Conflict(
        "you have already rated this lesson", code="already-reviewed"
    ),
}
