"""A tutor's meeting room over HTTP, on SQLite and PostgreSQL (issue 15, finding 2: the public
tutor page showed `profile.meeting_url` to anyone). No public or list view names it; a booking
shows it to its two people from 15 minutes before the lesson, and no email sent days ahead
carries it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    BOOKINGS,
    TUTORS,
    at,
    book,
    mail_with,
    make_tutor,
    pay_by_card,
    served,
    tutoring_settings,
    user_id,
    weekly,
)
from tests.support.catalog import headers_of, seed_people

from elearn.entrypoints.settings import Settings

ROOM = "https://meet.example.com/tutors-own-room"


async def test_no_public_view_names_the_tutors_room(settings: Settings) -> None:
    settings = tutoring_settings(settings)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, _container):
        tutor, student = await headers_of(client, "tutor"), await headers_of(client, "student")
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor, meeting_url=ROOM, windows=weekly("09:00", "17:00"))

        for headers in ({}, student):
            page = await client.get(f"{TUTORS}/{tutor_id}", headers=headers)
            assert page.status_code == 200, page.text
            assert page.json()["id"] == tutor_id
            assert "meeting_url" not in page.text and ROOM not in page.text
            listed = await client.get(TUTORS, headers=headers)
            assert listed.status_code == 200 and tutor_id in listed.text
            assert ROOM not in listed.text

        # The tutor still reads and changes their own room on their account.
        mine = await client.get("/api/v1/me", headers=tutor)
        assert mine.json()["tutor_profile"]["meeting_url"] == ROOM


async def test_a_booking_shows_the_room_to_its_people_only_near_its_time(
    settings: Settings,
) -> None:
    settings = tutoring_settings(settings)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock) as (client, _container):
        tutor, student = await headers_of(client, "tutor"), await headers_of(client, "student")
        tutor_id = await user_id(client, tutor)
        await make_tutor(
            client, tutor, meeting_url=ROOM, windows=weekly("09:00", "17:00", range(7))
        )
        starts_at = at((clock.now() + timedelta(days=3)).date(), "10:00")
        lesson = await pay_by_card(
            client, student, (await book(client, student, tutor_id, starts_at))["id"]
        )
        assert lesson["status"] == "confirmed" and lesson["meeting_url"] is None

        async def seen(name: str) -> str | None:
            # Signed in again: the clock moved past the first tokens.
            headers = await headers_of(client, name)
            answer = await client.get(f"{BOOKINGS}/{lesson['id']}", headers=headers)
            assert answer.status_code == 200, answer.text
            return answer.json()["meeting_url"]  # type: ignore[no-any-return]

        clock.set(starts_at - timedelta(minutes=15, seconds=1))
        assert await seen("student") is None
        clock.set(starts_at - timedelta(minutes=15))
        for name, shown in (("student", ROOM), ("tutor", ROOM), ("admin", None)):
            assert await seen(name) == shown, name

        # The confirmation went out days ahead: without the room.
        for address in ("student@catalog.test", "tutor@catalog.test"):
            assert ROOM not in (await mail_with(settings, address, "confirmed", "")).as_string()
