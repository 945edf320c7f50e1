"""Tutoring's background work and money, on the real databases.

The app is served on the test's loop (httpx.ASGITransport, without the background worker and
relay) on a movable clock; the periodic jobs are called on the container as the scheduler would
call them, and the outbox is read directly. Reminders go out once per lead and start, to both
sides; holds run out; lessons complete on their own; every way a lesson ends moves the money as
promised, the books balancing at every step; the calendar feed follows the lessons; testimonials
written at once keep the tutor's rating exact.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from sqlalchemy import select
from tests.conftest import make_settings
from tests.integration.http.tutoring.helpers import spoken
from tests.support.apps import app_for
from tests.support.billing import balance_of, books_balance, pay_by_sandbox_card, sandbox_button
from tests.support.catalog import approve_tutors
from tests.support.identity import bearer, login, mails_to, seed_accounts, text_of

from elearn.adapters.persistence.models.identity import TutorProfileRow
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow, OutboxMessageRow
from elearn.adapters.persistence.models.tutoring import BookingReminderRow
from elearn.domain.identity.roles import Role
from elearn.domain.tutoring.booking import BookingReminderDue
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RATE = 2500  # 25.00 an hour
REMINDER_DUE = "tutoring.booking_reminder_due"
DAY_LEAD, HOUR_LEAD = 24 * 60, 60


# ---- the app on a movable clock ---------------------------------------------------------------
class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def next_quarter_hour(instant: datetime) -> datetime:
    """Lessons start on quarter hours; the scenarios count from one."""
    quarter = 15 * 60
    return datetime.fromtimestamp(-(-int(instant.timestamp()) // quarter) * quarter, tz=UTC)


@dataclass
class Desk:
    """The app served on the test's loop, its container and clock, and the people signed in
    (tutor@, student@, admin@ at tut.test)."""

    settings: Settings
    container: Container
    clock: MovableClock
    client: httpx.AsyncClient
    ids: dict[str, str] = field(default_factory=dict)
    signed_in: dict[str, tuple[dict[str, str], datetime]] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return self.clock.current

    def move_to(self, instant: datetime) -> None:
        assert instant >= self.clock.current, "time only moves forward here"
        self.clock.current = instant

    async def headers(self, name: str) -> dict[str, str]:
        # Access tokens last a day (see `tut_settings`); sign in again once the clock has
        # moved most of that.
        found = self.signed_in.get(name)
        if found is None or self.now - found[1] >= timedelta(hours=20):
            found = (bearer(await login(self.client, f"{name}@tut.test")), self.now)
            self.signed_in[name] = found
        return found[0]

    async def call(
        self, method: str, url: str, who: str | None = None, *, status: int = 200, **kwargs: Any
    ) -> httpx.Response:
        headers = await self.headers(who) if who else {}
        response = await self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == status, f"{method} {url}: {response.text}"
        return response

    async def ok(self, method: str, url: str, who: str | None = None, **kwargs: Any) -> Any:
        return (await self.call(method, url, who, **kwargs)).json()

    async def book(
        self, starts_at: datetime, *, minutes: int = 60, pay: str | None = "credits"
    ) -> dict[str, Any]:
        """The student holds a lesson with the tutor and pays it (credits, or the sandbox card)."""
        body = {
            "tutor_id": self.ids["tutor"],
            "starts_at": starts_at.isoformat(),
            "duration_minutes": minutes,
        }
        booking: dict[str, Any] = (
            await self.call("POST", "/api/v1/bookings", "student", status=201, json=body)
        ).json()
        if pay is None:
            return booking
        paid = await self.ok(
            "POST", f"/api/v1/bookings/{booking['id']}/pay", "student", json={"method": pay}
        )
        if pay == "card":
            await self.call("POST", sandbox_button(paid))
        booking = await self.booking(booking["id"])
        assert booking["status"] == "confirmed", booking
        return booking

    async def booking(self, booking_id: str) -> Any:
        return await self.ok("GET", f"/api/v1/bookings/{booking_id}", "student")

    async def books(self) -> dict[str, Any]:
        """The trial balance, checked to balance."""
        return await books_balance(self.client, await self.headers("admin"))

    async def top_up(self, amount: int) -> None:
        order = await pay_by_sandbox_card(
            self.client, await self.headers("student"), {"kind": "wallet_topup", "amount": amount}
        )
        assert order["status"] == "succeeded", order


def tut_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    return make_settings(tmp_path, database_url, jwt_access_ttl_seconds=86_400, **overrides)


@contextlib.asynccontextmanager
async def served(settings: Settings, clock: MovableClock) -> AsyncIterator[Desk]:
    container = bootstrap(settings, overrides={"clock": clock})
    app = app_for(settings, container=container, run_background=False)
    try:
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as client,
        ):
            yield Desk(settings, container, clock, client)
    finally:
        await container.dispose()


@contextlib.asynccontextmanager
async def tutoring_desk(settings: Settings) -> AsyncIterator[Desk]:
    """A tutor at 25.00 an hour in UTC, open every hour of every day for 45- and 60-minute
    lessons with no notice and no buffer, a student and an admin; the clock on a quarter hour."""
    await seed_accounts(
        settings,
        ("tutor@tut.test", Role.TUTOR),
        ("student@tut.test", Role.STUDENT),
        ("admin@tut.test", Role.ADMIN),
    )
    await approve_tutors(settings, "tutor@tut.test")
    clock = MovableClock(next_quarter_hour(datetime.now(UTC)))
    async with served(settings, clock) as desk:
        profile = {
            "hourly_rate": {"amount": RATE, "currency": "USD"},
            "subjects": ["Maths"],
            "time_zone": "UTC",
        }
        await desk.call("PATCH", "/api/v1/me", "tutor", json={"tutor": profile})
        hours = {
            "time_zone": "UTC",
            "windows": [{"weekday": day, "start": "00:00", "end": "24:00"} for day in range(7)],
            "durations": [45, 60],
            "buffer_minutes": 0,
            "minimum_notice_minutes": 0,
        }
        await desk.call("PUT", "/api/v1/me/availability", "tutor", json=hours)
        for name in ("tutor", "student", "admin"):
            desk.ids[name] = (await desk.ok("GET", "/api/v1/me", name))["id"]
        yield desk


# ---- reading the outbox -----------------------------------------------------------------------
async def reminder_events(container: Container) -> dict[UUID, BookingReminderDue]:
    """The reminder events in the outbox, by message id."""
    async with container.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessageRow).where(OutboxMessageRow.event_type == REMINDER_DUE)
            )
        ).all()
    events = {row.id: container.codec.decode(row.event_type, row.payload) for row in rows}
    assert all(isinstance(event, BookingReminderDue) for event in events.values())
    return events  # type: ignore[return-value]


async def reminders_published(container: Container) -> Counter[tuple[str, int]]:
    """How many reminder events the outbox holds, by (booking, lead in minutes)."""
    events = (await reminder_events(container)).values()
    return Counter((str(event.booking_id), event.lead_minutes) for event in events)


async def deliver_reminder(container: Container, booking_id: str, lead: int) -> None:
    """Runs the handlers of one reminder's deliveries, as the worker would."""
    [message_id] = [
        message_id
        for message_id, event in (await reminder_events(container)).items()
        if (str(event.booking_id), event.lead_minutes) == (booking_id, lead)
    ]
    async with container.sessions() as session:
        delivery_ids = (
            await session.scalars(
                select(OutboxDeliveryRow.id).where(OutboxDeliveryRow.message_id == message_id)
            )
        ).all()
    assert delivery_ids
    for delivery_id in delivery_ids:
        await container.deliveries().deliver(delivery_id)


