"""Bad input to tutoring over HTTP, on SQLite and PostgreSQL: each case answers a problem with
its status, code and (where a field is at fault) the field, and leaves nothing behind.

Weekly hours and exceptions, bookings and slots, then moves by the wrong person and moves the
booking's state forbids, and the calendar feed with a bad or revoked token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    AVAILABILITY,
    BOOKINGS,
    TUTORS,
    at,
    book,
    book_and_pay,
    calendar_url,
    get_booking,
    iso,
    make_tutor,
    my_bookings,
    served,
    top_up,
    tutoring_settings,
    user_id,
    weekly,
)
from tests.support.catalog import approve_tutors, headers_of, seed_people
from tests.support.identity import (
    PROBLEM,
    bearer,
    login,
    problem,
    register_student,
    seed_accounts,
)

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

EVERY_DAY = range(7)
GOOD_HOURS = {
    "time_zone": "Europe/Berlin",
    "windows": [{"weekday": 0, "start": "09:00", "end": "12:00"}],
    "durations": [30, 60],
    "buffer_minutes": 10,
}


def fields_of(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors") or []]


def check(response: Any, status: int, code: str, field: str | None, label: str) -> None:
    assert response.status_code == status, (label, response.text)
    body = problem(response, status, code)
    if field is not None:
        assert field in fields_of(body), (label, body)


async def test_bad_hours_bookings_and_slots(settings: Settings) -> None:
    settings = tutoring_settings(settings)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, _container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        pending = await headers_of(client, "pending")
        tutor_id = await user_id(client, tutor)
        cotutor_id = await user_id(client, await headers_of(client, "cotutor"))
        pending_id = await user_id(client, pending)
        student_id = await user_id(client, student)
        await register_student(client, "fresh@catalog.test")
        unverified = bearer(await login(client, "fresh@catalog.test"))

        # ---- weekly hours: refused as a whole, what was stored stays ----------------------
        stored = await make_tutor(
            client, tutor, windows=weekly("09:00", "17:00", EVERY_DAY), durations=(30, 60)
        )

        def hours(**changes: Any) -> dict[str, Any]:
            return {**GOOD_HOURS, **changes}

        def window(start: str, end: str, weekday: int = 0) -> dict[str, Any]:
            return {"weekday": weekday, "start": start, "end": end}

        for label, headers, body, status, code, field in [
            (
                "unknown zone",
                tutor,
                hours(time_zone="Mars/Olympus"),
                422,
                "invalid-input",
                "time_zone",
            ),
            (
                "overlapping windows",
                tutor,
                hours(windows=[window("09:00", "12:00"), window("11:00", "13:00")]),
                422,
                "invalid-input",
                "windows",
            ),
            (
                "end before start",
                tutor,
                hours(windows=[window("12:00", "09:00")]),
                422,
                "invalid-input",
                "windows",
            ),
            (
                "empty window",
                tutor,
                hours(windows=[window("09:00", "09:00")]),
                422,
                "invalid-input",
                "windows",
            ),
            (
                "25 o'clock",
                tutor,
                hours(windows=[window("09:00", "25:00")]),
                400,
                "invalid-request",
                "windows[0].end",
            ),
            (
                "no colon",
                tutor,
                hours(windows=[window("9", "12:00")]),
                400,
                "invalid-request",
                "windows[0].start",
            ),
            (
                "weekday 7",
                tutor,
                hours(windows=[window("09:00", "12:00", 7)]),
                400,
                "invalid-request",
                "windows[0].weekday",
            ),
            ("50 minutes", tutor, hours(durations=[50]), 422, "invalid-input", "durations"),
            (
                "a duration twice",
                tutor,
                hours(durations=[60, 60]),
                422,
                "invalid-input",
                "durations",
            ),
            ("no durations", tutor, hours(durations=[]), 400, "invalid-request", "durations"),
            (
                "negative buffer",
                tutor,
                hours(buffer_minutes=-5),
                400,
                "invalid-request",
                "buffer_minutes",
            ),
            (
                "buffer over 2 h",
                tutor,
                hours(buffer_minutes=121),
                400,
                "invalid-request",
                "buffer_minutes",
            ),
            (
                "horizon 0 days",
                tutor,
                hours(maximum_days_ahead=0),
                400,
                "invalid-request",
                "maximum_days_ahead",
            ),
            ("unknown field", tutor, hours(holidays=True), 400, "invalid-request", "holidays"),
            ("a student", student, GOOD_HOURS, 403, "not-a-tutor", None),
            ("nobody", {}, GOOD_HOURS, 401, "not-authenticated", None),
        ]:
            response = await client.put(AVAILABILITY, json=body, headers=headers)
            check(response, status, code, field, label)
        response = await client.get(AVAILABILITY, headers=tutor)
        assert response.json() == stored

        # ---- exceptions are local times -----------------------------------------------------
        for label, body, status, code, field in [
            (
                "with an offset",
                {
                    "kind": "blocked",
                    "start": "2031-01-06T10:00:00+01:00",
                    "end": "2031-01-06T12:00:00+01:00",
                },
                422,
                "invalid-input",
                "start",
            ),
            (
                "in UTC",
                {"kind": "extra", "start": "2031-01-06T10:00:00Z", "end": "2031-01-06T12:00:00Z"},
                422,
                "invalid-input",
                "start",
            ),
            (
                "ends before it starts",
                {"kind": "blocked", "start": "2031-01-06T12:00:00", "end": "2031-01-06T10:00:00"},
                422,
                "invalid-availability",
                None,
            ),
            (
                "unknown kind",
                {"kind": "holiday", "start": "2031-01-06T10:00:00", "end": "2031-01-06T12:00:00"},
                400,
                "invalid-request",
                "kind",
            ),
            (
                "not a time",
                {"kind": "blocked", "start": "tomorrow", "end": "2031-01-06T12:00:00"},
                400,
                "invalid-request",
                "start",
            ),
        ]:
            response = await client.post(f"{AVAILABILITY}/exceptions", json=body, headers=tutor)
            check(response, status, code, field, label)
        response = await client.delete(f"{AVAILABILITY}/exceptions/{uuid4()}", headers=tutor)
        problem(response, 404, "exception-not-found")
        assert (await client.get(AVAILABILITY, headers=tutor)).json()["exceptions"] == []

        # ---- bookings -----------------------------------------------------------------------
        now = clock.now()
        day = (now + timedelta(days=3)).date()
        ten = at(day, "10:00")

        def booking(
            starts_at: Any = ten, duration: int = 60, whom: str = tutor_id
        ) -> dict[str, Any]:
            when = starts_at if isinstance(starts_at, str) else iso(starts_at)
            return {"tutor_id": whom, "starts_at": when, "duration_minutes": duration}

        # Whole quarter hours in the past, inside the 12 h notice, and past the 60-day horizon.
        quarter = now.replace(minute=now.minute // 15 * 15, second=0)
        for label, headers, body, status, code, field in [
            (
                "no offset",
                student,
                booking(ten.replace(tzinfo=None).isoformat()),
                422,
                "invalid-input",
                "starts_at",
            ),
            (
                "45 minutes, not offered",
                student,
                booking(duration=45),
                422,
                "duration-not-offered",
                "duration_minutes",
            ),
            (
                "50 minutes",
                student,
                booking(duration=50),
                422,
                "duration-not-offered",
                "duration_minutes",
            ),
            (
                "10 minutes",
                student,
                booking(duration=10),
                400,
                "invalid-request",
                "duration_minutes",
            ),
            (
                "off the grid",
                student,
                booking(ten + timedelta(minutes=7)),
                422,
                "start-not-on-grid",
                "starts_at",
            ),
            (
                "outside the hours",
                student,
                booking(at(day, "19:00")),
                422,
                "outside-availability",
                "starts_at",
            ),
            (
                "in the past",
                student,
                booking(quarter - timedelta(days=1)),
                422,
                "outside-availability",
                "starts_at",
            ),
            (
                "within the notice",
                student,
                booking(quarter + timedelta(hours=2)),
                422,
                "outside-availability",
                "starts_at",
            ),
            (
                "beyond the horizon",
                student,
                booking(ten + timedelta(days=70)),
                422,
                "outside-availability",
                "starts_at",
            ),
            ("oneself", tutor, booking(), 422, "invalid-booking", None),
            ("unknown tutor", student, booking(whom=str(uuid4())), 404, "tutor-not-found", None),
            ("unapproved tutor", student, booking(whom=pending_id), 404, "tutor-not-found", None),
            ("a student as tutor", tutor, booking(whom=student_id), 404, "tutor-not-found", None),
            ("a tutor without a rate", student, booking(whom=cotutor_id), 422, "no-rate", None),
            ("unverified student", unverified, booking(), 403, "email-not-verified", None),
            ("nobody", {}, booking(), 401, "not-authenticated", None),
            ("not a uuid", student, booking(whom="tutor"), 400, "invalid-request", "tutor_id"),
        ]:
            response = await client.post(BOOKINGS, json=body, headers=headers)
            check(response, status, code, field, label)
        assert await my_bookings(client, tutor, role="tutor") == []
        assert await my_bookings(client, student) == []

        # ---- slots and the tutor search -----------------------------------------------------
        slots_of = f"{TUTORS}/{tutor_id}/slots"
        start = at(day, "00:00")
        for label, path, params, status, code, field in [
            (
                "to before from",
                slots_of,
                {"from": iso(start), "to": iso(start - timedelta(hours=1)), "duration": 60},
                422,
                "invalid-input",
                "to",
            ),
            (
                "to equals from",
                slots_of,
                {"from": iso(start), "to": iso(start), "duration": 60},
                422,
                "invalid-input",
                "to",
            ),
            (
                "32 days",
                slots_of,
                {"from": iso(start), "to": iso(start + timedelta(days=32)), "duration": 60},
                422,
                "invalid-input",
                "to",
            ),
            (
                "45 minutes, not offered",
                slots_of,
                {"from": iso(start), "to": iso(start + timedelta(days=1)), "duration": 45},
                422,
                "invalid-input",
                "duration",
            ),
            (
                "10 minutes",
                slots_of,
                {"from": iso(start), "to": iso(start + timedelta(days=1)), "duration": 10},
                422,
                "invalid-input",
                "duration",
            ),
            (
                "no offset",
                slots_of,
                {
                    "from": start.replace(tzinfo=None).isoformat(),
                    "to": iso(start + timedelta(days=1)),
                    "duration": 60,
                },
                422,
                "invalid-input",
                "from",
            ),
            (
                "no duration",
                slots_of,
                {"from": iso(start), "to": iso(start + timedelta(days=1))},
                400,
                "invalid-request",
                None,
            ),
            (
                "unknown tutor",
                f"{TUTORS}/{uuid4()}/slots",
                {"from": iso(start), "to": iso(start + timedelta(days=1)), "duration": 60},
                404,
                "tutor-not-found",
                None,
            ),
            (
                "unapproved tutor",
                f"{TUTORS}/{pending_id}/slots",
                {"from": iso(start), "to": iso(start + timedelta(days=1)), "duration": 60},
                404,
                "tutor-not-found",
                None,
            ),
            (
                "from without to",
                TUTORS,
                {"available_from": iso(start)},
                422,
                "invalid-input",
                "available_to",
            ),
            (
                "a search of 32 days",
                TUTORS,
                {"available_from": iso(start), "available_to": iso(start + timedelta(days=32))},
                422,
                "invalid-input",
                "available_to",
            ),
            (
                "a search backwards",
                TUTORS,
                {"available_from": iso(start), "available_to": iso(start - timedelta(days=1))},
                422,
                "invalid-input",
                "available_to",
            ),
        ]:
            response = await client.get(path, params=params)
            check(response, status, code, field, label)


async def test_wrong_people_illegal_moves_and_bad_calendar_tokens(settings: Settings) -> None:
    settings = tutoring_settings(settings)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, _container):
        people = {
            name: await headers_of(client, name)
            for name in ("tutor", "cotutor", "student", "admin")
        }
        people["other"] = people["cotutor"]  # an approved tutor with no part in these lessons
        await register_student(client, "stranger@catalog.test")
        people["stranger"] = bearer(await login(client, "stranger@catalog.test"))
        tutor, student = people["tutor"], people["student"]
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor, windows=weekly("08:00", "20:00", EVERY_DAY))
        await top_up(client, student, 20_000)
        day = (clock.now() + timedelta(days=3)).date()
        held = await book(client, student, tutor_id, at(day, "08:00"))
        confirmed = await book_and_pay(
            client, student, tutor_id, at(day, "10:00"), method="credits"
        )
        cancelled = await book_and_pay(
            client, student, tutor_id, at(day, "12:00"), method="credits"
        )
        response = await client.post(f"{BOOKINGS}/{cancelled['id']}/cancel", headers=student)
        assert response.status_code == 200, response.text

        def at_booking(booking: dict[str, Any], action: str) -> str:
            return f"{BOOKINGS}/{booking['id']}/{action}"

        free_time = {"starts_at": iso(at(day, "16:00"))}
        rating = {"rating": 5, "text": "great"}
        cases = [
            # Someone else's booking is not there for them; the other side may not do this.
            ("stranger", at_booking(held, "pay"), {"method": "credits"}, 404, "booking-not-found"),
            ("other", at_booking(held, "pay"), {"method": "card"}, 404, "booking-not-found"),
            ("tutor", at_booking(held, "pay"), {"method": "credits"}, 404, "booking-not-found"),
            ("stranger", at_booking(confirmed, "cancel"), {}, 404, "booking-not-found"),
            ("stranger", at_booking(confirmed, "reschedule"), free_time, 404, "booking-not-found"),
            ("tutor", at_booking(confirmed, "reschedule"), free_time, 403, "permission-denied"),
            ("student", at_booking(confirmed, "complete"), None, 403, "permission-denied"),
            ("stranger", at_booking(confirmed, "complete"), None, 404, "booking-not-found"),
            (
                "student",
                at_booking(confirmed, "no-show"),
                {"who": "student"},
                403,
                "permission-denied",
            ),
            ("tutor", at_booking(confirmed, "no-show"), {"who": "tutor"}, 403, "permission-denied"),
            ("tutor", at_booking(confirmed, "testimonial"), rating, 403, "permission-denied"),
            ("stranger", at_booking(confirmed, "testimonial"), rating, 404, "booking-not-found"),
            # Moves the booking's state forbids.
            ("tutor", at_booking(held, "complete"), None, 409, "illegal-transition"),
            ("student", at_booking(held, "testimonial"), rating, 409, "illegal-transition"),
            ("tutor", at_booking(held, "cancel"), {}, 409, "illegal-transition"),
            ("student", at_booking(held, "reschedule"), free_time, 409, "illegal-transition"),
            (
                "student",
                at_booking(confirmed, "pay"),
                {"method": "credits"},
                409,
                "illegal-transition",
            ),
            ("student", at_booking(confirmed, "testimonial"), rating, 409, "illegal-transition"),
            ("student", at_booking(cancelled, "cancel"), {}, 409, "illegal-transition"),
            ("tutor", at_booking(cancelled, "cancel"), {}, 409, "illegal-transition"),
            ("student", at_booking(cancelled, "reschedule"), free_time, 409, "illegal-transition"),
            (
                "student",
                at_booking(cancelled, "pay"),
                {"method": "credits"},
                409,
                "illegal-transition",
            ),
            ("tutor", at_booking(cancelled, "complete"), None, 409, "illegal-transition"),
            (
                "tutor",
                at_booking(cancelled, "no-show"),
                {"who": "student"},
                409,
                "illegal-transition",
            ),
            # Not yet: nobody completes or misses a lesson before it starts.
            ("tutor", at_booking(confirmed, "complete"), None, 422, "not-started"),
            ("tutor", at_booking(confirmed, "no-show"), {"who": "student"}, 422, "not-started"),
            ("student", at_booking(confirmed, "no-show"), {"who": "tutor"}, 422, "not-started"),
            # Bodies.
            (
                "student",
                at_booking(confirmed, "reschedule"),
                {"starts_at": "2031-01-06T10:00:00"},
                422,
                "invalid-input",
            ),
            (
                "student",
                at_booking(confirmed, "reschedule"),
                {"starts_at": iso(at(day, "10:07"))},
                422,
                "start-not-on-grid",
            ),
            (
                "student",
                at_booking(confirmed, "no-show"),
                {"who": "nobody"},
                400,
                "invalid-request",
            ),
            ("student", at_booking(held, "pay"), {"method": "cash"}, 400, "invalid-request"),
            ("student", f"{BOOKINGS}/{uuid4()}/cancel", {}, 404, "booking-not-found"),
        ]
        before = {
            b["id"]: await get_booking(client, student, b["id"])
            for b in (held, confirmed, cancelled)
        }
        orders = (await client.get("/api/v1/me/orders", headers=student)).json()["items"]
        for who, path, body, status, code in cases:
            response = await client.post(path, json=body, headers=people[who])
            check(response, status, code, None, f"{who} {path.rsplit('/', 1)[1]}")
        for booking_id, was in before.items():
            assert await get_booking(client, student, booking_id) == was
        assert (await client.get("/api/v1/me/orders", headers=student)).json()["items"] == orders

        # A testimonial needs a rating of 1 to 5 and some words, even on a completed lesson.
        clock.set(at(day, "10:05"))
        tutor, student = await headers_of(client, "tutor"), await headers_of(client, "student")
        response = await client.post(at_booking(confirmed, "complete"), headers=tutor)
        assert response.status_code == 200, response.text
        for body, status, code in [
            ({"rating": 6, "text": "too good"}, 400, "invalid-request"),
            ({"rating": 0, "text": "too bad"}, 400, "invalid-request"),
            ({"rating": 5, "text": ""}, 400, "invalid-request"),
            ({"rating": 5, "text": "   "}, 422, "invalid-input"),
            ({"rating": 5, "text": "x" * 2001}, 400, "invalid-request"),
        ]:
            response = await client.post(
                at_booking(confirmed, "testimonial"), json=body, headers=student
            )
            check(response, status, code, None, str(body)[:40])
        testimonials = await client.get(f"{TUTORS}/{tutor_id}/testimonials")
        assert testimonials.json()["items"] == []
        # Too late to move: a lesson within the 24-hour cutoff stays where it is.
        tomorrow = day + timedelta(days=1)
        soon = await book_and_pay(
            client, student, tutor_id, at(tomorrow, "09:00"), method="credits"
        )
        response = await client.post(
            at_booking(soon, "reschedule"),
            json={"starts_at": iso(at(tomorrow, "16:00"))},
            headers=student,
        )
        problem(response, 422, "reschedule-too-late")
        assert await get_booking(client, student, soon["id"]) == soon
        # Too late to cancel: a lesson that is over.
        clock.set(at(tomorrow, "10:30"))
        student = await headers_of(client, "student")
        response = await client.post(at_booking(soon, "cancel"), headers=student)
        problem(response, 409, "illegal-transition")

        # ---- the calendar feed: only the latest token opens it ------------------------------
        first = await calendar_url(client, student)
        latest = await calendar_url(client, student)
        assert (await client.get(latest)).status_code == 200
        problem(await client.get(first), 404, "calendar-not-found")
        problem(
            await client.get("/api/v1/me/calendar.ics", params={"token": "x" * 43}),
            404,
            "calendar-not-found",
        )
        problem(await client.get("/api/v1/me/calendar.ics"), 400, "invalid-request")
        problem(
            await client.get("/api/v1/me/calendar.ics", params={"token": "x" * 101}),
            400,
            "invalid-request",
        )
        response = await client.delete("/api/v1/me/calendar-token", headers=student)
        assert response.status_code == 204, response.text
        problem(await client.get(latest), 404, "calendar-not-found")
        problem(await client.post("/api/v1/me/calendar-token"), 401, "not-authenticated")


async def test_dates_at_the_ends_of_the_calendar_are_refused_not_crashed(
    settings: Settings,
) -> None:
    settings = tutoring_settings(settings)
    await seed_accounts(
        settings,
        ("tutor@catalog.test", Role.TUTOR),
        ("student@catalog.test", Role.STUDENT),
    )
    await approve_tutors(settings, "tutor@catalog.test")
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, _container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor, windows=weekly("08:00", "20:00", EVERY_DAY))
        slots_of = f"{TUTORS}/{tutor_id}/slots"
        crashed = []
        for label, request in [
            (
                "slots in 9999",
                client.get(
                    slots_of,
                    params={
                        "from": "9999-12-30T00:00:00Z",
                        "to": "9999-12-31T00:00:00Z",
                        "duration": 60,
                    },
                ),
            ),
            (
                "slots in year 1",
                client.get(
                    slots_of,
                    params={
                        "from": "0001-01-01T00:00:00Z",
                        "to": "0001-01-02T00:00:00Z",
                        "duration": 60,
                    },
                ),
            ),
            (
                "a search in 9999",
                client.get(
                    TUTORS,
                    params={
                        "available_from": "9999-12-30T00:00:00Z",
                        "available_to": "9999-12-31T00:00:00Z",
                    },
                ),
            ),
            (
                "a lesson ending after 9999",
                client.post(
                    BOOKINGS,
                    json={
                        "tutor_id": tutor_id,
                        "starts_at": "9999-12-31T23:30:00Z",
                        "duration_minutes": 60,
                    },
                    headers=student,
                ),
            ),
            (
                "a lesson before year 1 in UTC",
                client.post(
                    BOOKINGS,
                    json={
                        "tutor_id": tutor_id,
                        "starts_at": "0001-01-01T00:00:00+01:00",
                        "duration_minutes": 60,
                    },
                    headers=student,
                ),
            ),
            (
                "blocking time in the year 999",
                client.post(
                    f"{AVAILABILITY}/exceptions",
                    json={
                        "kind": "blocked",
                        "start": "0999-06-01T10:00:00",
                        "end": "0999-06-01T12:00:00",
                    },
                    headers=tutor,
                ),
            ),
            ("the tutor's hours afterwards", client.get(AVAILABILITY, headers=tutor)),
            (
                "the tutor's slots afterwards",
                client.get(
                    slots_of,
                    params={
                        "from": iso(clock.now() + timedelta(days=2)),
                        "to": iso(clock.now() + timedelta(days=3)),
                        "duration": 60,
                    },
                ),
            ),
        ]:
            response = await request
            if response.status_code >= 500:
                crashed.append(f"{label}: {response.status_code}")
            else:
                assert response.headers["content-type"].split(";")[0] in (
                    PROBLEM,
                    "application/json",
                )
        assert not crashed, crashed
