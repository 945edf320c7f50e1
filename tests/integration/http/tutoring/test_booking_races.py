"""Booking under concurrency, on PostgreSQL (SQLite serialises writers, so races cannot happen
there): a hundred holds at once on overlapping times of one tutor leave exactly one; a student
asking two tutors for the same hour at once gets one lesson; an expired hold frees its time;
a reschedule racing a booking (or another reschedule) into the same slot lets exactly one win
and leaves the loser as it was; paying or cancelling many times at once moves money once, and
a card payment that is not needed (paid with credits meanwhile, or too late) goes back.

The app is served on the test's own loop over ``httpx.ASGITransport`` so that gathered requests
really overlap, with no worker behind the test's back and a clock the test moves. Where the
order of two racers matters, the test holds the tutor's schedule lock itself and queues them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from tests.conftest import empty_all_tables, make_settings, postgres_url
from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    BOOKINGS,
    RATE,
    at,
    book,
    booking_body,
    free_slots,
    get_booking,
    make_tutor,
    my_bookings,
    order_of,
    parse_time,
    pay_by_card,
    pay_with_credits,
    served,
    top_up,
    tutoring_settings,
    user_id,
    wallet,
    weekly,
)
from tests.support.billing import balance_of, books_balance, sandbox_button
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import Container
from elearn.entrypoints.settings import Settings

CROWD = [f"crowd{n}" for n in range(5)]
EVERY_DAY = range(7)
HOUR_SHARE = 3400  # of RATE, after the 15% platform fee


@pytest.fixture
def pg_settings(tmp_path: Path) -> Settings:
    """PostgreSQL only, with a pool wide enough for real contention (15 connections and as many
    again in overflow) yet well inside the server's connection limit, which other test runs
    share: the rest of a crowd waits for a connection. A rival leaves several holds of one
    tutor unpaid here: the limits of unpaid holds have their own tests."""
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    return tutoring_settings(
        make_settings(tmp_path, url, database_pool_size=15),
        unpaid_holds_per_student=10,
        unpaid_holds_per_tutor=10,
    )


async def warm_up(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Opens the pool's connections now, so that no racer is held back opening its own."""
    answers = await asyncio.gather(
        *(client.get("/api/v1/me/bookings", headers=headers) for _ in range(20))
    )
    assert all(answer.status_code == 200 for answer in answers)


def assert_one_winner(responses: list[httpx.Response], won: int) -> httpx.Response:
    """Exactly one answer ``won``; every other one 409 ``slot-taken``; no 5xx."""
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {won: 1, 409: len(responses) - 1}, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            problem(response, 409, "slot-taken")
    return next(r for r in responses if r.status_code == won)


def assert_no_overlaps(bookings: list[dict[str, Any]]) -> None:
    active = [b for b in bookings if b["status"] in ("held", "confirmed")]
    for first, second in itertools.combinations(active, 2):
        assert not (
            parse_time(first["starts_at"]) < parse_time(second["ends_at"])
            and parse_time(second["starts_at"]) < parse_time(first["ends_at"])
        ), (first, second)


@contextlib.asynccontextmanager
async def schedule_locked(container: Container, tutor_id: str) -> AsyncIterator[None]:
    """Holds the lock on the tutor's schedule, which every hold and move of theirs takes, so
    the test decides what happens while a move waits for it."""
    async with container.engine.connect() as connection, connection.begin():
        await connection.execute(
            text("SELECT 1 FROM tutor_availability WHERE tutor_id = CAST(:id AS uuid) FOR UPDATE"),
            {"id": tutor_id},
        )
        yield


async def waiting_for_locks(container: Container, count: int) -> None:
    """Returns once ``count`` connections of this database wait for a lock."""
    async with container.engine.connect() as connection:
        for _ in range(400):
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            # A transaction sees one snapshot of the statistics: end it to look again.
            await connection.rollback()
            if waiting >= count:
                return
            await asyncio.sleep(0.025)
    raise AssertionError(f"fewer than {count} requests wait for the schedule")


