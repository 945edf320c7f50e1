"""Meeting links: the tutor's own meeting URL when they set one, else a room of the
configured video service with a random name of its own (128 bits from ``secrets``): not the
booking's id, which its order, the ledger and staff screens show."""

from __future__ import annotations

import secrets

from elearn.domain.tutoring.booking import Booking


class VideoRooms:
    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/")

    def room_for(self, booking: Booking, tutor_meeting_url: str | None) -> str:
        if tutor_meeting_url:
            return tutor_meeting_url
        return f"{self._base}/lesson-{secrets.token_hex(16)}"
