"""The tutoring journey over HTTP, on SQLite and PostgreSQL, with the in-process worker sending
mail and a clock the test moves: a tutor in Berlin sets weekly hours; a student in New York
finds them by subject and free time, books, pays by card, gets the meeting link by email and in
the calendar feed, moves the lesson and cancels it in time for a full refund; then lessons paid
with credits and by card end every way they can (completed and rated, cancelled late by the
student, cancelled by the tutor, a no-show of either side), and the books balance at every
step."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    BERLIN,
    BOOKINGS,
    NEW_YORK,
    RATE,
    TUTORS,
    at,
    book,
    book_and_pay,
    calendar_events,
    calendar_url,
    earnings,
    free_slots,
    iso,
    mail_with,
    make_tutor,
    my_bookings,
    next_weekday,
    order_of,
    parse_time,
    pay_by_card,
    served,
    spoken,
    text_of,
    top_up,
    tutoring_settings,
    user_id,
    wallet,
    weekly,
)
from tests.support.billing import balance_of, books_balance
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem

from elearn.entrypoints.settings import Settings

TUTOR_ROOM = "https://meet.example.com/tutor-room"
BUFFER = 15
HOUR_PRICE, HOUR_SHARE, HOUR_FEE = RATE, 3400, 600  # 15% platform fee
HALF_PRICE, HALF_SHARE, HALF_FEE = RATE // 2, 1700, 300
HOUR = timedelta(hours=1)
STUDENT_MAIL, TUTOR_MAIL = "student@catalog.test", "tutor@catalog.test"
FRONT_END = "https://app.elearn.test"


class Party:
    """Everyone's headers, signed in again after the clock moved past their tokens."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.tutor: dict[str, str] = {}
        self.student: dict[str, str] = {}
        self.admin: dict[str, str] = {}

    async def sign_in(self) -> None:
        for name in ("tutor", "student", "admin"):
            setattr(self, name, await headers_of(self.client, name))


async def test_a_student_in_new_york_books_a_tutor_in_berlin(settings: Settings) -> None:
    settings = tutoring_settings(settings, frontend_url=FRONT_END)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock) as (client, _container):
        people = Party(client)
        await people.sign_in()
        tutor_id = await user_id(client, people.tutor)
        student_id = await user_id(client, people.student)
        monday = next_weekday(clock.now(), 0, days_ahead=4, zone=BERLIN)
        await _find_book_move_and_cancel(client, settings, people, tutor_id, monday)
        await _every_other_ending(client, clock, people, tutor_id, student_id, monday)


