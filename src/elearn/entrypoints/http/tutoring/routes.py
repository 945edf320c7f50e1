"""/api/v1 tutoring routes: availability, finding tutors and their free slots, bookings and
their lifecycle, the private calendar feed and testimonials.

Handlers only translate; who may do what is decided by the use cases, against the booking.
Times in requests carry their offset and answers are in UTC, with the tutor's zone named;
availability is written in the tutor's own local time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from elearn.application.billing.api import ReturnUrls
from elearn.application.errors import FieldError, InvalidInput
from elearn.application.paging import Page
from elearn.application.tutoring.availability import SlotsView
from elearn.application.tutoring.bookings import BookingPayment
from elearn.application.tutoring.engagement import MAX_TESTIMONIAL, CalendarLink
from elearn.application.tutoring.ports import (
    BookingFilters,
    BookingView,
    StaffBookingFilters,
    TestimonialView,
    TutorCard,
    TutorFilters,
)
from elearn.domain.tutoring.availability import (
    MAX_WINDOWS,
    Availability,
    AvailabilityException,
    ExceptionKind,
    InvalidAvailability,
    WeeklyWindow,
)
from elearn.domain.tutoring.booking import MAX_NOTE, MAX_REASON, BookingStatus
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.billing.routes import IdempotencyKey, ReturnUrl
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.catalog.routes import Cursor, Limit
from elearn.entrypoints.http.docs import RequestExample, binary, request_examples
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.tutoring import Tutoring

ClockTime = Annotated[
    str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["09:00"])
]
Duration = Annotated[int, msgspec.Meta(ge=15, le=240, examples=[60])]


# ---- bodies and answers ----------------------------------------------------------------------
class WindowBody(RequestBody):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6, description="0 Monday … 6 Sunday")]
    start: ClockTime
    end: ClockTime


class AvailabilityBody(RequestBody):
    time_zone: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/Berlin"])]
    windows: Annotated[list[WindowBody], msgspec.Meta(max_length=MAX_WINDOWS)]
    durations: Annotated[list[Duration], msgspec.Meta(min_length=1, max_length=5)]
    buffer_minutes: Annotated[int, msgspec.Meta(ge=0, le=120)] = 0
    minimum_notice_minutes: Annotated[int, msgspec.Meta(ge=0, le=20_160)] = 720
    maximum_days_ahead: Annotated[int, msgspec.Meta(ge=1, le=365)] = 60


class ExceptionBody(RequestBody):
    kind: ExceptionKind
    start: Annotated[datetime, msgspec.Meta(description="local time, no offset")]
    end: datetime


class ExceptionView(msgspec.Struct):
    id: UUID
    kind: ExceptionKind
    start: str
    end: str


class AvailabilityView(msgspec.Struct):
    time_zone: str
    windows: list[dict[str, object]]
    durations: list[int]
    buffer_minutes: int
    minimum_notice_minutes: int
    maximum_days_ahead: int
    exceptions: list[ExceptionView]


class BookingBody(RequestBody):
    tutor_id: UUID
    starts_at: datetime
    duration_minutes: Duration
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE)] = ""


class PayBody(RequestBody):
    method: Literal["card", "credits"]
    # A card payment's page sends the buyer back here (allowed origins only; see checkout).
    success_url: ReturnUrl | None = None
    cancel_url: ReturnUrl | None = None


class CancelBody(RequestBody):
    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON)] | None = None


class RescheduleBody(RequestBody):
    starts_at: datetime


class NoShowBody(RequestBody):
    who: Literal["student", "tutor"]


class TestimonialBody(RequestBody):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TESTIMONIAL)]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _exception_view(exception: AvailabilityException) -> ExceptionView:
    return ExceptionView(
        id=exception.id,  # type: ignore[arg-type]
        kind=exception.kind,
        start=_local(exception.start),
        end=_local(exception.end),
    )


def _availability_view(availability: Availability) -> AvailabilityView:
    return AvailabilityView(
        time_zone=availability.time_zone,
        windows=[
            {"weekday": w.weekday, "start": _clock(w.start_minute), "end": _clock(w.end_minute)}
            for w in sorted(availability.windows)
        ],
        durations=sorted(availability.durations),
        buffer_minutes=availability.buffer_minutes,
        minimum_notice_minutes=availability.minimum_notice_minutes,
        maximum_days_ahead=availability.maximum_days_ahead,
        exceptions=[_exception_view(e) for e in availability.exceptions],
    )


def _availability(body: AvailabilityBody) -> Availability:
    try:
        return Availability(
            time_zone=body.time_zone,
            windows=tuple(
                WeeklyWindow(w.weekday, _minutes(w.start), _minutes(w.end)) for w in body.windows
            ),
            durations=tuple(body.durations),
            buffer_minutes=body.buffer_minutes,
            minimum_notice_minutes=body.minimum_notice_minutes,
            maximum_days_ahead=body.maximum_days_ahead,
        )
    except InvalidAvailability as error:
        field = "time_zone" if "time zone" in error.message else "windows"
        if "duration" in error.message:
            field = "durations"
        raise InvalidInput(error.message, errors=[FieldError(field, error.message)]) from None


# ---- availability ----------------------------------------------------------------------------
class MyAvailabilityController(Controller):
    path = "/me/availability"
    tags = ["tutoring"]
    guards = [signed_in]

    @problems("not-a-tutor")
    @get("", operation_id="get_my_availability", summary="Your weekly hours")
    async def get(self, actor: CurrentActor, tutoring: Tutoring) -> AvailabilityView:
        """Tutors: weekly windows in your time zone, the lesson lengths you offer, the buffer
        between lessons, the notice you need and how far ahead students may book."""
        return _availability_view(await tutoring.my_availability(actor))

    @problems("invalid-input", "not-a-tutor")
    @put("", operation_id="set_my_availability", summary="Set your weekly hours")
    async def put(
        self, data: JSONBody[AvailabilityBody], actor: CurrentActor, tutoring: Tutoring
    ) -> AvailabilityView:
        """Windows are local times (`end` may be `24:00`); a window at a time the clocks skip
        starts when they resume. Exceptions are kept; bookings already made are not touched."""
        return _availability_view(await tutoring.set_availability(actor, _availability(data)))

    @problems("invalid-availability", "invalid-input", "not-a-tutor")
    @post(
        "/exceptions",
        operation_id="add_availability_exception",
        summary="Add extra hours or block time",
        status_code=201,
    )
    async def add_exception(
        self, data: JSONBody[ExceptionBody], actor: CurrentActor, tutoring: Tutoring
    ) -> ExceptionView:
        """`start` and `end` in your local time, without an offset."""
        return _exception_view(
            await tutoring.exceptions.add(actor, data.kind, data.start, data.end)
        )

    @problems("exception-not-found", "not-a-tutor")
    @delete(
        "/exceptions/{exception_id:uuid}",
        operation_id="remove_availability_exception",
        summary="Remove an exception",
    )
    async def remove_exception(
        self, exception_id: FromPath[UUID], actor: CurrentActor, tutoring: Tutoring
    ) -> None:
        await tutoring.exceptions.remove(actor, exception_id)


# ---- finding tutors --------------------------------------------------------------------------
class FindTutorsController(Controller):
    path = "/tutors"
    tags = ["tutoring"]

    @problems("invalid-input")
    @get("", operation_id="find_tutors", summary="Find a tutor")
    async def find(
        self,
        tutoring: Tutoring,
        subject: Annotated[str | None, Parameter(max_length=80)] = None,
        language: Annotated[str | None, Parameter(max_length=35)] = None,
        currency: Annotated[str | None, Parameter(pattern="^[A-Z]{3}$")] = None,
        price_min: Annotated[int | None, Parameter(ge=0, description="hourly, minor units")] = None,
        price_max: Annotated[int | None, Parameter(ge=0)] = None,
        rating_min: Annotated[float | None, Parameter(ge=0, le=5)] = None,
        available_from: datetime | None = None,
        available_to: datetime | None = None,
        sort: Literal["rating", "price", "price_desc"] = "rating",
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[TutorCard]:
        """Approved tutors; with `available_from` and `available_to`, only those with a free
        slot in that range (at most 31 days)."""
        return await tutoring.find_tutors(
            TutorFilters(
                subject=subject,
                language=language,
                currency=currency,
                price_min=price_min,
                price_max=price_max,
                rating_min=rating_min,
                sort=sort,
            ),
            available_from=available_from,
            available_to=available_to,
            limit=limit,
            cursor=cursor,
        )

    @problems("invalid-input", "tutor-not-found")
    @get("/{tutor_id:uuid}/slots", operation_id="list_tutor_slots", summary="Free start times")
    async def slots(
        self,
        tutor_id: FromPath[UUID],
        tutoring: Tutoring,
        from_: Annotated[datetime, QueryParameter(name="from")],
        to: datetime,
        duration: Duration,
    ) -> SlotsView:
        """Bookable start times in UTC for lessons of `duration` minutes between `from` and
        `to` (at most 31 days); the tutor's time zone is named."""
        return await tutoring.slots(tutor_id, from_, to, duration)

    @problems("tutor-not-found")
    @get(
        "/{tutor_id:uuid}/testimonials",
        operation_id="list_tutor_testimonials",
        summary="What students say",
    )
    async def testimonials(
        self, tutor_id: FromPath[UUID], tutoring: Tutoring, limit: Limit = 20, cursor: Cursor = None
    ) -> Page[TestimonialView]:
        return await tutoring.testimonials(tutor_id, limit=limit, cursor=cursor)


