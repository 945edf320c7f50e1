"""What tutoring use cases need: repositories of availability, bookings, testimonials and
calendar feeds; meeting rooms; the read side shaped like the API's answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from elearn.application.links import FrontEndLinks
from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import Availability, Interval
from elearn.domain.tutoring.booking import (
    Booking,
    BookingStatus,
    BusyTime,
    CancellationPolicy,
    HoldLimits,
    MeetingLinkWindow,
)


# ---- write side ------------------------------------------------------------------------------
class AvailabilityRepository(Protocol):
    async def get(self, tutor_id: UUID, *, for_update: bool = False) -> Availability | None:
        """``for_update`` locks the tutor's availability: bookings of one tutor are made one at
        a time (PostgreSQL's exclusion constraint is the second guard)."""
        ...

    async def put(self, tutor_id: UUID, availability: Availability, now: datetime) -> None: ...


class BookingRepository(Protocol):
    async def add(self, booking: Booking) -> None: ...

    async def any_between(self, *, student_id: UUID, tutor_id: UUID) -> bool:
        """Whether the student has booked the tutor, in any state but expired."""
        ...

    async def get(self, booking_id: UUID, *, for_update: bool = False) -> Booking | None: ...

    async def active_between(
        self,
        *,
        tutor_id: UUID | None = None,
        student_id: UUID | None = None,
        start: datetime,
        end: datetime,
    ) -> list[Booking]:
        """Held and confirmed bookings of the tutor (or student) that touch [start, end)."""
        ...

    async def release_expired_holds(
        self, *, tutor_id: UUID | None = None, student_id: UUID | None = None, now: datetime
    ) -> int:
        """Marks holds past their time expired at once (of the tutor or the student, or all),
        so that they no longer block the database's no-overlap guard."""
        ...

    async def lock_holds_of(self, student_id: UUID) -> None:
        """Until the transaction ends, the student's holds are made one at a time (the limit
        on unpaid holds counts them across tutors, whose schedules are locked apart)."""
        ...

    async def claim_slot(self, tutor_id: UUID, starts_at: datetime) -> bool:
        """Claims the tutor's lesson starting at ``starts_at`` for this transaction, without
        waiting: False while another transaction has claimed it (it is being booked now)."""
        ...

    async def of_student_for_hold(
        self, student_id: UUID, *, now: datetime, start: datetime, end: datetime
    ) -> list[Booking]:
        """What a new hold of the student over [start, end) must be checked against, in one
        read: their unpaid holds that have not run out at ``now`` (the limits count them) and
        their active bookings touching [start, end) (a student has one lesson at a time)."""
        ...

    async def due_for_completion(self, ended_before: datetime, *, limit: int) -> list[Booking]:
        """Confirmed bookings that ended before ``ended_before``, locked (others skip them)."""
        ...

    async def due_reminders(self, now: datetime, lead_minutes: int, *, limit: int) -> list[Booking]:
        """Confirmed bookings starting within ``lead_minutes`` of ``now`` whose reminder for
        this lead has not been sent for their current start, locked (others skip them)."""
        ...

    async def mark_reminded(self, booking: Booking, lead_minutes: int, now: datetime) -> bool:
        """Records the reminder for the booking's current start; False if it was recorded
        already (by this job running elsewhere at the same moment)."""
        ...


class TestimonialRepository(Protocol):
    async def exists_for(self, booking_id: UUID) -> bool: ...

    async def add(
        self,
        *,
        testimonial_id: UUID,
        booking: Booking,
        rating: int,
        text: str,
        now: datetime,
    ) -> None: ...

    async def rating_of(self, tutor_id: UUID) -> tuple[int, float | None]:
        """How many testimonials the tutor has, and their average rating (None without any),
        this transaction's included."""
        ...


class CalendarFeedRepository(Protocol):
    async def put(self, user_id: UUID, token_hash: str, now: datetime) -> None: ...

    async def remove(self, user_id: UUID) -> None: ...

    async def user_for(self, token_hash: str) -> UUID | None: ...


class TutoringStore(Protocol):
    """The tutoring repositories of one unit of work (``uow.tutoring``).

    Properties, not attributes: read-only members let an implementation hold its own
    repository types, where a settable attribute would have to be exactly the port.
    """

    @property
    def availability(self) -> AvailabilityRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def testimonials(self) -> TestimonialRepository: ...

    @property
    def calendar_feeds(self) -> CalendarFeedRepository: ...


class MeetingRooms(Protocol):
    def room_for(self, booking: Booking, tutor_meeting_url: str | None) -> str:
        """The tutor's own meeting URL when set, else a new room of this booking whose name
        nobody can guess (nor derive from anything else they know of the booking)."""
        ...


class CalendarRenderer(Protocol):
    def render(self, owner_name: str, bookings: list[BookingView]) -> bytes:
        """An iCalendar document of the bookings (cancelled ones as cancelled events)."""
        ...


# ---- read side -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BookingView:
    id: UUID
    tutor_id: UUID
    tutor_name: str
    student_id: UUID
    student_name: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    status: BookingStatus
    price: Money
    tutor_time_zone: str
    held_until: datetime | None
    meeting_url: str | None
    note: str
    order_id: UUID | None
    cancellation_cutoff_hours: int
    refund_percent_before_cutoff: int
    refund_percent_after_cutoff: int
    sequence: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BookingFilters:
    as_tutor: bool = False
    status: BookingStatus | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class StaffBookingFilters:
    """The staff's filters over everyone's bookings; every one given must hold."""

    tutor_id: UUID | None = None
    student_id: UUID | None = None
    status: BookingStatus | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class TutorCard:
    """A tutor in the list; the tutor's own page (``GET /tutors/{id}``) has these fields under
    the same names."""

    id: UUID
    full_name: str
    headline: str
    subjects: list[str]
    languages: list[str]
    hourly_rate: Money | None
    rating_average: float | None
    rating_count: int
    time_zone: str
    avatar_url: str | None


@dataclass(frozen=True, slots=True)
class TutorFilters:
    subject: str | None = None
    language: str | None = None
    currency: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    rating_min: float | None = None
    sort: str = "rating"  # rating | price | price_desc | newest


@dataclass(frozen=True, slots=True)
class TestimonialView:
    id: UUID
    booking_id: UUID
    student_name: str
    rating: int
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TutorCalendar:
    """A bookable tutor's availability (None: they have set none) and the times their active
    bookings take in a range."""

    availability: Availability | None
    busy: list[BusyTime]

    def taken(self, now: datetime) -> list[Interval]:
        """The times booked as of ``now`` (a lapsed hold takes none)."""
        return [busy.interval for busy in self.busy if busy.blocks(now)]


@dataclass(frozen=True, slots=True)
class TutorTime:
    """A tutor's availability (None: they set none) and their booked lessons in a range."""

    availability: Availability | None
    lessons: list[Interval]


class TutoringQueries(Protocol):
    async def tutor_calendar(
        self, tutor_id: UUID, start: datetime, end: datetime
    ) -> TutorCalendar | None:
        """A bookable tutor's availability and their active bookings overlapping
        ``start``-``end`` (None: no such tutor), as of one moment: one statement, outside any
        transaction (what slots and a hold's first check read)."""
        ...

    async def tutor_time(self, tutor_id: UUID, start: datetime, end: datetime) -> TutorTime:
        """Anyone's availability as it stands and their booked lessons (`booking.BOOKED`)
        that touch ``start``-``end``, in one session: what their utilisation reads."""
        ...

    async def booking(self, booking_id: UUID) -> BookingView | None: ...

    async def bookings(
        self, user_id: UUID, filters: BookingFilters, *, limit: int, cursor: str | None
    ) -> Page[BookingView]: ...

    async def all_bookings(
        self, filters: StaffBookingFilters, *, limit: int, cursor: str | None
    ) -> Page[BookingView]:
        """Everyone's bookings, latest start first."""
        ...

    async def calendar(self, user_id: UUID, since: datetime) -> list[BookingView]:
        """The user's bookings (as student and as tutor) that a calendar shows: confirmed,
        completed and cancelled after confirmation, starting from ``since``."""
        ...

    async def tutors(
        self, filters: TutorFilters, *, limit: int, cursor: str | None
    ) -> Page[TutorCard]: ...

    async def testimonial(self, testimonial_id: UUID) -> TestimonialView | None: ...

    async def testimonials(
        self, tutor_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[TestimonialView]: ...


@dataclass(frozen=True, slots=True)
class TutoringPolicy:
    cancellation: CancellationPolicy = field(default_factory=CancellationPolicy)
    hold_limits: HoldLimits = field(default_factory=HoldLimits)
    meeting_link: MeetingLinkWindow = field(default_factory=MeetingLinkWindow)
    # A confirmed lesson nobody marked is completed this long after its end.
    auto_complete_hours: int = 24
    video_room_base: str = "https://meet.jit.si/elearn"
    public_url: str = "http://127.0.0.1:8000"
    links: FrontEndLinks = field(default_factory=FrontEndLinks)
    reminder_leads_minutes: tuple[int, ...] = (24 * 60, 60)

    def reminder_leads(self) -> list[int]:
        """When reminders go out (minutes before the start), shortest first: the configured
        leads and the moment the meeting link is shown, so that one reminder carries the link
        (mail read days ahead must not) and nobody has to watch the booking page for it."""
        leads = {*self.reminder_leads_minutes, self.meeting_link.lead_minutes}
        return sorted(lead for lead in leads if lead > 0)


class TutoringUnitOfWork(Transaction, Protocol):
    """The tutoring context's unit of work: its own stores and nothing else."""

    tutoring: TutoringStore
