"""Bookings: a student's 1:1 lesson with a tutor, from a hold to its end.

``held`` (unpaid, expires after 15 minutes) → ``confirmed`` (paid) → ``completed`` (the tutor
marks it, or automatically some time after its end); ``held`` → ``expired`` (or cancelled by the
student); ``confirmed`` → ``cancelled_by_student`` | ``cancelled_by_tutor`` | ``no_show_student``
| ``no_show_tutor``; ``expired`` → ``confirmed`` when a payment arrives after the hold ran out
and its time is still free. Anything else is an illegal move.

The cancellation policy in force when the booking is made is copied onto it, so a later change
of policy never rewrites a promise already made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from elearn.domain.shared.errors import Conflict, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import Interval

HOLD_MINUTES = 15
MAX_NOTE = 1000
MAX_REASON = 500
PERCENT = 100


class SlotTaken(Conflict):
    """Another active booking of the tutor (with the buffer), or of the student, has the time."""

    code = "slot-taken"


class InvalidBooking(RuleViolation):
    code = "invalid-booking"


class TooManyHolds(Conflict):
    """The student already holds as many unpaid lessons as allowed (overall, or with this
    tutor): paying or cancelling one, or letting it run out, frees a place."""

    code = "too-many-holds"


class BookingStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED_BY_STUDENT = "cancelled_by_student"
    CANCELLED_BY_TUTOR = "cancelled_by_tutor"
    NO_SHOW_STUDENT = "no_show_student"
    NO_SHOW_TUTOR = "no_show_tutor"


ACTIVE = frozenset({BookingStatus.HELD, BookingStatus.CONFIRMED})
# Lessons that took (or take) the tutor's time: confirmed and not cancelled, whatever became
# of them after (held ones were never confirmed; expired and cancelled ones gave it back).
BOOKED = frozenset(
    {
        BookingStatus.CONFIRMED,
        BookingStatus.COMPLETED,
        BookingStatus.NO_SHOW_STUDENT,
        BookingStatus.NO_SHOW_TUTOR,
    }
)


@dataclass(frozen=True, slots=True)
class HoldLimits:
    """How many unpaid holds one student may keep at once: overall, and with one tutor. Without
    them one student could keep any number of a tutor's hours off the calendar unpaid, holding
    each again as it runs out."""

    per_student: int = 3
    per_tutor: int = 2

    def __post_init__(self) -> None:
        for limit in (self.per_student, self.per_tutor):
            if isinstance(limit, bool) or limit < 1:
                raise InvalidBooking("a limit of unpaid holds is at least 1")

    def check(self, held_with: Sequence[UUID], tutor_id: UUID) -> None:
        """``held_with`` names the tutor of each unpaid hold the student keeps now; one more
        with ``tutor_id`` must stay within both limits."""
        if sum(1 for held in held_with if held == tutor_id) >= self.per_tutor:
            raise TooManyHolds(
                "you already hold as many unpaid lessons with this tutor as allowed "
                f"({self.per_tutor}); pay for one or cancel it first",
                code="too-many-holds-with-tutor",
            )
        if len(held_with) >= self.per_student:
            raise TooManyHolds(
                f"you already hold as many unpaid lessons as allowed ({self.per_student}); "
                "pay for one or cancel it first"
            )


@dataclass(frozen=True, slots=True)
class MeetingLinkWindow:
    """When a lesson's room is shown, to its student and tutor only: once the lesson is paid
    for, from ``lead_minutes`` before the start until the end. A tutor's own room serves every
    lesson of theirs, so a link shown days ahead (or after) would let anyone who once had it
    walk into other lessons."""

    lead_minutes: int = 15

    def __post_init__(self) -> None:
        if isinstance(self.lead_minutes, bool) or not 0 <= self.lead_minutes <= 24 * 60:
            raise InvalidBooking("a meeting link is shown 0 to 1440 minutes before a lesson")

    def is_open(
        self, *, status: BookingStatus, starts_at: datetime, ends_at: datetime, now: datetime
    ) -> bool:
        opens = starts_at - timedelta(minutes=self.lead_minutes)
        return status is BookingStatus.CONFIRMED and opens <= now < ends_at


@dataclass(frozen=True, slots=True)
class CancellationPolicy:
    """A student cancelling at least ``cutoff_hours`` before the start gets
    ``refund_percent_before`` back (100 by default); later, ``refund_percent_after`` (0 by
    default). A tutor cancelling, or not showing up, refunds in full; a student who does not
    show up pays in full."""

    cutoff_hours: int = 24
    refund_percent_before: int = 100
    refund_percent_after: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.cutoff_hours, bool) or not 0 <= self.cutoff_hours <= 24 * 14:
            raise InvalidBooking("the cancellation cutoff is 0 to 336 hours")
        for percent in (self.refund_percent_before, self.refund_percent_after):
            if isinstance(percent, bool) or not 0 <= percent <= PERCENT:
                raise InvalidBooking("a refund percentage is 0 to 100")

    @property
    def cutoff(self) -> timedelta:
        return timedelta(hours=self.cutoff_hours)

    def student_refund_percent(self, *, starts_at: datetime, cancelled_at: datetime) -> int:
        """Exact to the second: cancelling exactly ``cutoff`` before the start is in time."""
        in_time = starts_at - cancelled_at >= self.cutoff
        return self.refund_percent_before if in_time else self.refund_percent_after


def refund_amount(paid: Money, percent: int) -> Money:
    """``percent`` of what was paid, rounded down to the minor unit (the student is never
    promised a fraction the platform cannot pay; 100% is everything, to the unit)."""
    return Money(paid.amount * percent // PERCENT, paid.currency)


def lesson_price(hourly_rate: Money, duration_minutes: int) -> Money:
    """The tutor's hourly rate times the duration, rounded half up to the minor unit (an hourly
    rate of 25.00 makes 45 minutes 18.75; 0.01 an hour makes 30 minutes 0.01)."""
    if duration_minutes <= 0:
        raise InvalidBooking("a lesson lasts some minutes")
    amount = (hourly_rate.amount * duration_minutes * 2 + 60) // 120
    return Money(amount, hourly_rate.currency)


@dataclasses.dataclass(frozen=True, kw_only=True)
class BookingHeld(DomainEvent):
    """A student holds a lesson's time until ``held_until``, while they pay for it."""

    event_type: ClassVar[str] = "tutoring.booking_held"
    booking_id: UUID
    student_id: UUID
    held_until: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class BookingConfirmed(DomainEvent):
    event_type: ClassVar[str] = "tutoring.booking_confirmed"
    booking_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class BookingCancelled(DomainEvent):
    event_type: ClassVar[str] = "tutoring.booking_cancelled"
    booking_id: UUID
    status: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class BookingRescheduled(DomainEvent):
    event_type: ClassVar[str] = "tutoring.booking_rescheduled"
    booking_id: UUID
    previous_start: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class BookingReminderDue(DomainEvent):
    event_type: ClassVar[str] = "tutoring.booking_reminder_due"
    booking_id: UUID
    lead_minutes: int
    starts_at: datetime  # the start it reminds of (a moved lesson has another)