# ---- bookings --------------------------------------------------------------------------------
class BookingsController(Controller):
    path = "/bookings"
    tags = ["tutoring"]
    guards = [signed_in]

    @problems(
        "email-not-verified",
        "invalid-booking",
        "invalid-input",
        "no-rate",
        "slot-unavailable",
        "slot-taken",
        "duration-not-offered",
        "start-not-on-grid",
        "outside-availability",
        "tutor-not-found",
        "invalid-parameter",
    )
    @problems("too-many-holds", "too-many-holds-with-tutor")
    @request_examples(
        hour=RequestExample(
            "An hour on a free slot (`GET /tutors/{tutor_id}/slots` lists them)",
            {
                "tutor_id": "0b9f6a52-3c55-4a8e-9d3e-5f2f0f1c2a10",
                "starts_at": "2027-01-11T09:00:00Z",
                "duration_minutes": 60,
                "note": "I would like to go over recursion.",
            },
        )
    )
    @post("", operation_id="book_lesson", summary="Hold a lesson", status_code=201)
    async def book(
        self,
        data: JSONBody[BookingBody],
        actor: CurrentActor,
        tutoring: Tutoring,
        idempotency_key: IdempotencyKey = None,
    ) -> BookingView:
        """Holds a free slot for 15 minutes at the tutor's hourly rate; pay it to confirm. A
        time another lesson has, or a start another hold is being made for at that moment,
        answers 409 `slot-taken`; a length not offered, a start off the quarter hour or a time
        outside the tutor's hours answer 422 `duration-not-offered`, `start-not-on-grid` or
        `outside-availability`.

        A student keeps only so many unpaid holds (3 by default, 2 with one tutor): one more
        answers 409 `too-many-holds` or `too-many-holds-with-tutor` until one is paid,
        cancelled or runs out."""
        return await tutoring.hold(
            actor,
            tutor_id=data.tutor_id,
            starts_at=data.starts_at,
            duration_minutes=data.duration_minutes,
            note=data.note,
            idempotency_key=idempotency_key,
        )

    @problems("booking-not-found", "two-factor-required")
    @get("/{booking_id:uuid}", operation_id="get_booking", summary="A booking")
    async def get_one(
        self, booking_id: FromPath[UUID], actor: CurrentActor, tutoring: Tutoring
    ) -> BookingView:
        """For its student, its tutor and staff. `meeting_url` is shown to the student and the
        tutor only, once paid, from 15 minutes (`ELEARN_MEETING_LINK_LEAD_MINUTES`) before the
        start until the end; otherwise it is null."""
        return await tutoring.get_booking(actor, booking_id)

    @problems("booking-not-found", "illegal-transition")
    @post("/{booking_id:uuid}/pay", operation_id="pay_booking", summary="Pay", status_code=200)
    async def pay(
        self,
        booking_id: FromPath[UUID],
        data: JSONBody[PayBody],
        actor: CurrentActor,
        tutoring: Tutoring,
    ) -> BookingPayment:
        """`card` answers the payment page (the booking is confirmed when the payment comes
        in), which sends you back to `success_url` or `cancel_url`; `credits` pays from your
        wallet and confirms at once."""
        return await tutoring.pay(
            actor,
            booking_id,
            data.method,
            ReturnUrls(success_url=data.success_url, cancel_url=data.cancel_url),
        )

    @problems("booking-not-found", "illegal-transition")
    @post(
        "/{booking_id:uuid}/cancel",
        operation_id="cancel_booking",
        summary="Cancel",
        status_code=200,
    )
    async def cancel(
        self,
        booking_id: FromPath[UUID],
        actor: CurrentActor,
        tutoring: Tutoring,
        data: JSONBody[CancelBody | None] = None,
    ) -> BookingView:
        """By the student: a full refund at least the cutoff (24 h) before the start, the
        booking's after-cutoff share later. By the tutor: always a full refund."""
        return await tutoring.cancel(actor, booking_id, data.reason if data else None)

    @problems(
        "booking-not-found",
        "illegal-transition",
        "invalid-input",
        "reschedule-too-late",
        "slot-unavailable",
        "slot-taken",
        "duration-not-offered",
        "start-not-on-grid",
        "outside-availability",
    )
    @post(
        "/{booking_id:uuid}/reschedule",
        operation_id="reschedule_booking",
        summary="Move",
        status_code=200,
    )
    async def reschedule(
        self,
        booking_id: FromPath[UUID],
        data: JSONBody[RescheduleBody],
        actor: CurrentActor,
        tutoring: Tutoring,
    ) -> BookingView:
        """The student, until the cutoff, to another free slot of the same tutor and length."""
        return await tutoring.reschedule(actor, booking_id, data.starts_at)

    @problems("booking-not-found", "illegal-transition", "not-started", "two-factor-required")
    @post(
        "/{booking_id:uuid}/complete",
        operation_id="complete_booking",
        summary="Completed",
        status_code=200,
    )
    async def complete(
        self, booking_id: FromPath[UUID], actor: CurrentActor, tutoring: Tutoring
    ) -> BookingView:
        """The tutor, once the lesson has started; the earnings become available."""
        return await tutoring.finish.complete(actor, booking_id)

    @problems("illegal-transition", "not-started", "two-factor-required", "booking-not-found")
    @post(
        "/{booking_id:uuid}/no-show",
        operation_id="report_no_show",
        summary="No-show",
        status_code=200,
    )
    async def no_show(
        self,
        booking_id: FromPath[UUID],
        data: JSONBody[NoShowBody],
        actor: CurrentActor,
        tutoring: Tutoring,
    ) -> BookingView:
        """The tutor reports an absent student (the tutor is paid in full), the student an
        absent tutor (a full refund)."""
        return await tutoring.finish.no_show(actor, booking_id, data.who)

    @problems("already-reviewed", "booking-not-found", "illegal-transition", "invalid-input")
    @post(
        "/{booking_id:uuid}/testimonial",
        operation_id="write_testimonial",
        summary="Rate the lesson",
        status_code=201,
    )
    async def testimonial(
        self,
        booking_id: FromPath[UUID],
        data: JSONBody[TestimonialBody],
        actor: CurrentActor,
        tutoring: Tutoring,
    ) -> TestimonialView:
        """The student of a completed lesson, once."""
        return await tutoring.write_testimonial(actor, booking_id, data.rating, data.text)