async def test_overlapping_holds_at_once_leave_exactly_one(pg_settings: Settings) -> None:
    await seed_people(pg_settings)
    await seed_accounts(pg_settings, *((f"{name}@catalog.test", Role.STUDENT) for name in CROWD))
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(pg_settings, clock, run_background=False) as (client, container):
        tutor = await headers_of(client, "tutor")
        cotutor = await headers_of(client, "cotutor")
        student = await headers_of(client, "student")
        crowd = [await headers_of(client, name) for name in CROWD]
        tutor_id, cotutor_id = await user_id(client, tutor), await user_id(client, cotutor)
        for headers in (tutor, cotutor):
            await make_tutor(client, headers, windows=weekly("09:00", "17:00", EVERY_DAY))
        day = (clock.now() + timedelta(days=3)).date()
        ten = at(day, "10:00")
        await warm_up(client, student)

        # A hundred requests, twenty from each of five students, for hours starting 10:00,
        # 10:15, 10:30 or 10:45: any two overlap, so one hold stands and 99 are refused.
        starts = [ten + timedelta(minutes=15 * ((i + j) % 4)) for i in range(5) for j in range(20)]
        senders = [crowd[i] for i in range(5) for _ in range(20)]
        responses = await asyncio.gather(
            *(
                client.post(BOOKINGS, json=booking_body(tutor_id, start), headers=headers)
                for start, headers in zip(starts, senders, strict=True)
            )
        )
        winner = assert_one_winner(responses, 201).json()
        assert winner["status"] == "held"
        assert [b["id"] for b in await my_bookings(client, tutor, role="tutor")] == [winner["id"]]
        held_start = parse_time(winner["starts_at"])
        morning = (at(day, "09:00"), at(day, "13:00"))
        assert held_start not in await free_slots(client, tutor_id, *morning)

        # Sixteen minutes later the hold has run out: its time is offered again and another
        # student books it (the booking releases the stale hold on its way).
        clock.advance(timedelta(minutes=16))
        assert held_start in await free_slots(client, tutor_id, *morning)
        again = await book(client, student, tutor_id, held_start)
        assert (await get_booking(client, tutor, winner["id"]))["status"] == "expired"
        assert await container.tutoring.release_expired_holds() == 0
        # And a hold nobody pays is released by the periodic job, freeing the time for others.
        clock.advance(timedelta(minutes=16))
        assert await container.tutoring.release_expired_holds() == 1
        assert (await get_booking(client, student, again["id"]))["status"] == "expired"
        assert held_start in await free_slots(client, tutor_id, *morning)

        # One student asks two tutors for the same hour, five times each, all at once: the
        # tutors' schedules do not meet, but the student's own lessons may not overlap.
        noon = at(day, "12:00")
        responses = await asyncio.gather(
            *(
                client.post(
                    BOOKINGS,
                    json=booking_body(whom, noon + timedelta(minutes=15 * (n % 2))),
                    headers=student,
                )
                for n, whom in enumerate([tutor_id, cotutor_id] * 5)
            )
        )
        assert_one_winner(responses, 201)
        mine = await my_bookings(client, student, status="held")
        assert len(mine) == 1, mine
        assert_no_overlaps(await my_bookings(client, tutor, role="tutor"))


async def test_a_slot_being_booked_refuses_its_other_contenders_without_waiting(
    pg_settings: Settings,
) -> None:
    await seed_people(pg_settings)
    await seed_accounts(pg_settings, *((f"{name}@catalog.test", Role.STUDENT) for name in CROWD))
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(pg_settings, clock, run_background=False) as (client, container):
        tutor = await headers_of(client, "tutor")
        first, second, third = [await headers_of(client, name) for name in CROWD[:3]]
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor, windows=weekly("09:00", "17:00", EVERY_DAY))
        ten = at((clock.now() + timedelta(days=3)).date(), "10:00")
        await warm_up(client, first)

        def hold(headers: dict[str, str], start: datetime) -> Any:
            return asyncio.ensure_future(
                client.post(BOOKINGS, json=booking_body(tutor_id, start), headers=headers)
            )

        async with schedule_locked(container, tutor_id):
            # The first contender has claimed 10:00 and waits for the tutor's schedule.
            booking = hold(first, ten)
            await waiting_for_locks(container, 1)
            # Another for the very slot is refused while the first still waits; one for an
            # overlapping start is no contender for that slot: it waits for the schedule too.
            refused = await asyncio.wait_for(hold(second, ten), timeout=30)
            overlapping = hold(third, ten + timedelta(minutes=30))
            await waiting_for_locks(container, 2)
        problem(refused, 409, "slot-taken")
        assert (await booking).status_code == 201, (await booking).text
        problem(await overlapping, 409, "slot-taken")
        assert len(await my_bookings(client, tutor, role="tutor")) == 1


