"""After and around a lesson: testimonials, reminders, confirmation emails and the private
calendar feed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from elearn.application.mail import EmailTemplates, Mailer, in_zone
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.tutoring.deps import (
    TutoringDeps,
    as_seen_by,
    booking_of,
    unmasked_view_of,
)
from elearn.application.tutoring.ports import TestimonialView
from elearn.domain.shared.errors import Conflict, IllegalTransition
from elearn.domain.shared.events import DomainEvent
from elearn.domain.tutoring.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingReminderDue,
    BookingRescheduled,
    BookingStatus,
)

MAX_TESTIMONIAL = 2000
# How far back the calendar feed shows lessons.
CALENDAR_HISTORY = timedelta(days=90)


class AlreadyTestified(Conflict):
    code = "already-reviewed"


@dataclass(frozen=True, slots=True)
class CalendarLink:
    url: str


class WriteTestimonial:
    """The student of a completed lesson rates the tutor (1 to 5) with a text, once."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, booking_id: UUID, rating: int, text: str
    ) -> TestimonialView:
        deps = self._deps
        if isinstance(rating, bool) or not 1 <= rating <= 5:
            raise InvalidInput("a rating is 1 to 5", errors=[FieldError("rating", "is 1 to 5")])
        text = text.strip()
        if not text or len(text) > MAX_TESTIMONIAL:
            raise InvalidInput(
                "say something about the lesson",
                errors=[FieldError("text", f"is 1 to {MAX_TESTIMONIAL} characters")],
            )
        async with deps.uow() as uow:
            booking = await booking_of(deps, uow, actor, booking_id, for_update=True)
            if actor.user_id != booking.student_id:
                raise PermissionDenied("the lesson's student writes its testimonial")
            if booking.status is not BookingStatus.COMPLETED:
                raise IllegalTransition("booking", booking.status.value, "review")
            if await uow.tutoring.testimonials.exists_for(booking.id):
                raise AlreadyTestified("you have already rated this lesson")
            testimonial_id = deps.ids.new_id()
            await deps.identity.hold_tutor_rating(uow, booking.tutor_id)
            await uow.tutoring.testimonials.add(
                testimonial_id=testimonial_id,
                booking=booking,
                rating=rating,
                text=text,
                now=deps.clock.now(),
            )
            count, average = await uow.tutoring.testimonials.rating_of(booking.tutor_id)
            await deps.identity.set_tutor_rating(
                uow, booking.tutor_id, count=count, average=average
            )
            await uow.commit()
        view = await deps.queries.testimonial(testimonial_id)
        if view is None:  # the booking (and with it the testimonial) was deleted meanwhile
            raise NotFound("the testimonial is gone")
        return view