async def reminded_starts(container: Container, booking_id: str) -> list[tuple[int, datetime]]:
    async with container.sessions() as session:
        rows = (
            await session.scalars(
                select(BookingReminderRow).where(BookingReminderRow.booking_id == UUID(booking_id))
            )
        ).all()
    return sorted((row.lead_minutes, _utc(row.starts_at)) for row in rows)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# ---- the calendar feed ------------------------------------------------------------------------
def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def calendar_events(desk: Desk, feed_url: str) -> dict[str, Any]:
    """The feed's events by booking id (parsed with icalendar; the UID names the booking)."""
    response = await desk.client.get(_path_of(feed_url))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events: dict[str, Any] = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["uid"])
        assert uid.startswith("booking-") and "@" in uid, uid
        booking_id = uid.removeprefix("booking-").split("@")[0]
        assert booking_id not in events, f"two events for {booking_id}"
        events[booking_id] = event
    return events


def event_summary(event: Any) -> tuple[str, int, datetime, str | None]:
    location = event.get("location")
    return (
        str(event["status"]),
        int(event["sequence"]),
        _utc(event.decoded("dtstart")),
        str(location) if location is not None else None,
    )


# ---- 1. reminders, and the calendar feed along the way ----------------------------------------
async def test_reminders_go_out_once_per_lead_and_start_and_the_feed_follows(
    tmp_path: Path, database_url: str
) -> None:
    # A 12-hour cutoff, so a lesson can still be moved after its 24-hour reminder went out.
    settings = tut_settings(tmp_path, database_url, cancellation_cutoff_hours=12)
    on_postgres = database_url.startswith("postgresql")
    async with tutoring_desk(settings) as desk:
        container, t0 = desk.container, desk.now
        jobs = container.tutoring
        await desk.top_up(50_000)
        first = await desk.book(t0 + 3 * DAY)
        moved = await desk.book(t0 + 3 * DAY + 3 * HOUR, pay="card")
        cancelled = await desk.book(t0 + 3 * DAY + 6 * HOUR)
        unpaid = await desk.book(t0 + 3 * DAY + 9 * HOUR, pay=None)
        await desk.call("POST", f"/api/v1/bookings/{cancelled['id']}/cancel", "student", json={})
        assert await jobs.send_due_reminders() == 0  # nothing starts within a day
        sent: Counter[tuple[str, int]] = Counter()

        # The feed: one event per confirmed or cancelled lesson (not the unpaid hold), without
        # the meeting link days ahead (shown from 15 minutes before); confirming made SEQUENCE
        # 1, cancelling 2.
        room = (await container.tutoring.deps.queries.booking(UUID(first["id"]))).meeting_url
        assert room and first["meeting_url"] is None
        link = await desk.ok("POST", "/api/v1/me/calendar-token", "student", status=201)
        events = await calendar_events(desk, link["url"])
        assert set(events) == {first["id"], moved["id"], cancelled["id"]}
        assert unpaid["id"] not in events
        assert event_summary(events[first["id"]]) == ("CONFIRMED", 1, t0 + 3 * DAY, None)
        assert room not in str(events[first["id"]]["description"])
        assert event_summary(events[cancelled["id"]])[:2] == ("CANCELLED", 2)
        tutor_link = await desk.ok("POST", "/api/v1/me/calendar-token", "tutor", status=201)
        assert set(await calendar_events(desk, tutor_link["url"])) == set(events)

        # A lesson booked inside the 1-hour lead gets no reminder: both moments had passed
        # when it was booked (its confirmation is the reminder).
        desk.move_to(t0 + DAY)
        soon = await desk.book(t0 + DAY + 30 * timedelta(minutes=1))
        assert await jobs.send_due_reminders() == 0
        assert await reminders_published(container) == sent
        assert await reminded_starts(container, soon["id"]) == [
            (HOUR_LEAD, t0 + DAY + 30 * timedelta(minutes=1)),  # marked, never sent
            (DAY_LEAD, t0 + DAY + 30 * timedelta(minutes=1)),
        ]

        # 23 hours before the first lesson: its 24-hour reminder, once, even with two
        # schedulers (two containers, as two processes) running the job at the same moment.
        desk.move_to(t0 + 2 * DAY + HOUR)
        if on_postgres:
            other = bootstrap(settings, overrides={"clock": desk.clock})
            try:
                counts = await asyncio.gather(
                    jobs.send_due_reminders(), other.tutoring.send_due_reminders()
                )
            finally:
                await other.dispose()
            assert sorted(counts) == [0, 1]
        else:
            assert await jobs.send_due_reminders() == 1
        sent[(first["id"], DAY_LEAD)] += 1
        assert await jobs.send_due_reminders() == 0
        assert await reminders_published(container) == sent

        # Both sides get the email, saying when (the room is shown 15 minutes before).
        await deliver_reminder(container, first["id"], DAY_LEAD)
        for name in ("student", "tutor"):
            [mail] = await mails_to(settings, f"{name}@tut.test", timeout=5)
            assert mail["Subject"].startswith("Reminder: your lesson with "), mail["Subject"]
            assert " starts tomorrow, " in mail["Subject"], mail["Subject"]
            assert room not in mail.as_string()

        # 23 hours before the second lesson: its 24-hour reminder; then the student moves it
        # two days on (the cutoff is 12 hours), which is a change the feed shows.
        desk.move_to(t0 + 2 * DAY + 4 * HOUR)
        assert await jobs.send_due_reminders() == 1
        sent[(moved["id"], DAY_LEAD)] += 1
        new_start = t0 + 5 * DAY
        await desk.call(
            "POST",
            f"/api/v1/bookings/{moved['id']}/reschedule",
            "student",
            json={"starts_at": new_start.isoformat()},
        )
        assert await jobs.send_due_reminders() == 0
        events = await calendar_events(desk, link["url"])
        assert event_summary(events[moved["id"]])[:3] == ("CONFIRMED", 2, new_start)

        # 59 minutes before the first lesson: its 1-hour reminder, once. The old time of the
        # moved lesson passes without one.
        desk.move_to(t0 + 3 * DAY - 59 * timedelta(minutes=1))
        assert await jobs.send_due_reminders() == 1
        sent[(first["id"], HOUR_LEAD)] += 1
        assert await jobs.send_due_reminders() == 0
        await deliver_reminder(container, first["id"], HOUR_LEAD)
        for name in ("student", "tutor"):
            mails = await mails_to(settings, f"{name}@tut.test", count=2, timeout=5)
            when = spoken(t0 + 3 * DAY, ZoneInfo("UTC"))  # both keep their clocks on UTC
            assert sorted(
                m["Subject"].replace("\n", "").partition(" starts ")[2] for m in mails
            ) == [
                f"in 1 hour, {when}",
                f"tomorrow, {when}",
            ]
        desk.move_to(t0 + 3 * DAY + 2 * HOUR + timedelta(minutes=1))
        assert await jobs.send_due_reminders() == 0

        # The moved lesson is reminded again for its new time, 24 hours and 1 hour before.
        desk.move_to(new_start - 23 * HOUR)
        assert await jobs.send_due_reminders() == 1
        sent[(moved["id"], DAY_LEAD)] += 1
        desk.move_to(new_start - 59 * timedelta(minutes=1))
        assert await jobs.send_due_reminders() == 1
        sent[(moved["id"], HOUR_LEAD)] += 1
        assert await jobs.send_due_reminders() == 0
        assert await reminders_published(container) == sent
        assert await reminded_starts(container, moved["id"]) == [
            (HOUR_LEAD, new_start),
            (DAY_LEAD, t0 + 3 * DAY + 3 * HOUR),
            (DAY_LEAD, new_start),
        ]
        # The cancelled lesson and the unpaid hold were never reminded.
        assert not [key for key in sent if key[0] in (cancelled["id"], unpaid["id"])]

        # A new feed link revokes the old one; revoking ends the feed.
        fresh = await desk.ok("POST", "/api/v1/me/calendar-token", "student", status=201)
        assert fresh["url"] != link["url"]
        assert (await desk.client.get(_path_of(link["url"]))).status_code == 404
        events = await calendar_events(desk, fresh["url"])
        assert set(events) == {first["id"], moved["id"], cancelled["id"], soon["id"]}
        await desk.call("DELETE", "/api/v1/me/calendar-token", "student", status=204)
        assert (await desk.client.get(_path_of(fresh["url"]))).status_code == 404
        # The tutor's own link is untouched by the student's.
        assert (await desk.client.get(_path_of(tutor_link["url"]))).status_code == 200


