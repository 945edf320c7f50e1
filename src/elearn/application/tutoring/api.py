"""What other contexts may call of tutoring: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on tutoring's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from elearn.application.billing.api import NotFulfilled, PaidOrder
from elearn.application.ports import Transaction
from elearn.application.tutoring import bookings
from elearn.application.tutoring.deps import TutoringDeps
from elearn.application.tutoring.ports import TutoringUnitOfWork
from elearn.domain.tutoring.availability import Interval, merge, offered_between
from elearn.domain.tutoring.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingHeld,
    BookingReminderDue,
    BookingRescheduled,
)

__all__ = [
    "BookingCancelled",
    "BookingConfirmed",
    "BookingHeld",
    "BookingParties",
    "BookingReminderDue",
    "BookingRescheduled",
    "TutorHours",
    "TutoringApi",
]


@dataclass(frozen=True, slots=True)
class TutorHours:
    """A tutor's time between two instants, as sorted disjoint ``(start, end)`` UTC stretches:
    what they offered (`availability.offered_between`) and what of it was booked."""

    offered: list[tuple[datetime, datetime]]
    booked: list[tuple[datetime, datetime]]


@dataclass(frozen=True, slots=True)
class BookingParties:
    """Who a lesson is between, and when it starts."""

    booking_id: UUID
    student_id: UUID
    student_name: str
    tutor_id: UUID
    tutor_name: str
    starts_at: datetime


def _tutoring(uow: Transaction) -> TutoringUnitOfWork:
    """The caller's transaction with this context's stores. (mypy refuses a Protocol where a
    ``type[...]`` is expected; here the class only names the stores, it is never built.)"""
    return uow.as_context(TutoringUnitOfWork)  # type: ignore[type-abstract]


class TutoringApi:
    """Tutoring as other contexts see it, built by the composition root from its deps."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    # ---- billing's fulfilment of a paid booking -----------------------------------------------
    async def fulfil_booking(
        self, transaction: Transaction, order: PaidOrder
    ) -> NotFulfilled | None:
        """Confirms the booking a paid order is for, in the capturing transaction."""
        return await bookings.fulfil_booking(self._deps, _tutoring(transaction), order)

    # ---- analytics: a tutor's utilisation ------------------------------------------------------
    async def tutor_hours(self, tutor_id: UUID, start: datetime, end: datetime) -> TutorHours:
        """The time the tutor offered and the time booked between ``start`` and ``end``, by
        their availability as it stands now (its past versions are not kept)."""
        time = await self._deps.queries.tutor_time(tutor_id, start, end)
        booked = merge(
            Interval(max(lesson.start, start), min(lesson.end, end))
            for lesson in time.lessons
            if lesson.start < end and start < lesson.end
        )
        offered = offered_between(time.availability, booked, start, end)
        return TutorHours(
            offered=[(i.start, i.end) for i in offered],
            booked=[(i.start, i.end) for i in booked],
        )

    # ---- communication: who hears of a lesson -------------------------------------------------
    async def booking_parties(self, booking_id: UUID) -> BookingParties | None:
        view = await self._deps.queries.booking(booking_id)
        if view is None:
            return None
        return BookingParties(
            booking_id=view.id,
            student_id=view.student_id,
            student_name=view.student_name,
            tutor_id=view.tutor_id,
            tutor_name=view.tutor_name,
            starts_at=view.starts_at,
        )

    # ---- communication: who may talk ------------------------------------------------------------
    async def shares_booking(
        self, transaction: Transaction, *, student_id: UUID, tutor_id: UUID
    ) -> bool:
        """Whether the student has booked the tutor, in any state but expired."""
        return await _tutoring(transaction).tutoring.bookings.any_between(
            student_id=student_id, tutor_id=tutor_id
        )
