"""The limits of unpaid holds over HTTP (issue 15, finding 4): the refusal is a 409 problem
with its own code and holds nothing, the limits are settings, and a student's holds sent all at
once to several tutors (whose schedules are locked apart) still stop at the limit, on
PostgreSQL where such requests really overlap."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import empty_all_tables, make_settings, postgres_url
from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    BOOKINGS,
    at,
    book,
    booking_body,
    make_tutor,
    my_bookings,
    served,
    tutoring_settings,
    user_id,
    weekly,
)
from tests.support.catalog import approve_tutors, headers_of, seed_people
from tests.support.identity import problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings, SettingsError, load_settings

EVERY_DAY = range(7)


async def test_a_hold_over_the_configured_limit_is_a_409_problem_and_holds_nothing(
    settings: Settings,
) -> None:
    settings = tutoring_settings(settings, unpaid_holds_per_student=2, unpaid_holds_per_tutor=1)
    await seed_people(settings)
    await seed_accounts(settings, ("third@catalog.test", Role.TUTOR))
    await approve_tutors(settings, "third@catalog.test")
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, _container):
        tutors = [await headers_of(client, name) for name in ("tutor", "cotutor", "third")]
        student = await headers_of(client, "student")
        tutor_id, cotutor_id, third_id = [await user_id(client, headers) for headers in tutors]
        for headers in tutors:
            await make_tutor(client, headers, windows=weekly("09:00", "17:00", EVERY_DAY))
        day = (clock.now() + timedelta(days=3)).date()
        await book(client, student, tutor_id, at(day, "10:00"))

        with_tutor = await client.post(
            BOOKINGS, json=booking_body(tutor_id, at(day, "12:00")), headers=student
        )
        body = problem(with_tutor, 409, "too-many-holds-with-tutor")
        assert body["type"] == "urn:elearn:problem:too-many-holds-with-tutor"
        assert "(1)" in body["detail"]

        await book(client, student, cotutor_id, at(day, "14:00"))
        overall = await client.post(
            BOOKINGS, json=booking_body(third_id, at(day, "16:00")), headers=student
        )
        assert "(2)" in problem(overall, 409, "too-many-holds")["detail"]

        assert len(await my_bookings(client, student)) == 2
        assert await my_bookings(client, tutors[2], role="tutor") == []


def test_the_limits_are_settings_of_at_least_one() -> None:
    with pytest.raises(SettingsError, match="ELEARN_UNPAID_HOLDS_PER_TUTOR"):
        load_settings({"ELEARN_UNPAID_HOLDS_PER_TUTOR": "0"}, env_file=None)
    chosen = load_settings({"ELEARN_UNPAID_HOLDS_PER_STUDENT": "5"}, env_file=None)
    assert (chosen.unpaid_holds_per_student, chosen.unpaid_holds_per_tutor) == (5, 2)


@pytest.fixture
def pg_settings(tmp_path: Path) -> Settings:
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    return tutoring_settings(make_settings(tmp_path, url, database_pool_size=10))


async def test_holds_sent_at_once_to_several_tutors_stop_at_the_limit(
    pg_settings: Settings,
) -> None:
    await seed_people(pg_settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(pg_settings, clock, run_background=False) as (client, _container):
        tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
        student = await headers_of(client, "student")
        tutor_ids = [await user_id(client, tutor), await user_id(client, cotutor)]
        for headers in (tutor, cotutor):
            await make_tutor(client, headers, windows=weekly("09:00", "17:00", EVERY_DAY))
        # Eight free, separate hours, four with each tutor, asked for at once: at most 2 with
        # one tutor and 3 in all (the defaults) may stand, whoever's schedule is locked first.
        # Three rounds, each once the last one's holds ran out, as one may be lucky.
        for round_ in range(3):
            day = (clock.now() + timedelta(days=3 + round_)).date()
            responses = await asyncio.gather(
                *(
                    client.post(
                        BOOKINGS,
                        json=booking_body(tutor_ids[n % 2], at(day, f"{9 + n}:00")),
                        headers=student,
                    )
                    for n in range(8)
                )
            )

            assert Counter(r.status_code for r in responses) == {201: 3, 409: 5}, round_
            for response in responses:
                if response.status_code == 409:
                    assert problem(response, 409)["code"] in (
                        "too-many-holds",
                        "too-many-holds-with-tutor",
                    )
            held = await my_bookings(client, student, status="held")
            assert len(held) == 3
            assert max(Counter(b["tutor_id"] for b in held).values()) == 2
            clock.advance(timedelta(minutes=16))
