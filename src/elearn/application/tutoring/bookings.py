"""Booking a lesson, paying for it, and everything that can happen to it after.

Who may do what is checked against the booking: its student books, pays, moves and cancels;
its tutor cancels, completes and reports a student who did not come; the student reports a
tutor who did not. Money moves through billing: a card payment through the provider's
checkout, credits at once; refunds by the policy copied onto the booking.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.billing.api import NotFulfilled, PaidOrder, ReturnUrls
from elearn.application.errors import FieldError, InvalidInput, PermissionDenied
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.tutoring.deps import (
    BookingNotFound,
    LessonRefused,
    TutoringDeps,
    TutorNotFound,
    as_seen_by,
    aware,
    booking_of,
    outside_availability,
    view_of,
)
from elearn.application.tutoring.ports import (
    BookingFilters,
    BookingView,
    StaffBookingFilters,
    TutoringUnitOfWork,
)
from elearn.domain.shared.errors import Conflict, IllegalTransition
from elearn.domain.tutoring.availability import Interval
from elearn.domain.tutoring.booking import (
    Booking,
    BookingHeld,
    BookingStatus,
    InvalidBooking,
    SlotTaken,
    lesson_price,
    refund_amount,
)

logger = logging.getLogger(__name__)


class HoldExpired(Conflict):
    code = "hold-expired"


@dataclass(frozen=True, slots=True)
class BookingPayment:
    booking: BookingView
    order_id: UUID
    checkout_url: str | None  # a card payment's page; None once paid with credits


@dataclass(frozen=True, slots=True)
class _Held:
    booking_id: UUID


class HoldBooking:
    """A student holds a free slot of an approved tutor for 15 minutes, at the tutor's hourly
    rate, within the limits of unpaid holds; an Idempotency-Key answers the same hold again."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        *,
        tutor_id: UUID,
        starts_at: datetime,
        duration_minutes: int,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> BookingView:
        deps = self._deps
        student_id = require_signed_in(actor)
        if not actor.email_verified:
            raise PermissionDenied(
                "verify your email address before booking", code="email-not-verified"
            )
        starts_at = aware(starts_at, "starts_at")
        claim = deps.billing.idempotency_claim(
            student_id,
            "booking",
            idempotency_key,
            f"{tutor_id} {starts_at.isoformat()} {duration_minutes} {note}",
        )
        now = deps.clock.now()
        lesson = Interval(starts_at, starts_at + timedelta(minutes=duration_minutes))
        if claim is None:
            # Contenders for one slot queue on its tutor's lock; once it is taken, the rest are
            # refused before they join the queue (what is taken by then stays taken). A request
            # with an Idempotency-Key may be the winner's own again: it is answered as before.
            await deps.refuse_if_taken(tutor_id, lesson, now)
        async with deps.uow() as uow:
            held = await deps.billing.replay(uow, claim, _Held, now)
            if held is None:
                # Contenders for the very slot do not queue behind the one booking it now: the
                # first claims it, the others are refused at once (the tutor's lock below still
                # decides between overlapping slots, and the database guards against overlap).
                if not await uow.tutoring.bookings.claim_slot(tutor_id, starts_at):
                    raise SlotTaken("that time is being booked with this tutor; pick another slot")
                terms = await deps.identity.bookable_tutor_terms(uow, tutor_id)
                if terms is None:
                    raise TutorNotFound()
                if terms.hourly_rate is None:
                    raise InvalidBooking(
                        "this tutor has not set an hourly rate yet", code="no-rate"
                    )
                availability = await uow.tutoring.availability.get(tutor_id, for_update=True)
                if availability is None:
                    raise outside_availability()
                await uow.tutoring.bookings.lock_holds_of(student_id)
                own = await uow.tutoring.bookings.of_student_for_hold(
                    student_id, now=now, start=lesson.start, end=lesson.end
                )
                deps.policy.hold_limits.check(
                    [
                        b.tutor_id
                        for b in own
                        if b.status is BookingStatus.HELD and not b.hold_expired(now)
                    ],
                    tutor_id,
                )
                await deps.check_free(
                    uow,
                    availability,
                    tutor_id=tutor_id,
                    student_id=student_id,
                    lesson=lesson,
                    now=now,
                    students=own,
                )
                booking = Booking.hold(
                    booking_id=deps.ids.new_id(),
                    tutor_id=tutor_id,
                    student_id=student_id,
                    starts_at=starts_at,
                    duration_minutes=duration_minutes,
                    price=lesson_price(terms.hourly_rate, duration_minutes),
                    policy=deps.policy.cancellation,
                    buffer_minutes=availability.buffer_minutes,
                    now=now,
                    note=note,
                )
                await uow.tutoring.bookings.add(booking)
                uow.publish(
                    BookingHeld(
                        event_id=deps.ids.new_id(),
                        occurred_at=now,
                        booking_id=booking.id,
                        student_id=student_id,
                        held_until=booking.held_until,
                    )
                )
                held = _Held(booking.id)
                await deps.billing.remember(uow, claim, held)
                await uow.commit()
        return await view_of(deps, held.booking_id, student_id)