async def test_a_lesson_booked_two_hours_ahead_gets_only_the_hour_reminder(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with tutoring_desk(tut_settings(tmp_path, sqlite_url)) as desk:
        await desk.top_up(5000)
        lesson = await desk.book(desk.now + 2 * HOUR)
        first_run = await desk.container.tutoring.send_due_reminders()
        desk.move_to(desk.now + HOUR + timedelta(minutes=1))
        second_run = await desk.container.tutoring.send_due_reminders()
        assert (first_run, second_run) == (0, 1)
        assert await reminders_published(desk.container) == {(lesson["id"], HOUR_LEAD): 1}


LINK_LEAD = 15  # the meeting link is shown from 15 minutes before (the default)


async def test_the_reminder_sent_when_the_meeting_link_opens_carries_it(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Reminders a day and an hour ahead cannot carry the room (it is shown only from 15
    minutes before); one more reminder goes out at that moment, with the link in it."""
    settings = tut_settings(tmp_path, sqlite_url)
    async with tutoring_desk(settings) as desk:
        await desk.top_up(5000)
        start = desk.now + 3 * DAY
        lesson = await desk.book(start)
        room = (await desk.container.tutoring.deps.queries.booking(UUID(lesson["id"]))).meeting_url
        assert room
        jobs = desk.container.tutoring

        desk.move_to(start - 59 * timedelta(minutes=1))
        assert await jobs.send_due_reminders() == 1
        await deliver_reminder(desk.container, lesson["id"], HOUR_LEAD)
        desk.move_to(start - timedelta(minutes=LINK_LEAD + 1))
        assert await jobs.send_due_reminders() == 0

        desk.move_to(start - timedelta(minutes=LINK_LEAD))
        assert await jobs.send_due_reminders() == 1
        assert await jobs.send_due_reminders() == 0
        assert await reminders_published(desk.container) == {
            (lesson["id"], HOUR_LEAD): 1,
            (lesson["id"], LINK_LEAD): 1,
        }
        await deliver_reminder(desk.container, lesson["id"], LINK_LEAD)
        for name in ("student", "tutor"):
            mails = await mails_to(settings, f"{name}@tut.test", count=2, timeout=5)
            subjects = {m["Subject"].replace("\n", ""): m for m in mails}
            [hour] = [m for subject, m in subjects.items() if " starts in 1 hour, " in subject]
            [join] = [m for subject, m in subjects.items() if " starts in 15 minutes, " in subject]
            assert room not in hour.as_string()
            assert "one more reminder, 15 minutes before the start" in text_of(hour)
            assert "one more reminder" not in text_of(join)
            assert f"Join the lesson: {room}" in text_of(join)


async def test_a_reminder_delivered_after_a_cancellation_sends_nothing(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = tut_settings(tmp_path, sqlite_url)
    async with tutoring_desk(settings) as desk:
        await desk.top_up(5000)
        lesson = await desk.book(desk.now + 3 * DAY)
        desk.move_to(desk.now + 2 * DAY + HOUR)
        assert await desk.container.tutoring.send_due_reminders() == 1
        # The worker is behind: the tutor cancels before the reminder is delivered.
        await desk.call("POST", f"/api/v1/bookings/{lesson['id']}/cancel", "tutor", json={})
        await deliver_reminder(desk.container, lesson["id"], DAY_LEAD)
        for name in ("student", "tutor"):
            mails = await mails_to(settings, f"{name}@tut.test", count=0)
            assert [m["Subject"] for m in mails if m["Subject"].startswith("Reminder")] == []


# ---- 2. holds run out, lessons complete on their own, testimonials at once --------------------
async def test_holds_expire_and_lessons_complete_on_their_own(
    tmp_path: Path, database_url: str
) -> None:
    settings = tut_settings(tmp_path, database_url)
    async with tutoring_desk(settings) as desk:
        container, t0, jobs = desk.container, desk.now, desk.container.tutoring
        tutor_id = desk.ids["tutor"]
        held_start = t0 + DAY

        async def offered() -> bool:
            slots = await desk.ok(
                "GET",
                f"/api/v1/tutors/{tutor_id}/slots",
                params={
                    "from": held_start.isoformat(),
                    "to": (held_start + HOUR).isoformat(),
                    "duration": 60,
                },
            )
            return held_start in {datetime.fromisoformat(start) for start in slots["starts"]}

        # A hold keeps its slot for 15 minutes, to the second.
        assert await offered()
        held = await desk.book(held_start, pay=None)
        assert held["status"] == "held" and not await offered()
        desk.move_to(t0 + timedelta(minutes=15) - timedelta(seconds=1))
        assert await jobs.release_expired_holds() == 0
        assert (await desk.booking(held["id"]))["status"] == "held"
        desk.move_to(t0 + timedelta(minutes=15))
        assert await jobs.release_expired_holds() == 1
        assert await jobs.release_expired_holds() == 0
        assert (await desk.booking(held["id"]))["status"] == "expired"
        assert await offered()

        # Five lessons two hours apart, and one the student cancels in time.
        await desk.top_up(20_000)
        lessons = [await desk.book(t0 + 2 * DAY + i * 2 * HOUR) for i in range(5)]
        dropped = await desk.book(t0 + 2 * DAY + 12 * HOUR)
        await desk.call("POST", f"/api/v1/bookings/{dropped['id']}/cancel", "student", json={})
        share = RATE - RATE * 15 // 100  # 2125 of each lesson is the tutor's
        trial = await desk.books()
        assert balance_of(trial, "tutor_pending", tutor_id) == 5 * share

        # 24 hours after the first lesson's end it is completed (not a second earlier), and
        # its share becomes available; the setting decides the wait.
        first_end = t0 + 2 * DAY + HOUR
        desk.move_to(first_end + 24 * HOUR - timedelta(seconds=1))
        assert await jobs.complete_finished_lessons() == 0
        desk.move_to(first_end + 24 * HOUR)
        patient = bootstrap(
            tut_settings(tmp_path, database_url, lesson_auto_complete_hours=48),
            overrides={"clock": desk.clock},
        )
        try:
            assert await patient.tutoring.complete_finished_lessons() == 0
        finally:
            await patient.dispose()
        assert await jobs.complete_finished_lessons() == 1
        assert (await desk.booking(lessons[0]["id"]))["status"] == "completed"
        assert (await desk.booking(lessons[1]["id"]))["status"] == "confirmed"
        trial = await desk.books()
        assert balance_of(trial, "tutor_pending", tutor_id) == 4 * share
        assert balance_of(trial, "tutor_available", tutor_id) == share

        # A day after the last: the other four; the cancelled one is left alone, and running
        # the job again changes nothing.
        desk.move_to(first_end + 8 * HOUR + 24 * HOUR)
        assert await jobs.complete_finished_lessons() == 4
        before = await desk.books()
        assert await jobs.complete_finished_lessons() == 0
        assert await desk.books() == before
        assert balance_of(before, "tutor_pending", tutor_id) == 0
        assert balance_of(before, "tutor_available", tutor_id) == 5 * share
        statuses = [(await desk.booking(b["id"]))["status"] for b in [*lessons, dropped]]
        assert statuses == ["completed"] * 5 + ["cancelled_by_student"]

        # Testimonials for the five lessons written at the same moment: the tutor's rating
        # count and average are exactly those of the five ratings.
        ratings = [5, 4, 4, 2, 1]
        student = await desk.headers("student")
        responses = await asyncio.gather(
            *(
                desk.client.post(
                    f"/api/v1/bookings/{lesson['id']}/testimonial",
                    json={"rating": rating, "text": f"rated {rating}"},
                    headers=student,
                )
                for lesson, rating in zip(lessons, ratings, strict=True)
            )
        )
        assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
        async with container.sessions() as session:
            profile = await session.get(TutorProfileRow, UUID(tutor_id))
            assert profile is not None
            assert profile.rating_count == len(ratings)
            assert profile.rating_average == pytest.approx(sum(ratings) / len(ratings))
        page = await desk.ok("GET", f"/api/v1/tutors/{tutor_id}/testimonials")
        assert sorted(item["rating"] for item in page["items"]) == sorted(ratings)


# ---- 3. money through the ledger --------------------------------------------------------------
@dataclass
class Balances:
    """What the student's wallet and the tutor's accounts should hold, in cents."""

    wallet: int = 0
    pending: int = 0
    available: int = 0


async def test_every_ending_moves_the_money_as_promised(tmp_path: Path, database_url: str) -> None:
    settings = tut_settings(tmp_path, database_url)
    async with tutoring_desk(settings) as desk:
        t0 = desk.now
        tutor_id, student_id = desk.ids["tutor"], desk.ids["student"]
        expected = Balances()

        async def books_say(expected: Balances) -> dict[str, Any]:
            trial = await desk.books()
            actual = Balances(
                wallet=balance_of(trial, "student_wallet", student_id),
                pending=balance_of(trial, "tutor_pending", tutor_id),
                available=balance_of(trial, "tutor_available", tutor_id),
            )
            assert actual == expected
            return trial

        async def order_of(booking: dict[str, Any]) -> Any:
            """The booking's order as its buyer sees it, amounts in minor units of USD."""
            order = await desk.ok("GET", f"/api/v1/me/orders/{booking['order_id']}", "student")
            assert order["booking_id"] == booking["id"], order
            for name in ("amount", "refunded"):
                assert order[name]["currency"] == "USD", order
                order[name] = order[name]["amount"]
            return order

        await desk.top_up(20_000)
        expected.wallet = 20_000
        await books_say(expected)

        # 45 minutes at 25.00 an hour is 18.75; the tutor's 85% waits in pending.
        price, share = 1875, 1875 - 1875 * 1500 // 10_000  # 1594 (the platform rounds down)
        starts = [t0 + 3 * DAY + i * 2 * HOUR for i in range(7)]
        methods = ["credits", "credits", "card", "credits", "card", "credits", "credits"]
        cancel_in_time, cancel_late, tutor_cancels, tutor_absent, student_absent, given, old = [
            await desk.book(start, minutes=45, pay=method)
            for start, method in zip(starts, methods, strict=True)
        ]
        assert cancel_in_time["price"] == {"amount": price, "currency": "USD"}
        order = await order_of(cancel_in_time)
        assert (order["amount"], order["status"]) == (price, "succeeded")
        staff = await desk.ok("GET", "/api/v1/admin/orders", "admin", params={"limit": 100})
        (seen_by_staff,) = [o for o in staff["items"] if o["id"] == order["id"]]
        assert (seen_by_staff["tutor_share"], seen_by_staff["booking_id"]) == (
            {"amount": share, "currency": "USD"},
            cancel_in_time["id"],
        )
        expected.wallet -= 5 * price
        expected.pending += 7 * share
        await books_say(expected)

        # The student cancels exactly at the cutoff (24 h before, to the second): all back.
        desk.move_to(starts[0] - 24 * HOUR)
        view = await desk.ok(
            "POST", f"/api/v1/bookings/{cancel_in_time['id']}/cancel", "student", json={}
        )
        assert view["status"] == "cancelled_by_student"
        assert (await order_of(cancel_in_time))["refunded"] == price
        expected.wallet += price
        expected.pending -= share
        await books_say(expected)

        # One second after the cutoff: nothing back; the tutor's share becomes available.
        desk.move_to(starts[1] - 24 * HOUR + timedelta(seconds=1))
        await desk.call("POST", f"/api/v1/bookings/{cancel_late['id']}/cancel", "student", json={})
        assert (await order_of(cancel_late))["refunded"] == 0
        expected.pending -= share
        expected.available += share
        await books_say(expected)

        # The tutor cancels a lesson paid by card: refunded in full through the gateway.
        desk.move_to(starts[2] - 20 * HOUR)
        view = await desk.ok(
            "POST", f"/api/v1/bookings/{tutor_cancels['id']}/cancel", "tutor", json={}
        )
        assert view["status"] == "cancelled_by_tutor"
        order = await order_of(tutor_cancels)
        assert (order["status"], order["refunded"]) == ("refunded", price)
        expected.pending -= share
        trial = await books_say(expected)
        assert balance_of(trial, "provider_clearing", None) == -(20_000 + price)

        # A new refund policy (half back after the cutoff) in a second process on the same
        # database: the lesson booked before keeps its promise (nothing back late), a lesson
        # booked now gets the new one.
        changed = tut_settings(tmp_path, database_url, refund_percent_after_cutoff=50)
        async with served(changed, desk.clock) as later:
            desk.move_to(starts[6] - 22 * HOUR)
            view = await later.ok(
                "POST", f"/api/v1/bookings/{old['id']}/cancel", "student", json={}
            )
            assert (view["status"], view["refund_percent_after_cutoff"]) == (
                "cancelled_by_student",
                0,
            )
            assert (await order_of(old))["refunded"] == 0
            expected.pending -= share
            expected.available += share
            await books_say(expected)
            later.ids.update(desk.ids)
            new = await later.book(starts[6] + HOUR, minutes=45)  # 23 h ahead: late
            assert new["refund_percent_after_cutoff"] == 50
            await later.call("POST", f"/api/v1/bookings/{new['id']}/cancel", "student", json={})
            half = price * 50 // 100  # 937
            assert (await order_of(new))["refunded"] == half
            # The tutor keeps the share of what was not refunded: 1594 - (937 - 140) = 797.
            expected.wallet -= price - half
            expected.available += share - (half - half * 1500 // 10_000)
            await books_say(expected)

        # The tutor does not come: all back to the wallet.
        desk.move_to(starts[3] + timedelta(minutes=10))
        view = await desk.ok(
            "POST",
            f"/api/v1/bookings/{tutor_absent['id']}/no-show",
            "student",
            json={"who": "tutor"},
        )
        assert view["status"] == "no_show_tutor"
        expected.wallet += price
        expected.pending -= share
        await books_say(expected)

        # The student does not come (paid by card): the tutor is paid, nothing goes back.
        desk.move_to(starts[4] + timedelta(minutes=10))
        view = await desk.ok(
            "POST",
            f"/api/v1/bookings/{student_absent['id']}/no-show",
            "tutor",
            json={"who": "student"},
        )
        assert view["status"] == "no_show_student"
        order = await order_of(student_absent)
        assert (order["status"], order["refunded"]) == ("succeeded", 0)
        expected.pending -= share
        expected.available += share
        await books_say(expected)

        # The tutor marks a lesson given: the share becomes available.
        desk.move_to(starts[5] + 45 * timedelta(minutes=1))
        view = await desk.ok("POST", f"/api/v1/bookings/{given['id']}/complete", "tutor")
        assert view["status"] == "completed"
        expected.pending -= share
        expected.available += share
        trial = await books_say(expected)
        assert expected.pending == 0
        assert expected.available == 4 * share + 797
        # Nothing is left for the jobs to move.
        assert await desk.container.tutoring.complete_finished_lessons() == 0
        assert await desk.books() == trial