async def _find_book_move_and_cancel(
    client: Any, settings: Settings, people: Party, tutor_id: str, monday: date
) -> None:
    tutor, student, admin = people.tutor, people.student, people.admin
    await make_tutor(
        client,
        tutor,
        meeting_url=TUTOR_ROOM,
        windows=weekly("09:00", "13:00"),
        durations=(30, 60),
        buffer_minutes=BUFFER,
    )
    response = await client.patch(
        "/api/v1/me", json={"student": {"time_zone": "America/New_York"}}, headers=student
    )
    assert response.status_code == 200, response.text
    assert response.json()["student_profile"]["time_zone"] == "America/New_York"

    # The student looks for Monday early morning, New York time (the tutor's late morning),
    # asking with New York offsets; the evening there is night in Berlin: nobody is free.
    morning = (at(monday, "03:00", NEW_YORK), at(monday, "06:00", NEW_YORK))
    evening = (at(monday, "13:00", NEW_YORK), at(monday, "17:00", NEW_YORK))

    async def found(subject: str, span: tuple[datetime, datetime]) -> list[str]:
        response = await client.get(
            TUTORS,
            params={
                "subject": subject,
                "available_from": span[0].astimezone(NEW_YORK).isoformat(),
                "available_to": span[1].astimezone(NEW_YORK).isoformat(),
            },
        )
        assert response.status_code == 200, response.text
        return [card["id"] for card in response.json()["items"]]

    assert await found("physics", morning) == [tutor_id]
    assert await found("physics", evening) == []
    assert await found("chemistry", morning) == []
    response = await client.get(TUTORS, params={"subject": "MATHS"})
    (card,) = response.json()["items"]
    # The tutor's own page has every field of the card, under the same names and values; the
    # meeting room is for the tutor's students only.
    page = await client.get(f"{TUTORS}/{tutor_id}")
    assert page.status_code == 200, page.text
    assert {name: page.json()[name] for name in card} == card
    assert "full_name" in card and "meeting_url" not in page.json()
    assert (card["id"], card["time_zone"], card["hourly_rate_amount"]) == (
        tutor_id,
        "Europe/Berlin",
        RATE,
    )

    # The free starts are the quarter hours where the tutor's window and the asked range meet.
    response = await client.get(
        f"{TUTORS}/{tutor_id}/slots",
        params={"from": iso(morning[0]), "to": iso(morning[1]), "duration": 60},
    )
    assert response.status_code == 200, response.text
    assert response.json()["time_zone"] == "Europe/Berlin"
    first = max(at(monday, "09:00"), morning[0])
    last_end = min(at(monday, "13:00"), morning[1])
    expected = [first + timedelta(minutes=15 * n) for n in range(24)]
    expected = [start for start in expected if start + timedelta(hours=1) <= last_end]
    assert [parse_time(s) for s in response.json()["starts"]] == expected
    nine = at(monday, "09:00")
    assert expected[0] == nine

    # Hold nine o'clock: the price is the hourly rate; the hour and its buffer leave the list.
    held = await book(client, student, tutor_id, nine)
    assert (held["amount"], held["currency"], held["duration_minutes"]) == (RATE, "USD", 60)
    assert parse_time(held["starts_at"]) == nine
    assert held["tutor_time_zone"] == "Europe/Berlin"
    assert held["meeting_url"] is None
    day = (at(monday, "09:00"), at(monday, "13:00"))
    after_hold = await free_slots(client, tutor_id, *day)
    assert after_hold[0] == at(monday, "10:15"), after_hold
    response = await client.post(
        BOOKINGS,
        json={"tutor_id": tutor_id, "starts_at": iso(nine), "duration_minutes": 60},
        headers=student,
    )
    problem(response, 409, "slot-unavailable")

    # Paid by card: confirmed with the tutor's own room, both told by email with the link.
    lesson = await pay_by_card(client, student, held["id"])
    assert lesson["meeting_url"] == TUTOR_ROOM
    assert lesson["held_until"] is None
    order = await order_of(client, student, lesson["order_id"])
    assert (order["kind"], order["status"], order["amount"]) == ("booking", "succeeded", RATE)
    assert (order["platform_fee"], order["tutor_share"]) == (HOUR_FEE, HOUR_SHARE)
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == HOUR_SHARE
    # Each reads the time on their own clocks, and about the other person only.
    names = {
        address: (await client.get("/api/v1/me", headers=headers)).json()["full_name"]
        for address, headers in ((STUDENT_MAIL, student), (TUTOR_MAIL, tutor))
    }
    for address, zone, other in (
        (STUDENT_MAIL, NEW_YORK, names[TUTOR_MAIL]),
        (TUTOR_MAIL, BERLIN, names[STUDENT_MAIL]),
    ):
        confirmed = await mail_with(settings, address, "confirmed", TUTOR_ROOM)
        text = text_of(confirmed)
        subject = confirmed["Subject"].replace("\r", "").replace("\n", "")  # unfolded
        assert spoken(nine, zone) in text and spoken(nine, zone) in subject
        assert "UTC" not in text
        assert f"lesson with {other} is confirmed" in text
        assert f"with {names[address]}" not in text  # only the other person is named
        assert f"Your bookings: {FRONT_END}/bookings\n" in text and "/api/" not in text

    # The calendar feeds of both carry the event at its UTC start, with the room as location.
    student_feed = await calendar_url(client, student)
    tutor_feed = await calendar_url(client, tutor)
    event = (await calendar_events(client, student_feed))[lesson["id"]]
    assert event.decoded("DTSTART") == nine
    assert event["DTSTART"].to_ical().endswith(b"Z")  # written in UTC
    assert event.decoded("DTEND") == nine + timedelta(hours=1)
    assert str(event["LOCATION"]) == TUTOR_ROOM
    assert (int(event["SEQUENCE"]), str(event["STATUS"])) == (1, "CONFIRMED")
    uid = str(event["UID"])
    assert lesson["id"] in await calendar_events(client, tutor_feed)

    # Moved to Tuesday ten o'clock (asked in New York time): same event, newer sequence, and
    # Monday nine is free again.
    tuesday_ten = at(monday + timedelta(days=1), "10:00")
    assert tuesday_ten in await free_slots(client, tutor_id, tuesday_ten, tuesday_ten + 2 * HOUR)
    response = await client.post(
        f"{BOOKINGS}/{lesson['id']}/reschedule",
        json={"starts_at": tuesday_ten.astimezone(NEW_YORK).isoformat()},
        headers=student,
    )
    assert response.status_code == 200, response.text
    moved = response.json()
    assert (parse_time(moved["starts_at"]), parse_time(moved["ends_at"])) == (
        tuesday_ten,
        tuesday_ten + HOUR,
    )
    assert (moved["status"], moved["meeting_url"], moved["order_id"]) == (
        "confirmed",
        TUTOR_ROOM,
        lesson["order_id"],
    )
    assert moved["sequence"] > lesson["sequence"]
    event = (await calendar_events(client, student_feed))[lesson["id"]]
    assert str(event["UID"]) == uid
    assert event.decoded("DTSTART") == tuesday_ten
    assert int(event["SEQUENCE"]) == 2
    assert nine in await free_slots(client, tutor_id, *day)
    moved_mail = text_of(await mail_with(settings, STUDENT_MAIL, "moved", TUTOR_ROOM))
    assert f"from {spoken(nine, NEW_YORK)} to {spoken(tuesday_ten, NEW_YORK)}" in moved_mail
    told = text_of(await mail_with(settings, TUTOR_MAIL, "moved", TUTOR_ROOM))
    assert f"moved their 60-minute lesson with you from {spoken(nine, BERLIN)}" in told

    # Cancelled days ahead: refunded in full, the tutor's pending share goes back.
    response = await client.post(
        f"{BOOKINGS}/{lesson['id']}/cancel", json={"reason": "a family event"}, headers=student
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled_by_student"
    order = await order_of(client, student, lesson["order_id"])
    assert (order["status"], order["refunded"]) == ("refunded", RATE)
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == 0
    assert balance_of(trial, "platform_revenue", None) == 0
    assert balance_of(trial, "provider_clearing", None) == 0
    event = (await calendar_events(client, student_feed))[lesson["id"]]
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 3)
    assert str(event["UID"]) == uid
    # The cancellation tells each side what happened to them, with no way into the lesson.
    for address, says in (
        (TUTOR_MAIL, f"{names[STUDENT_MAIL]} cancelled your 60-minute lesson"),
        (STUDENT_MAIL, "As you asked, your 60-minute lesson"),
    ):
        cancelled = await mail_with(settings, address, "cancelled", says)
        text = text_of(cancelled)
        assert "Join" not in text and TUTOR_ROOM not in text
        assert TUTOR_ROOM not in cancelled.as_string()
        assert ("refund" in text) is (address == STUDENT_MAIL)
    assert tuesday_ten in await free_slots(client, tutor_id, tuesday_ten, tuesday_ten + 2 * HOUR)


