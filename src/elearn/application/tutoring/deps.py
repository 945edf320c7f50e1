"""Everything tutoring use cases depend on, and the steps several of them share.

Money moves through billing's published api, and who a tutor is comes from identity's, both
inside tutoring's own transaction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Authorizer, Permission
from elearn.application.billing.api import BillingApi
from elearn.application.errors import FieldError, InvalidInput, NotFound
from elearn.application.identity.api import IdentityApi
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.tutoring.ports import (
    BookingView,
    CalendarRenderer,
    MeetingRooms,
    TutoringPolicy,
    TutoringQueries,
    TutoringUnitOfWork,
)
from elearn.domain.tutoring.availability import Availability, Interval, Refusal, booking_refusal
from elearn.domain.tutoring.booking import Booking, SlotTaken

# Other bookings that may touch a lesson lie within this much of it (buffers are at most 2 h).
NEIGHBOURHOOD = timedelta(days=1)


class TutorNotFound(NotFound):
    code = "tutor-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such tutor")


class LessonRefused(InvalidInput):
    """A lesson the tutor's rules do not allow (422): a length not offered, a start off the
    quarter-hour grid, or a time outside their bookable hours. ``code`` names which."""

    def __init__(self, refusal: Refusal, message: str, field: str) -> None:
        super().__init__(message, errors=[FieldError(field, message)])
        self.code = refusal.value


_REFUSALS = {
    Refusal.DURATION_NOT_OFFERED: (
        "duration_minutes",
        "this tutor does not offer lessons of that length",
    ),
    Refusal.START_NOT_ON_GRID: ("starts_at", "lessons start on the quarter hour (:00, :15, …)"),
    Refusal.OUTSIDE_AVAILABILITY: (
        "starts_at",
        "that time is outside this tutor's bookable hours (their windows, notice and horizon)",
    ),
}


def outside_availability() -> LessonRefused:
    field, message = _REFUSALS[Refusal.OUTSIDE_AVAILABILITY]
    return LessonRefused(Refusal.OUTSIDE_AVAILABILITY, message, field)


class BookingNotFound(NotFound):
    code = "booking-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such booking")


@dataclass(frozen=True, kw_only=True)
class TutoringDeps:
    uow: TransactionFactory[TutoringUnitOfWork]
    clock: Clock
    ids: IdGenerator
    queries: TutoringQueries
    rooms: MeetingRooms
    calendar: CalendarRenderer
    billing: BillingApi
    identity: IdentityApi
    policy: TutoringPolicy
    authorizer: Authorizer

    async def bookable_tutor(self, uow: TutoringUnitOfWork, tutor_id: UUID) -> None:
        """An approved, active tutor; anyone else is not found."""
        tutor = await self.identity.user(uow, tutor_id)
        if tutor is None or not tutor.is_bookable_tutor:
            raise TutorNotFound()

    async def refuse_if_taken(self, tutor_id: UUID, lesson: Interval, now: datetime) -> None:
        """Refuses (409, ``SlotTaken``) a lesson that touches the tutor's active bookings as
        they stand, read without a lock; a lesson that passes is checked again under it."""
        calendar = await self.queries.tutor_calendar(
            tutor_id, lesson.start - NEIGHBOURHOOD, lesson.end + NEIGHBOURHOOD
        )
        if calendar is None or calendar.availability is None:
            return  # refused as ever under the lock
        taken = calendar.taken(now)
        if booking_refusal(calendar.availability, now=now, lesson=lesson, taken=taken) is (
            Refusal.TAKEN
        ):
            raise SlotTaken("that time is not free with this tutor; pick another slot")

    async def check_free(
        self,
        uow: TutoringUnitOfWork,
        availability: Availability,
        *,
        tutor_id: UUID,
        student_id: UUID,
        lesson: Interval,
        now: datetime,
        moving: Booking | None = None,
        students: list[Booking] | None = None,
    ) -> None:
        """Refuses a lesson the tutor's rules do not allow (422, ``LessonRefused``), or one
        touching another active booking of the tutor (with the buffer) or of the student (409,
        ``SlotTaken``). Holds past their time block nothing: one met on the way releases the
        tutor's and the student's lapsed holds (the database would refuse to overlap it).
        ``students``: the student's bookings during the lesson when the caller has read them
        already (among others, under the same locks)."""
        bookings = uow.tutoring.bookings
        around = (lesson.start - NEIGHBOURHOOD, lesson.end + NEIGHBOURHOOD)
        theirs = await bookings.active_between(tutor_id=tutor_id, start=around[0], end=around[1])
        released = await _release_lapsed_holds(uow, theirs, tutor_id, student_id, now)
        taken = [
            b.interval for b in theirs if b.is_active and (moving is None or b.id != moving.id)
        ]
        refusal = booking_refusal(availability, now=now, lesson=lesson, taken=taken)
        if refusal is Refusal.TAKEN:
            raise SlotTaken("that time is not free with this tutor; pick another slot")
        if refusal is not None:
            field, message = _REFUSALS[refusal]
            raise LessonRefused(refusal, message, field)
        mine = students
        if mine is None:
            mine = await bookings.active_between(
                student_id=student_id, start=lesson.start, end=lesson.end
            )
        if not released:
            await _release_lapsed_holds(uow, mine, tutor_id, student_id, now)
        if any(
            b.is_active and b.interval.overlaps(lesson)
            for b in mine
            if moving is None or b.id != moving.id
        ):
            raise SlotTaken("you already have a lesson at that time")


async def _release_lapsed_holds(
    uow: TutoringUnitOfWork,
    seen: list[Booking],
    tutor_id: UUID,
    student_id: UUID,
    now: datetime,
) -> bool:
    """Releases the tutor's and the student's holds past their time when ``seen`` has one (the
    released aggregates read as expired from then on); most bookings meet none and write
    nothing. Answers whether it released."""
    if not any(booking.hold_expired(now) for booking in seen):
        return False
    await uow.tutoring.bookings.release_expired_holds(
        tutor_id=tutor_id, student_id=student_id, now=now
    )
    return True


# Lessons are booked in this era; times outside it are mistakes (and near years 1 and 9999
# the arithmetic of windows and buffers would leave the calendar).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2200


def in_era(value: datetime, field: str) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidInput(
            "that date is out of range",
            errors=[FieldError(field, f"is between {EARLIEST_YEAR} and {LATEST_YEAR}")],
        )


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(
            "times carry their offset", errors=[FieldError(field, "needs a UTC offset or Z")]
        )
    in_era(value, field)
    return value.astimezone(UTC)


async def booking_of(
    deps: TutoringDeps, uow: TutoringUnitOfWork, actor: Actor, booking_id: UUID, *, for_update: bool
) -> Booking:
    """The booking, for its student or its tutor (staff too); others are told it is not there."""
    user_id = require_signed_in(actor)
    booking = await uow.tutoring.bookings.get(booking_id, for_update=for_update)
    if booking is None:
        raise BookingNotFound()
    if user_id not in (booking.student_id, booking.tutor_id):
        deps.authorizer.authorize(actor, Permission.VIEW_ANY_BOOKING, otherwise=BookingNotFound())
    return booking


def as_seen_by(deps: TutoringDeps, view: BookingView, viewer_id: UUID | None) -> BookingView:
    """The booking as ``viewer_id`` may see it: the meeting link only for its student and tutor,
    and only while the policy's window is open (staff who may see any booking see no link)."""
    if view.meeting_url is None:
        return view
    shown = viewer_id in (view.student_id, view.tutor_id) and deps.policy.meeting_link.is_open(
        status=view.status, starts_at=view.starts_at, ends_at=view.ends_at, now=deps.clock.now()
    )
    return view if shown else dataclasses.replace(view, meeting_url=None)


async def unmasked_view_of(deps: TutoringDeps, booking_id: UUID) -> BookingView:
    """The booking with its meeting link whoever may see it: pass it through ``as_seen_by``
    before it leaves for someone."""
    view = await deps.queries.booking(booking_id)
    if view is None:
        raise BookingNotFound()
    return view


async def view_of(deps: TutoringDeps, booking_id: UUID, viewer_id: UUID | None) -> BookingView:
    return as_seen_by(deps, await unmasked_view_of(deps, booking_id), viewer_id)
