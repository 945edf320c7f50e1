"""The tutoring context's part of the composition root: meeting rooms and calendars from
settings, tutoring's use cases, and the fulfilment billing calls once a lesson is paid."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import urlsplit

from litestar.di import NamedDependency

from elearn.adapters.persistence.tutoring_queries import SqlaTutoringQueries
from elearn.adapters.tutoring.calendar import ICalendarRenderer
from elearn.adapters.tutoring.meetings import VideoRooms
from elearn.application.billing.api import BillingApi, ItemKind
from elearn.application.identity.api import IdentityApi
from elearn.application.tutoring import availability, bookings, engagement
from elearn.application.tutoring.api import TutoringApi
from elearn.application.tutoring.deps import TutoringDeps
from elearn.application.tutoring.ports import TutoringPolicy
from elearn.domain.tutoring.booking import CancellationPolicy, HoldLimits, MeetingLinkWindow
from elearn.entrypoints.catalog import image_url

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container
    from elearn.entrypoints.settings import Settings


def build_tutoring_deps(container: Container) -> TutoringDeps:
    settings = container.settings
    return TutoringDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        queries=SqlaTutoringQueries(container.engine, container.sessions, avatar_url=image_url),
        rooms=VideoRooms(settings.video_room_base),
        calendar=ICalendarRenderer(
            settings.app_name, urlsplit(settings.public_url).hostname or "elearn.localhost"
        ),
        billing=BillingApi(container.billing.deps),
        identity=IdentityApi(container.identity.deps),
        authorizer=container.authorizer,
        policy=tutoring_policy(settings),
    )


class TutoringUseCases:
    """Every tutoring use case, built on first use from one set of dependencies."""

    def __init__(self, deps: TutoringDeps) -> None:
        self.deps = deps
        deps.billing.register_fulfilment(ItemKind.BOOKING, TutoringApi(deps).fulfil_booking)

    # ---- availability and finding tutors ------------------------------------------------------
    @cached_property
    def my_availability(self) -> availability.GetMyAvailability:
        return availability.GetMyAvailability(self.deps)

    @cached_property
    def set_availability(self) -> availability.SetMyAvailability:
        return availability.SetMyAvailability(self.deps)

    @cached_property
    def exceptions(self) -> availability.ChangeExceptions:
        return availability.ChangeExceptions(self.deps)

    @cached_property
    def slots(self) -> availability.ListSlots:
        return availability.ListSlots(self.deps)

    @cached_property
    def find_tutors(self) -> availability.FindTutors:
        return availability.FindTutors(self.deps)

    # ---- bookings ----------------------------------------------------------------------------
    @cached_property
    def hold(self) -> bookings.HoldBooking:
        return bookings.HoldBooking(self.deps)

    @cached_property
    def pay(self) -> bookings.PayBooking:
        return bookings.PayBooking(self.deps)

    @cached_property
    def cancel(self) -> bookings.CancelBooking:
        return bookings.CancelBooking(self.deps)

    @cached_property
    def reschedule(self) -> bookings.RescheduleBooking:
        return bookings.RescheduleBooking(self.deps)

    @cached_property
    def finish(self) -> bookings.FinishBooking:
        return bookings.FinishBooking(self.deps)

    @cached_property
    def my_bookings(self) -> bookings.ListMyBookings:
        return bookings.ListMyBookings(self.deps)

    @cached_property
    def all_bookings(self) -> bookings.ListAllBookings:
        return bookings.ListAllBookings(self.deps)

    @cached_property
    def get_booking(self) -> bookings.GetBooking:
        return bookings.GetBooking(self.deps)

    # ---- around lessons ----------------------------------------------------------------------
    @cached_property
    def write_testimonial(self) -> engagement.WriteTestimonial:
        return engagement.WriteTestimonial(self.deps)

    @cached_property
    def testimonials(self) -> engagement.ListTestimonials:
        return engagement.ListTestimonials(self.deps)

    @cached_property
    def calendar(self) -> engagement.CalendarFeed:
        return engagement.CalendarFeed(self.deps)

    # ---- periodic jobs -----------------------------------------------------------------------
    async def release_expired_holds(self) -> int:
        return await bookings.release_expired_holds(self.deps)

    async def complete_finished_lessons(self) -> int:
        return await bookings.complete_finished_lessons(self.deps)

    async def send_due_reminders(self) -> int:
        return await engagement.send_due_reminders(self.deps)


# The tutoring use cases, as a route parameter: ``tutoring: Tutoring``.
Tutoring: TypeAlias = NamedDependency[TutoringUseCases]


def tutoring_policy(settings: Settings) -> TutoringPolicy:
    """Tutoring's section of the settings."""
    return TutoringPolicy(
        cancellation=CancellationPolicy(
            cutoff_hours=settings.cancellation_cutoff_hours,
            refund_percent_before=settings.refund_percent_before_cutoff,
            refund_percent_after=settings.refund_percent_after_cutoff,
        ),
        hold_limits=HoldLimits(
            per_student=settings.unpaid_holds_per_student,
            per_tutor=settings.unpaid_holds_per_tutor,
        ),
        meeting_link=MeetingLinkWindow(lead_minutes=settings.meeting_link_lead_minutes),
        auto_complete_hours=settings.lesson_auto_complete_hours,
        video_room_base=settings.video_room_base,
        public_url=settings.public_url,
        links=settings.front_end,
    )
