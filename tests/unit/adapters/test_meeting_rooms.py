"""VideoRooms: the tutor's own room as it is, else a room of the video service whose name is
random (128 bits) and says nothing of the booking."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import uuid4

from elearn.adapters.tutoring.meetings import VideoRooms
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.booking import Booking, CancellationPolicy


def a_booking() -> Booking:
    return Booking.hold(
        booking_id=uuid4(),
        tutor_id=uuid4(),
        student_id=uuid4(),
        starts_at=datetime(2026, 3, 10, 9, tzinfo=UTC),
        duration_minutes=60,
        price=Money(4000, "USD"),
        policy=CancellationPolicy(),
        buffer_minutes=0,
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_the_tutors_own_room_is_used_as_it_is() -> None:
    rooms = VideoRooms("https://meet.example.com/base/")

    assert rooms.room_for(a_booking(), "https://zoom.example.com/j/42") == (
        "https://zoom.example.com/j/42"
    )


def test_a_generated_room_has_a_random_name_unrelated_to_the_booking() -> None:
    rooms = VideoRooms("https://meet.example.com/base/")
    bookings = [a_booking() for _ in range(200)]

    made = [rooms.room_for(booking, None) for booking in bookings]

    assert len(set(made)) == len(made)
    for room, booking in zip(made, bookings, strict=True):
        name = re.fullmatch(r"https://meet\.example\.com/base/lesson-([0-9a-f]{32})", room)
        assert name, room
        assert name.group(1) != booking.id.hex
        assert booking.id.hex[:8] not in name.group(1)