async def test_rescheduling_into_a_slot_someone_books_at_once(pg_settings: Settings) -> None:
    await seed_people(pg_settings)
    await seed_accounts(pg_settings, ("rival@catalog.test", Role.STUDENT))
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(pg_settings, clock, run_background=False) as (client, container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        rival = await headers_of(client, "rival")
        admin = await headers_of(client, "admin")
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor, windows=weekly("08:00", "20:00", EVERY_DAY))
        day = (clock.now() + timedelta(days=3)).date()
        await warm_up(client, student)
        lesson = await pay_by_card(
            client, student, (await book(client, student, tutor_id, at(day, "08:00")))["id"]
        )
        rivals_lesson = await pay_by_card(
            client, rival, (await book(client, rival, tutor_id, at(day, "09:00")))["id"]
        )

        # Each round the student moves their lesson into an hour the rival books at the same
        # moment. Both wait for the tutor's schedule, queued in the order the round picks, so
        # each side wins some rounds. Exactly one gets the hour; the other is as it was.
        outcomes = []
        for round_number, hour in enumerate(("11:00", "12:00", "13:00", "14:00")):
            target = at(day, hour)
            before = await get_booking(client, student, lesson["id"])
            moving = client.post(
                f"{BOOKINGS}/{lesson['id']}/reschedule",
                json={"starts_at": target.isoformat()},
                headers=student,
            )
            booking = client.post(BOOKINGS, json=booking_body(tutor_id, target), headers=rival)
            async with schedule_locked(container, tutor_id):
                queued = []
                for position, request in enumerate(
                    (moving, booking) if round_number % 2 else (booking, moving), start=1
                ):
                    queued.append(asyncio.ensure_future(request))
                    await waiting_for_locks(container, position)
            answers = [await answer for answer in queued]
            moved, booked = answers if round_number % 2 else answers[::-1]
            after = await get_booking(client, student, lesson["id"])
            if moved.status_code == 200:
                outcomes.append("moved")
                problem(booked, 409, "slot-taken")
                assert parse_time(after["starts_at"]) == target
                assert after["sequence"] == before["sequence"] + 1
            else:
                outcomes.append("booked")
                assert booked.status_code == 201, booked.text
                problem(moved, 409, "slot-taken")
                assert after == before  # the loser's lesson did not move or change
            assert_no_overlaps(await my_bookings(client, tutor, role="tutor"))
        assert set(outcomes) == {"moved", "booked"}, outcomes

        # Two confirmed lessons moved into the same hour at once: one moves, one stays.
        target = at(day, "18:00")
        before = [
            await get_booking(client, h, b["id"])
            for h, b in ((student, lesson), (rival, rivals_lesson))
        ]
        answers = await asyncio.gather(
            client.post(
                f"{BOOKINGS}/{lesson['id']}/reschedule",
                json={"starts_at": target.isoformat()},
                headers=student,
            ),
            client.post(
                f"{BOOKINGS}/{rivals_lesson['id']}/reschedule",
                json={"starts_at": target.isoformat()},
                headers=rival,
            ),
        )
        assert_one_winner(list(answers), 200)
        after = [
            await get_booking(client, h, b["id"])
            for h, b in ((student, lesson), (rival, rivals_lesson))
        ]
        changed = [a for a, b in zip(after, before, strict=True) if a != b]
        assert len(changed) == 1 and parse_time(changed[0]["starts_at"]) == target
        assert_no_overlaps(await my_bookings(client, tutor, role="tutor"))
        await books_balance(client, admin)


