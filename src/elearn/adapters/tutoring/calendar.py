"""Lesson calendars as iCalendar (RFC 5545) documents, with the icalendar library.

Each booking is one event whose UID never changes; its SEQUENCE grows with every change
(confirmed, moved, cancelled), so calendar apps replace the event instead of adding another,
and a cancelled lesson stays as a cancelled event until it drops out of the feed.
"""

from __future__ import annotations

from datetime import UTC

from elearn.application.tutoring.ports import BookingView
from elearn.domain.tutoring.booking import BookingStatus

_CANCELLED = frozenset(
    {
        BookingStatus.CANCELLED_BY_STUDENT,
        BookingStatus.CANCELLED_BY_TUTOR,
        BookingStatus.EXPIRED,
    }
)


class ICalendarRenderer:
    def __init__(self, app_name: str, domain: str) -> None:
        self._app_name = app_name
        self._domain = domain

    def render(self, owner_name: str, bookings: list[BookingView]) -> bytes:
        # Imported on the first calendar asked for: ~4 MiB an API process otherwise carries.
        from icalendar import Calendar, Event

        calendar = Calendar()
        calendar.add("prodid", f"-//{self._app_name}//lessons//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", f"{self._app_name}: lessons of {owner_name}")
        for booking in bookings:
            event = Event()
            event.add("uid", f"booking-{booking.id}@{self._domain}")
            event.add("dtstamp", booking.updated_at.astimezone(UTC))
            event.add("dtstart", booking.starts_at.astimezone(UTC))
            event.add("dtend", booking.ends_at.astimezone(UTC))
            event.add("sequence", booking.sequence)
            event.add("summary", f"Lesson: {booking.tutor_name} with {booking.student_name}")
            if booking.meeting_url:
                event.add("location", booking.meeting_url)
                event.add("url", booking.meeting_url)
            description = [f"{booking.duration_minutes}-minute lesson ({booking.status.value})"]
            if booking.meeting_url:
                description.append(f"Join: {booking.meeting_url}")
            if booking.note:
                description.append(f"Note: {booking.note}")
            event.add("description", "\n".join(description))
            event.add("status", "CANCELLED" if booking.status in _CANCELLED else "CONFIRMED")
            event.add("last-modified", booking.updated_at.astimezone(UTC))
            event.add("created", booking.created_at.astimezone(UTC))
            calendar.add_component(event)
        return calendar.to_ical()