class ListTestimonials:
    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self, tutor_id: UUID, *, limit: int = 20, cursor: str | None = None
    ) -> Page[TestimonialView]:
        check_limit(limit)
        async with self._deps.uow(read_only=True) as uow:
            await self._deps.bookable_tutor(uow, tutor_id)
        return await page_of(self._deps.queries.testimonials(tutor_id, limit=limit, cursor=cursor))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed:
    """A private iCalendar feed of the user's lessons, read by calendar apps with a token in
    the URL (they send no headers). A new token replaces the old; revoking ends the feed."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def new_link(self, actor: Actor) -> CalendarLink:
        user_id = require_signed_in(actor)
        token = secrets.token_urlsafe(32)
        async with self._deps.uow() as uow:
            await uow.tutoring.calendar_feeds.put(user_id, _hash(token), self._deps.clock.now())
            await uow.commit()
        base = self._deps.policy.public_url.rstrip("/")
        return CalendarLink(url=f"{base}/api/v1/me/calendar.ics?token={token}")

    async def revoke(self, actor: Actor) -> None:
        user_id = require_signed_in(actor)
        async with self._deps.uow() as uow:
            await uow.tutoring.calendar_feeds.remove(user_id)
            await uow.commit()

    async def render(self, token: str) -> bytes:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            user_id = await uow.tutoring.calendar_feeds.user_for(_hash(token)) if token else None
            user = await deps.identity.user(uow, user_id) if user_id else None
        if user is None:
            raise NotFound("there is no such calendar", code="calendar-not-found")
        since = deps.clock.now() - CALENDAR_HISTORY
        lessons = [
            as_seen_by(deps, view, user.id) for view in await deps.queries.calendar(user.id, since)
        ]
        return deps.calendar.render(user.full_name, lessons)


class SendBookingEmails:
    """Tells both sides of a lesson what happened to it: confirmed, moved, or cancelled; and
    reminds them before it starts. Each reads their own email: the other person named, times in
    their own zone and language. The meeting link goes only into mail sent while it is shown
    (from shortly before the lesson)."""

    def __init__(self, deps: TutoringDeps, mailer: Mailer, templates: EmailTemplates) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates

    async def __call__(self, event: DomainEvent) -> None:
        template = {
            BookingConfirmed: "booking_confirmed",
            BookingRescheduled: "booking_rescheduled",
            BookingCancelled: "booking_cancelled",
            BookingReminderDue: "booking_reminder",
        }[type(event)]
        booking_id: UUID = event.booking_id  # type: ignore[attr-defined]
        view = await unmasked_view_of(self._deps, booking_id)
        if isinstance(event, BookingReminderDue) and (
            view.status is not BookingStatus.CONFIRMED or view.starts_at != event.starts_at
        ):
            return  # cancelled or moved since: its own emails said so
        async with self._deps.uow(read_only=True) as uow:
            student = await self._deps.identity.recipient(uow, view.student_id)
            tutor = await self._deps.identity.recipient(uow, view.tutor_id)
        cancelled_by = {
            BookingStatus.CANCELLED_BY_STUDENT: "student",
            BookingStatus.CANCELLED_BY_TUTOR: "tutor",
        }.get(view.status, "")
        previous_start = event.previous_start if isinstance(event, BookingRescheduled) else None
        for role, person, other_name in (
            ("student", student, view.tutor_name),
            ("tutor", tutor, view.student_name),
        ):
            if person is None:
                continue
            context: dict[str, object] = {
                "full_name": person.full_name,
                "role": role,
                "other_name": other_name,
                "starts_at": in_zone(view.starts_at, person.time_zone),
                "previous_start": in_zone(previous_start, person.time_zone)
                if previous_start
                else None,
                "duration_minutes": view.duration_minutes,
                # Mail is read at any time later: the link only when it is shown right now.
                "meeting_url": as_seen_by(self._deps, view, person.id).meeting_url or "",
                "cancelled_by": cancelled_by,
                "lead": _lead_text(event),
                # An earlier reminder says when the one with the link to join will come.
                "link_reminder_lead": _link_reminder_lead(self._deps, event),
                "bookings_url": self._deps.policy.links.bookings(),
            }
            message = self._templates.render(
                template, context, to=[person.email], language=person.language
            )
            await self._mailer.send(message)


def _lead_text(event: DomainEvent) -> str:
    if not isinstance(event, BookingReminderDue):
        return ""
    minutes = event.lead_minutes
    if minutes == 24 * 60:
        return "tomorrow"
    if minutes % 60 == 0:
        return "in 1 hour" if minutes == 60 else f"in {minutes // 60} hours"
    return "in 1 minute" if minutes == 1 else f"in {minutes} minutes"


def _link_reminder_lead(deps: TutoringDeps, event: DomainEvent) -> str:
    link_lead = deps.policy.meeting_link.lead_minutes
    if not isinstance(event, BookingReminderDue) or not 0 < link_lead < event.lead_minutes:
        return ""
    return "1 minute" if link_lead == 1 else f"{link_lead} minutes"


async def send_due_reminders(deps: TutoringDeps, *, batch: int = 200) -> int:
    """The periodic job: for each lead (24 h, 1 h, and the moment the meeting link is shown,
    whose reminder carries it), confirmed lessons now within it whose reminder for their
    current start has not gone out get one, exactly once: the mark and the outbox message
    commit together, rows locked so schedulers at once skip each other's, and a rescheduled
    lesson is due again for its new start."""
    sent = 0
    leads = deps.policy.reminder_leads()
    for index, lead in enumerate(leads):
        shorter = leads[index - 1] if index else 0
        async with deps.uow() as uow:
            now = deps.clock.now()
            due = await uow.tutoring.bookings.due_reminders(now, lead, limit=batch)
            for booking in due:
                # The mark goes in first and only its writer sends: a scheduler that read the
                # same booking at the same moment finds it taken and sends nothing.
                if not await uow.tutoring.bookings.mark_reminded(booking, lead, now):
                    continue
                wanted = booking.reminder_wanted(timedelta(minutes=lead))
                # A lesson already inside a shorter lead gets that reminder instead.
                if wanted and booking.starts_at - now > timedelta(minutes=shorter):
                    uow.publish(
                        BookingReminderDue(
                            event_id=deps.ids.new_id(),
                            occurred_at=now,
                            booking_id=booking.id,
                            lead_minutes=lead,
                            starts_at=booking.starts_at,
                        )
                    )
                    sent += 1
            await uow.commit()
    return sent
