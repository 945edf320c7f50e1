"""Tutoring's hottest paths send a fixed, small number of SQL statements (on SQLite and
PostgreSQL): a tutor's free slots for two weeks read the bookable tutor with their availability
and active bookings in one statement whatever the number of bookings, a hold on a slot
already taken is refused from that calendar, before it queues on the tutor's lock, and a hold
that wins writes only the booking and its event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    BOOKINGS,
    TUTORS,
    at,
    book,
    booking_body,
    iso,
    make_tutor,
    parse_time,
    served,
    tutoring_settings,
    user_id,
    weekly,
)
from tests.support.catalog import approve_tutors, headers_of, seed_people
from tests.support.identity import problem, seed_accounts
from tests.support.statements import Statements

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

EVERY_DAY = range(7)
# The bookable tutor with their calendar: one statement.
MOST_STATEMENTS_FOR_SLOTS = 1
# The student's account (authentication, until it reads no row) and the tutor's calendar.
MOST_STATEMENTS_TO_REFUSE_A_TAKEN_SLOT = 2
# The calendar; under the slot's try-lock the tutor's standing and terms, their availability
# (locked), the student's holds lock, the tutor's active bookings, the student's unpaid holds
# with their bookings during the lesson (one read); the booking and its event (message,
# deliveries); the answer's view.
MOST_STATEMENTS_TO_HOLD = 11


async def test_slots_and_a_refused_hold_take_a_fixed_few_statements(settings: Settings) -> None:
    settings = tutoring_settings(settings)
    await seed_people(settings)
    await seed_accounts(settings, ("second@catalog.test", Role.STUDENT))
    await approve_tutors(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        second = await headers_of(client, "second")
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor, windows=weekly("09:00", "17:00", EVERY_DAY))
        start = (clock.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        slots_url = f"{TUTORS}/{tutor_id}/slots"
        params = {"from": iso(start), "to": iso(start + timedelta(days=14)), "duration": 60}
        statements = Statements(container.engine)

        async def slots() -> tuple[int, list[str]]:
            (await statements.settled()).clear()
            response = await client.get(slots_url, params=params)
            assert response.status_code == 200, response.text
            return len(await statements.settled()), response.json()["starts"]

        with statements:
            await slots()  # warm up the connection
            empty, free = await slots()
        day = (start + timedelta(days=3)).date()
        with statements:
            (await statements.settled()).clear()
            await book(client, student, tutor_id, at(day, "10:00"))
            sent_to_hold = list(await statements.settled())
        await book(client, student, tutor_id, at(day, "12:00"))
        with statements:
            busy, left = await slots()
            (await statements.settled()).clear()
            refused = await client.post(
                BOOKINGS, json=booking_body(tutor_id, at(day, "10:00")), headers=second
            )
            sent_to_refuse = list(await statements.settled())

    print(f"slots: {empty} statements, {busy} with bookings; refusing a hold: {sent_to_refuse}")
    print(f"holding: {len(sent_to_hold)} statements {sent_to_hold}")
    held = {at(day, "10:00"), at(day, "12:00")}
    free_starts, left_starts = {parse_time(t) for t in free}, {parse_time(t) for t in left}
    assert held <= free_starts and not held & left_starts and left_starts < free_starts
    assert empty == busy <= MOST_STATEMENTS_FOR_SLOTS
    problem(refused, 409, "slot-taken")
    assert len(sent_to_refuse) <= MOST_STATEMENTS_TO_REFUSE_A_TAKEN_SLOT, sent_to_refuse
    # Refused before it queued: no lock taken, nothing written.
    assert not any("FOR UPDATE" in sql or "advisory" in sql for sql in sent_to_refuse)
    assert not any(sql.startswith(("INSERT", "UPDATE")) for sql in sent_to_refuse)
    # No hold had lapsed: nothing to release, so no UPDATE.
    assert len(sent_to_hold) <= MOST_STATEMENTS_TO_HOLD, sent_to_hold
    assert not any(sql.startswith("UPDATE") for sql in sent_to_hold), sent_to_hold