class BookingAdminController(Controller):
    path = "/admin/bookings"
    tags = ["tutoring"]
    guards = [signed_in]

    @problems("invalid-input")
    @get("", operation_id="list_all_bookings", summary="Everyone's lessons")
    async def bookings(
        self,
        actor: CurrentActor,
        tutoring: Tutoring,
        tutor_id: FromQuery[UUID | None] = None,
        student_id: FromQuery[UUID | None] = None,
        status: FromQuery[BookingStatus | None] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[BookingView]:
        """Managers and admins, latest start first; `from` and `to` bound the start (`to`
        exclusive). Staff see no meeting link."""
        filters = StaffBookingFilters(
            tutor_id=tutor_id, student_id=student_id, status=status, starts_from=from_, starts_to=to
        )
        return await tutoring.all_bookings(actor, filters, limit=limit, cursor=cursor)


class MyBookingsController(Controller):
    path = "/me"
    tags = ["tutoring"]

    @problems("invalid-input")
    @get("/bookings", operation_id="list_my_bookings", summary="Your lessons", guards=[signed_in])
    async def bookings(
        self,
        actor: CurrentActor,
        tutoring: Tutoring,
        role: Literal["student", "tutor"] = "student",
        status: BookingStatus | None = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: datetime | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[BookingView]:
        """As a student (default) or as the tutor, latest start first."""
        return await tutoring.my_bookings(
            actor,
            BookingFilters(
                as_tutor=role == "tutor", status=status, starts_from=from_, starts_to=to
            ),
            limit=limit,
            cursor=cursor,
        )

    @post(
        "/calendar-token",
        operation_id="new_calendar_link",
        summary="Your calendar feed",
        guards=[signed_in],
        status_code=201,
    )
    async def new_calendar_link(self, actor: CurrentActor, tutoring: Tutoring) -> CalendarLink:
        """A private iCalendar URL of your lessons for your calendar app; a new one revokes
        the old."""
        return await tutoring.calendar.new_link(actor)

    @delete(
        "/calendar-token", operation_id="revoke_calendar_link", summary="Revoke", guards=[signed_in]
    )
    async def revoke_calendar_link(self, actor: CurrentActor, tutoring: Tutoring) -> None:
        await tutoring.calendar.revoke(actor)

    @problems("calendar-not-found")
    @binary("text/calendar")
    @get("/calendar.ics", operation_id="get_calendar_feed", summary="The calendar feed")
    async def calendar(
        self, tutoring: Tutoring, token: Annotated[str, Parameter(min_length=1, max_length=100)]
    ) -> Response[bytes]:
        """Read by calendar apps: the token in the URL is the key (no Authorization)."""
        return Response(
            await tutoring.calendar.render(token),
            media_type="text/calendar",  # Litestar adds the charset of text types
            headers={"Cache-Control": "private, no-store"},
        )


TUTORING_CONTROLLERS = [
    MyAvailabilityController,
    FindTutorsController,
    BookingsController,
    MyBookingsController,
    BookingAdminController,
]