async def _every_other_ending(
    client: Any,
    clock: FixedClock,
    people: Party,
    tutor_id: str,
    student_id: str,
    monday: date,
) -> None:
    tutor, student, admin = people.tutor, people.student, people.admin
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    # Without a room of their own, the tutor's lessons get one of the video service.
    response = await client.patch("/api/v1/me", json={"tutor": {"meeting_url": ""}}, headers=tutor)
    assert response.status_code == 200, response.text
    await top_up(client, student, 20_000)

    completed = await book_and_pay(client, student, tutor_id, at(monday, "10:00"), method="credits")
    assert (
        completed["meeting_url"] == f"https://meet.jit.si/elearn/lesson-{UUID(completed['id']).hex}"
    )
    assert await wallet(client, student) == 20_000 - HOUR_PRICE
    late = await book_and_pay(client, student, tutor_id, at(monday, "11:30"), 30)
    assert late["amount"] == HALF_PRICE
    by_tutor = await book_and_pay(client, student, tutor_id, at(tuesday, "09:00"))
    tutor_absent = await book_and_pay(
        client, student, tutor_id, at(wednesday, "09:00"), method="credits"
    )
    student_absent = await book_and_pay(client, student, tutor_id, at(wednesday, "10:30"))
    assert await wallet(client, student) == 20_000 - 2 * HOUR_PRICE
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == 4 * HOUR_SHARE + HALF_SHARE
    assert balance_of(trial, "tutor_available", tutor_id) == 0

    # The tutor cancels: a full refund, whenever it happens.
    response = await client.post(f"{BOOKINGS}/{by_tutor['id']}/cancel", headers=tutor)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled_by_tutor"
    order = await order_of(client, student, by_tutor["order_id"])
    assert (order["status"], order["refunded"]) == ("refunded", HOUR_PRICE)
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == 3 * HOUR_SHARE + HALF_SHARE

    # Monday 08:00 in Berlin: the 11:30 lesson is 3.5 hours away. Cancelled that late, nothing
    # is refunded and the tutor's share is theirs at once.
    clock.set(at(monday, "08:00"))
    await people.sign_in()
    tutor, student, admin = people.tutor, people.student, people.admin
    response = await client.post(f"{BOOKINGS}/{late['id']}/cancel", json={}, headers=student)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled_by_student"
    order = await order_of(client, student, late["order_id"])
    assert (order["status"], order["refunded"]) == ("succeeded", 0)
    assert (await earnings(client, tutor))["available"] == HALF_SHARE
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == 3 * HOUR_SHARE
    # The platform's fee was earned when paid and stays: nothing was refunded.
    assert balance_of(trial, "platform_revenue", None) == HALF_FEE + 3 * HOUR_FEE

    # Just after ten: the tutor marks the lesson given; the share is available; the student
    # rates it, once.
    clock.set(at(monday, "10:01"))
    response = await client.post(f"{BOOKINGS}/{completed['id']}/complete", headers=tutor)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
    assert (await earnings(client, tutor))["available"] == HALF_SHARE + HOUR_SHARE
    await books_balance(client, admin)
    testimonial = {"rating": 4, "text": "  Patient and clear; we covered vectors.  "}
    response = await client.post(
        f"{BOOKINGS}/{completed['id']}/testimonial", json=testimonial, headers=student
    )
    assert response.status_code == 201, response.text
    assert response.json()["rating"] == 4
    assert response.json()["text"] == "Patient and clear; we covered vectors."
    response = await client.post(
        f"{BOOKINGS}/{completed['id']}/testimonial",
        json={"rating": 1, "text": "changed my mind"},
        headers=student,
    )
    problem(response, 409, "already-reviewed")
    response = await client.get(f"{TUTORS}/{tutor_id}/testimonials")
    assert response.status_code == 200, response.text
    assert [(t["booking_id"], t["rating"]) for t in response.json()["items"]] == [
        (completed["id"], 4)
    ]
    (card,) = (await client.get(TUTORS, params={"subject": "maths"})).json()["items"]
    assert (card["rating_average"], card["rating_count"]) == (4.0, 1)
    assert card["id"] == tutor_id and student_id != tutor_id

    # Wednesday after half past ten: the student reports the tutor absent from nine o'clock
    # (credits come back), the tutor reports the student absent from half past ten (paid).
    clock.set(at(wednesday, "10:31"))
    await people.sign_in()
    tutor, student, admin = people.tutor, people.student, people.admin
    response = await client.post(
        f"{BOOKINGS}/{tutor_absent['id']}/no-show", json={"who": "tutor"}, headers=student
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "no_show_tutor"
    assert await wallet(client, student) == 20_000 - HOUR_PRICE
    response = await client.post(
        f"{BOOKINGS}/{student_absent['id']}/no-show", json={"who": "student"}, headers=tutor
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "no_show_student"
    order = await order_of(client, student, student_absent["order_id"])
    assert (order["status"], order["refunded"]) == ("succeeded", 0)

    mine = await earnings(client, tutor)
    assert (mine["pending"], mine["available"]) == (0, HALF_SHARE + 2 * HOUR_SHARE)
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == 0
    assert balance_of(trial, "tutor_available", tutor_id) == HALF_SHARE + 2 * HOUR_SHARE
    assert balance_of(trial, "platform_revenue", None) == HALF_FEE + 2 * HOUR_FEE
    assert balance_of(trial, "student_wallet", student_id) == 20_000 - HOUR_PRICE
    # Six lessons in all, each ended its own way; the tutor sees the same ones.
    statuses = Counter(b["status"] for b in await my_bookings(client, student))
    assert statuses == {
        "cancelled_by_student": 2,
        "cancelled_by_tutor": 1,
        "completed": 1,
        "no_show_tutor": 1,
        "no_show_student": 1,
    }
    assert Counter(b["status"] for b in await my_bookings(client, tutor, role="tutor")) == statuses