class PayBooking:
    """Pays a held booking: by card (the provider's checkout; the booking is confirmed when the
    payment comes in) or with credits (confirmed at once)."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        booking_id: UUID,
        method: Literal["card", "credits"],
        return_to: ReturnUrls | None = None,
    ) -> BookingPayment:
        deps = self._deps
        student_id = require_signed_in(actor)
        now = deps.clock.now()
        async with deps.uow() as uow:
            booking = await booking_of(deps, uow, actor, booking_id, for_update=True)
            if booking.student_id != student_id:
                raise BookingNotFound()
            if booking.status is BookingStatus.HELD and booking.hold_expired(now):
                booking.expire(now)
                await uow.commit()
                raise HoldExpired("the hold ran out before it was paid; book the time again")
            if booking.status is not BookingStatus.HELD:
                raise IllegalTransition("booking", booking.status.value, "pay")
            # The same checkout again while its order waits; credits confirm the booking here.
            booking.order_id = await deps.billing.pay_for_booking(
                uow,
                booking_id=booking.id,
                buyer_id=student_id,
                tutor_id=booking.tutor_id,
                price=booking.price,
                method=method,
                order_id=booking.order_id,
                return_to=return_to,
            )
            order_id = booking.order_id
            await uow.commit()
        url = None
        if method == "card":
            url = await deps.billing.checkout_url(order_id)
        return BookingPayment(await view_of(deps, booking_id, student_id), order_id, url)


async def fulfil_booking(
    deps: TutoringDeps, uow: TutoringUnitOfWork, order: PaidOrder
) -> NotFulfilled | None:
    """Billing's fulfilment of a paid booking order, in the capturing transaction: the booking
    is confirmed with its meeting link. A payment that arrives after the hold ran out confirms
    it still if the time is free; otherwise billing gives the money back in full."""
    assert order.booking_id is not None
    now = deps.clock.now()
    booking = await uow.tutoring.bookings.get(order.booking_id, for_update=True)
    if booking is None:
        return None
    if booking.status is BookingStatus.CONFIRMED and booking.order_id == order.id:
        return None
    revivable = booking.status is BookingStatus.EXPIRED and await _still_free(deps, uow, booking)
    if booking.status is not BookingStatus.HELD and not revivable:
        logger.warning("booking %s was %s when paid: refunding", booking.id, booking.status)
        return NotFulfilled("the lesson was no longer available when the payment arrived")
    profile = await deps.identity.tutor_terms(uow, booking.tutor_id)
    booking.confirm(
        order_id=order.id,
        meeting_url=deps.rooms.room_for(booking, profile.meeting_url if profile else None),
        now=now,
        event_id=deps.ids.new_id(),
    )
    return None


async def _still_free(deps: TutoringDeps, uow: TutoringUnitOfWork, booking: Booking) -> bool:
    availability = await uow.tutoring.availability.get(booking.tutor_id, for_update=True)
    if availability is None:
        return False
    try:
        await deps.check_free(
            uow,
            availability,
            tutor_id=booking.tutor_id,
            student_id=booking.student_id,
            lesson=booking.interval,
            # As of when it was held: the notice it needed then, not now.
            now=booking.created_at,
            moving=booking,
        )
    except (SlotTaken, LessonRefused):
        return False
    return True


async def _refund_by_percent(
    deps: TutoringDeps,
    uow: TutoringUnitOfWork,
    booking: Booking,
    percent: int,
    reason: str,
    actor: Actor,
) -> UUID | None:
    """Refunds ``percent`` of what was paid (through billing: card back to card, credits back
    to the wallet) and makes the rest of the tutor's share available (the lesson will not be
    given, so nothing is left to wait for). Answers a card refund still to settle."""
    if booking.order_id is None:
        return None
    return await deps.billing.refund_by_policy(
        uow,
        booking.order_id,
        refund_due=lambda paid: refund_amount(paid, percent),
        reason=reason,
        requested_by=actor.user_id,
    )


class CancelBooking:
    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, booking_id: UUID, reason: str | None) -> BookingView:
        deps = self._deps
        now = deps.clock.now()
        async with deps.uow() as uow:
            booking = await booking_of(deps, uow, actor, booking_id, for_update=True)
            by_tutor = actor.user_id == booking.tutor_id
            if not by_tutor and actor.user_id != booking.student_id:
                raise PermissionDenied("only the student or the tutor cancels a lesson")
            percent = booking.cancel(
                by_tutor=by_tutor, reason=reason, now=now, event_id=deps.ids.new_id()
            )
            who = "the tutor" if by_tutor else "the student"
            refund_id = await _refund_by_percent(
                deps, uow, booking, percent, f"lesson cancelled by {who}", actor
            )
            await uow.commit()
        if refund_id is not None:
            await deps.billing.settle_card_refund(refund_id)
        return await view_of(deps, booking_id, actor.user_id)


class RescheduleBooking:
    """The student moves a confirmed lesson to another free slot of the same tutor and length,
    until the cutoff. Atomic: the old time is given up only if the new one is taken."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, booking_id: UUID, starts_at: datetime) -> BookingView:
        deps = self._deps
        starts_at = aware(starts_at, "starts_at")
        now = deps.clock.now()
        async with deps.uow(read_only=True) as uow:
            tutor_id = (await booking_of(deps, uow, actor, booking_id, for_update=False)).tutor_id
        async with deps.uow() as uow:
            # The tutor's schedule first, then the booking as it is once that lock is ours: a
            # cancel or another move that went first is seen.
            availability = await uow.tutoring.availability.get(tutor_id, for_update=True)
            booking = await booking_of(deps, uow, actor, booking_id, for_update=True)
            if actor.user_id != booking.student_id:
                raise PermissionDenied("the student moves their lesson; a tutor cancels it")
            if availability is None:
                raise outside_availability()
            lesson = Interval(starts_at, starts_at + (booking.ends_at - booking.starts_at))
            await deps.check_free(
                uow,
                availability,
                tutor_id=booking.tutor_id,
                student_id=booking.student_id,
                lesson=lesson,
                now=now,
                moving=booking,
            )
            booking.reschedule(starts_at, now=now, event_id=deps.ids.new_id())
            await uow.commit()
        return await view_of(deps, booking_id, actor.user_id)