async def test_payments_at_once_twice_or_too_late_move_money_once(
    pg_settings: Settings,
) -> None:
    await seed_people(pg_settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(pg_settings, clock, run_background=False) as (client, container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        admin = await headers_of(client, "admin")
        tutor_id, student_id = await user_id(client, tutor), await user_id(client, student)
        await make_tutor(client, tutor, windows=weekly("08:00", "20:00", EVERY_DAY))
        day = (clock.now() + timedelta(days=3)).date()
        await warm_up(client, student)
        await top_up(client, student, 10_000)

        held = await book(client, student, tutor_id, at(day, "10:00"))
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{BOOKINGS}/{held['id']}/pay", json={"method": "credits"}, headers=student
                )
                for _ in range(5)
            )
        )
        assert Counter(a.status_code for a in answers) == {200: 1, 409: 4}, [
            a.text for a in answers
        ]
        assert await wallet(client, student) == 10_000 - RATE
        trial = await books_balance(client, admin)
        assert balance_of(trial, "student_wallet", student_id) == 10_000 - RATE

        answers = await asyncio.gather(
            *(client.post(f"{BOOKINGS}/{held['id']}/cancel", headers=student) for _ in range(5))
        )
        assert Counter(a.status_code for a in answers) == {200: 1, 409: 4}, [
            a.text for a in answers
        ]
        for answer in answers:
            if answer.status_code == 409:
                problem(answer, 409, "illegal-transition")
        assert await wallet(client, student) == 10_000
        trial = await books_balance(client, admin)
        assert balance_of(trial, "tutor_pending", tutor_id) == 0
        assert balance_of(trial, "student_wallet", student_id) == 10_000

        # Paid twice, by card and with credits: the lesson is the credits', and the card's money
        # goes back in full. A card payment that comes in after the hold ran out and someone else
        # took the time goes back in full too.
        twice = await book(client, student, tutor_id, at(day, "12:00"))
        response = await client.post(
            f"{BOOKINGS}/{twice['id']}/pay", json={"method": "card"}, headers=student
        )
        assert response.status_code == 200, response.text
        card_payment = response.json()
        paid = await pay_with_credits(client, student, twice["id"])
        assert (await client.post(sandbox_button(card_payment))).status_code == 200
        lesson = await get_booking(client, student, twice["id"])
        assert (lesson["status"], lesson["order_id"]) == ("confirmed", paid["order_id"])

        late = await book(client, student, tutor_id, at(day, "14:00"))
        response = await client.post(
            f"{BOOKINGS}/{late['id']}/pay", json={"method": "card"}, headers=student
        )
        late_payment = response.json()
        clock.advance(timedelta(minutes=16))
        await book(client, await headers_of(client, "cotutor"), tutor_id, at(day, "14:00"))
        assert (await client.post(sandbox_button(late_payment))).status_code == 200
        assert (await get_booking(client, student, late["id"]))["status"] == "expired"

        trial = await books_balance(client, admin)
        assert balance_of(trial, "tutor_pending", tutor_id) == HOUR_SHARE
        assert balance_of(trial, "provider_clearing", None) == -10_000  # the top-up alone
        # The card refunds are asked of the provider by the job that retries them.
        clock.advance(timedelta(minutes=6))
        assert await container.billing.retry_stale_refunds() == 2
        for order_id in (card_payment["order_id"], late_payment["order_id"]):
            order = await order_of(client, student, order_id)
            assert (order["status"], order["refunded"]["amount"]) == ("refunded", RATE), order
        await books_balance(client, admin)


async def test_a_move_waiting_for_the_schedule_sees_what_happened_meanwhile(
    pg_settings: Settings,
) -> None:
    await seed_people(pg_settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(pg_settings, clock, run_background=False) as (client, container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        admin = await headers_of(client, "admin")
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor, windows=weekly("08:00", "20:00", EVERY_DAY))
        day = (clock.now() + timedelta(days=3)).date()
        cancelled = await pay_by_card(
            client, student, (await book(client, student, tutor_id, at(day, "08:00")))["id"]
        )
        moved_twice = await pay_by_card(
            client, student, (await book(client, student, tutor_id, at(day, "10:00")))["id"]
        )

        def move(lesson: dict[str, Any], hour: str) -> Any:
            return asyncio.ensure_future(
                client.post(
                    f"{BOOKINGS}/{lesson['id']}/reschedule",
                    json={"starts_at": at(day, hour).isoformat()},
                    headers=student,
                )
            )

        # While the move waits for the schedule, the student cancels (which needs no lock on
        # the schedule); then the move goes on. It must see the cancellation.
        async with schedule_locked(container, tutor_id):
            waiting = move(cancelled, "14:00")
            await waiting_for_locks(container, 1)
            response = await client.post(f"{BOOKINGS}/{cancelled['id']}/cancel", headers=student)
            assert response.status_code == 200, response.text
        late_move = await waiting
        # Two moves of one lesson wait together; each must build on the other's result.
        async with schedule_locked(container, tutor_id):
            first, second = move(moved_twice, "16:00"), move(moved_twice, "18:00")
            await waiting_for_locks(container, 2)
        answers = [await first, await second]

        problems = []
        after_cancel = await get_booking(client, student, cancelled["id"])
        if late_move.status_code != 409 or after_cancel["starts_at"] != cancelled["starts_at"]:
            problems.append(
                f"a cancelled lesson was moved: {late_move.status_code} {late_move.text}"
            )
        final = await get_booking(client, student, moved_twice["id"])
        moves = sum(answer.status_code == 200 for answer in answers)
        if final["sequence"] != moved_twice["sequence"] + moves:
            problems.append(
                f"{moves} moves answered 200 but the sequence went "
                f"{moved_twice['sequence']} -> {final['sequence']}"
            )
        trial = await books_balance(client, admin)
        assert balance_of(trial, "tutor_pending", tutor_id) == HOUR_SHARE
        assert not problems, problems
