"""Meeting links: the tutor's own meeting URL when they set one, else a room of the
configured video service named after the booking (unguessable: the booking id is random)."""

from __future__ import annotations

from elearn.domain.tutoring.booking import Booking


class VideoRooms:
    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/")

    def room_for(self, booking: Booking, tutor_meeting_url: str | None) -> str:
        if tutor_meeting_url:
            return tutor_meeting_url
        return f"{self._base}/lesson-{booking.id.hex}"