class FinishBooking:
    """The lesson happened (the tutor says so, or the job after it ended), or someone did not
    come: the tutor reports the student, the student reports the tutor."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def complete(self, actor: Actor, booking_id: UUID) -> BookingView:
        deps = self._deps
        async with deps.uow() as uow:
            booking = await booking_of(deps, uow, actor, booking_id, for_update=True)
            if actor.user_id != booking.tutor_id:
                deps.authorizer.authorize(
                    actor,
                    Permission.COMPLETE_LESSON_FOR_OTHERS,
                    otherwise=PermissionDenied("the tutor marks a lesson completed"),
                )
            await complete(deps, uow, booking)
            await uow.commit()
        return await view_of(deps, booking_id, actor.user_id)

    async def no_show(
        self, actor: Actor, booking_id: UUID, who: Literal["student", "tutor"]
    ) -> BookingView:
        deps = self._deps
        now = deps.clock.now()
        async with deps.uow() as uow:
            booking = await booking_of(deps, uow, actor, booking_id, for_update=True)
            reporter = booking.tutor_id if who == "student" else booking.student_id
            if actor.user_id != reporter:
                deps.authorizer.authorize(
                    actor,
                    Permission.REPORT_NO_SHOW_FOR_OTHERS,
                    otherwise=PermissionDenied(
                        "the tutor reports a student who did not come, the student a tutor"
                    ),
                )
            percent = booking.no_show(student_absent=who == "student", now=now)
            refund_id = await _refund_by_percent(
                deps, uow, booking, percent, f"the {who} did not come", actor
            )
            await uow.commit()
        if refund_id is not None:
            await deps.billing.settle_card_refund(refund_id)
        return await view_of(deps, booking_id, actor.user_id)


async def complete(deps: TutoringDeps, uow: TutoringUnitOfWork, booking: Booking) -> None:
    booking.complete(deps.clock.now())
    if booking.order_id is not None:
        await deps.billing.release_earnings(uow, booking.order_id)


class ListMyBookings:
    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, filters: BookingFilters, *, limit: int = 20, cursor: str | None = None
    ) -> Page[BookingView]:
        user_id = require_signed_in(actor)
        check_limit(limit)
        _check_range(filters.starts_from, filters.starts_to)
        page = await page_of(
            self._deps.queries.bookings(user_id, filters, limit=limit, cursor=cursor)
        )
        return dataclasses.replace(
            page, items=[as_seen_by(self._deps, view, user_id) for view in page.items]
        )


class ListAllBookings:
    """Staff who may read any booking list everyone's, latest start first, by tutor, student,
    state and start; they see no meeting link."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        filters: StaffBookingFilters,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[BookingView]:
        self._deps.authorizer.authorize(actor, Permission.VIEW_ANY_BOOKING)
        check_limit(limit)
        _check_range(filters.starts_from, filters.starts_to)
        page = await page_of(self._deps.queries.all_bookings(filters, limit=limit, cursor=cursor))
        return dataclasses.replace(
            page, items=[as_seen_by(self._deps, view, actor.user_id) for view in page.items]
        )