@dataclass(kw_only=True, eq=False)
class Booking(RecordsEvents):
    id: UUID
    tutor_id: UUID
    student_id: UUID
    starts_at: datetime
    ends_at: datetime
    price: Money
    policy: CancellationPolicy
    buffer_minutes: int
    created_at: datetime
    held_until: datetime
    note: str = ""
    status: BookingStatus = BookingStatus.HELD
    order_id: UUID | None = None
    meeting_url: str | None = None
    confirmed_at: datetime | None = None
    # When the lesson was last fixed at its time (confirmed or moved): a reminder whose moment
    # had already passed then is not sent ("starts tomorrow" for a lesson booked 2 h ahead).
    scheduled_at: datetime | None = None
    ended_at: datetime | None = None  # when it left the active states
    cancel_reason: str | None = None
    sequence: int = 0  # bumped on every change a calendar must show

    def __post_init__(self) -> None:
        if self.tutor_id == self.student_id:
            raise InvalidBooking("tutors do not book themselves")
        if self.ends_at <= self.starts_at:
            raise InvalidBooking("a lesson ends after it starts")
        if len(self.note) > MAX_NOTE:
            raise InvalidBooking(f"a note is at most {MAX_NOTE} characters")

    @classmethod
    def hold(
        cls,
        *,
        booking_id: UUID,
        tutor_id: UUID,
        student_id: UUID,
        starts_at: datetime,
        duration_minutes: int,
        price: Money,
        policy: CancellationPolicy,
        buffer_minutes: int,
        now: datetime,
        note: str = "",
    ) -> Booking:
        return cls(
            id=booking_id,
            tutor_id=tutor_id,
            student_id=student_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=duration_minutes),
            price=price,
            policy=policy,
            buffer_minutes=buffer_minutes,
            created_at=now,
            held_until=now + timedelta(minutes=HOLD_MINUTES),
            note=note,
        )

    # ---- reading -------------------------------------------------------------------------------
    @property
    def interval(self) -> Interval:
        return Interval(self.starts_at, self.ends_at)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def reminder_wanted(self, lead: timedelta) -> bool:
        """Whether the reminder ``lead`` before the start makes sense: the lesson was fixed at
        its time before that moment came."""
        return self.scheduled_at is not None and self.scheduled_at <= self.starts_at - lead

    def hold_expired(self, now: datetime) -> bool:
        return hold_lapsed(self.status, self.held_until, now)

    def conflicts_with(self, other: Booking) -> bool:
        """Two active bookings of one tutor conflict when either starts before the other's end
        plus the buffer; of one student, when their times overlap."""
        if not (self.is_active and other.is_active) or other.id == self.id:
            return False
        if self.tutor_id == other.tutor_id:
            buffer = timedelta(minutes=max(self.buffer_minutes, other.buffer_minutes))
            return (
                self.starts_at < other.ends_at + buffer and other.starts_at < self.ends_at + buffer
            )
        if self.student_id == other.student_id:
            return self.interval.overlaps(other.interval)
        return False

    # ---- moves ---------------------------------------------------------------------------------
    def _move(self, allowed: frozenset[BookingStatus], to: BookingStatus, action: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition("booking", self.status.value, action)
        self.status = to

    def confirm(self, *, order_id: UUID, meeting_url: str, now: datetime, event_id: UUID) -> None:
        """Paid. A payment that arrives after the hold ran out still confirms it when its time
        is free (the caller checks): the student paid for that time."""
        self._move(
            frozenset({BookingStatus.HELD, BookingStatus.EXPIRED}),
            BookingStatus.CONFIRMED,
            "confirm",
        )
        self.ended_at = None
        self.order_id = order_id
        self.meeting_url = meeting_url
        self.confirmed_at = self.scheduled_at = now
        self.sequence += 1
        self.record(BookingConfirmed(event_id=event_id, occurred_at=now, booking_id=self.id))

    def expire(self, now: datetime) -> None:
        if not self.hold_expired(now):
            raise IllegalTransition("booking", self.status.value, "expire")
        self.status = BookingStatus.EXPIRED
        self.ended_at = now

    def cancel(self, *, by_tutor: bool, reason: str | None, now: datetime, event_id: UUID) -> int:
        """Cancels; answers the percentage of the price to refund (0 for an unpaid hold)."""
        if self.status is BookingStatus.HELD and not by_tutor:
            percent = 0
        elif self.status is BookingStatus.CONFIRMED:
            percent = (
                PERCENT
                if by_tutor
                else self.policy.student_refund_percent(starts_at=self.starts_at, cancelled_at=now)
            )
        else:
            raise IllegalTransition("booking", self.status.value, "cancel")
        if now >= self.ends_at:
            raise IllegalTransition("booking", "over", "cancel")
        self.status = (
            BookingStatus.CANCELLED_BY_TUTOR if by_tutor else BookingStatus.CANCELLED_BY_STUDENT
        )
        self.ended_at = now
        self.cancel_reason = (reason or "")[:MAX_REASON] or None
        self.sequence += 1
        self.record(
            BookingCancelled(
                event_id=event_id, occurred_at=now, booking_id=self.id, status=self.status.value
            )
        )
        return percent

    def reschedule(self, new_start: datetime, *, now: datetime, event_id: UUID) -> None:
        """The student moves a confirmed lesson, keeping its length, until the cutoff."""
        if self.status is not BookingStatus.CONFIRMED:
            raise IllegalTransition("booking", self.status.value, "reschedule")
        if self.starts_at - now < self.policy.cutoff:
            raise InvalidBooking(
                f"a lesson can be moved until {self.policy.cutoff_hours} hours before it starts",
                code="reschedule-too-late",
            )
        previous = self.starts_at
        length = self.ends_at - self.starts_at
        self.starts_at, self.ends_at = new_start, new_start + length
        self.scheduled_at = now
        self.sequence += 1
        self.record(
            BookingRescheduled(
                event_id=event_id, occurred_at=now, booking_id=self.id, previous_start=previous
            )
        )

    def complete(self, now: datetime) -> None:
        if self.status is BookingStatus.CONFIRMED and now < self.starts_at:
            raise InvalidBooking("a lesson is completed once it has started", code="not-started")
        self._move(frozenset({BookingStatus.CONFIRMED}), BookingStatus.COMPLETED, "complete")
        self.ended_at = now

    def no_show(self, *, student_absent: bool, now: datetime) -> int:
        """Marks who did not come; answers the refund percentage (a tutor's absence refunds in
        full, a student's pays the tutor in full)."""
        if self.status is BookingStatus.CONFIRMED and now < self.starts_at:
            raise InvalidBooking(
                "nobody has missed a lesson that has not started", code="not-started"
            )
        self._move(
            frozenset({BookingStatus.CONFIRMED}),
            BookingStatus.NO_SHOW_STUDENT if student_absent else BookingStatus.NO_SHOW_TUTOR,
            "mark a no-show on",
        )
        self.ended_at = now
        return 0 if student_absent else PERCENT


def hold_lapsed(status: BookingStatus, held_until: datetime, now: datetime) -> bool:
    """A hold past its time blocks nothing any more, released or not."""
    return status is BookingStatus.HELD and now >= held_until


@dataclass(frozen=True, slots=True)
class BusyTime:
    """An active booking's time as its tutor's calendar sees it (read without the booking)."""

    interval: Interval
    status: BookingStatus
    held_until: datetime

    def blocks(self, now: datetime) -> bool:
        return not hold_lapsed(self.status, self.held_until, now)