def _check_range(starts_from: datetime | None, starts_to: datetime | None) -> None:
    if starts_from and starts_to and starts_to <= starts_from:
        raise InvalidInput("the range is empty", errors=[FieldError("to", "is after from")])


class GetBooking:
    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, booking_id: UUID) -> BookingView:
        async with self._deps.uow(read_only=True) as uow:
            await booking_of(self._deps, uow, actor, booking_id, for_update=False)
        return await view_of(self._deps, booking_id, actor.user_id)


# ---- periodic jobs ---------------------------------------------------------------------------
async def release_expired_holds(deps: TutoringDeps) -> int:
    async with deps.uow() as uow:
        released = await uow.tutoring.bookings.release_expired_holds(now=deps.clock.now())
        await uow.commit()
    return released


async def complete_finished_lessons(deps: TutoringDeps, *, batch: int = 100) -> int:
    """Confirmed lessons nobody marked, some hours after their end, are completed and their
    earnings made available."""
    ended_before = deps.clock.now() - timedelta(hours=deps.policy.auto_complete_hours)
    done = 0
    while True:
        async with deps.uow() as uow:
            due = await uow.tutoring.bookings.due_for_completion(ended_before, limit=batch)
            for booking in due:
                await complete(deps, uow, booking)
            await uow.commit()
        done += len(due)
        if len(due) < batch:
            return done
