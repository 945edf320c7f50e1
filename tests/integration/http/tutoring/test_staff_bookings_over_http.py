"""The staff's list of everyone's bookings over HTTP, on SQLite and PostgreSQL: latest start
first in cursor pages, the filters by tutor, student, state and start, no meeting link for
staff, and who may read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    at,
    book,
    iso,
    make_tutor,
    served,
    tutoring_settings,
    user_id,
    weekly,
)
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem

from elearn.entrypoints.settings import Settings

ADMIN_BOOKINGS = "/api/v1/admin/bookings"
EVERY_DAY = range(7)


async def every_page(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(ADMIN_BOOKINGS, params=query, headers=headers)
        assert response.status_code == 200, response.text
        items.extend(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def test_staff_list_everyone_s_bookings_with_filters(settings: Settings) -> None:
    settings = tutoring_settings(settings, unpaid_holds_per_student=5, unpaid_holds_per_tutor=5)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, _container):
        tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
        student, manager = await headers_of(client, "student"), await headers_of(client, "manager")
        tutor_id, cotutor_id = await user_id(client, tutor), await user_id(client, cotutor)
        student_id = await user_id(client, student)
        for headers in (tutor, cotutor):
            await make_tutor(
                client,
                headers,
                windows=weekly("08:00", "18:00", EVERY_DAY),
                meeting_url="https://meet.example.com/room",
            )
        day = (clock.now() + timedelta(days=3)).date()
        first = await book(client, student, tutor_id, at(day, "09:00"))
        second = await book(client, student, cotutor_id, at(day, "11:00"))
        third = await book(client, student, tutor_id, at(day, "14:00"))
        cancelled = await client.post(
            f"/api/v1/bookings/{first['id']}/cancel",
            json={"reason": "Plans changed."},
            headers=student,
        )
        assert cancelled.status_code == 200, cancelled.text

        everything = await every_page(client, manager, limit=1)
        assert [b["id"] for b in everything] == [third["id"], second["id"], first["id"]]
        assert all(b["meeting_url"] is None for b in everything)

        by_tutor = await every_page(client, manager, tutor_id=tutor_id)
        assert [b["id"] for b in by_tutor] == [third["id"], first["id"]]
        assert [b["id"] for b in await every_page(client, manager, student_id=student_id)] == [
            third["id"],
            second["id"],
            first["id"],
        ]
        assert await every_page(client, manager, student_id=tutor_id) == []
        held = await every_page(client, manager, status="held")
        assert [b["id"] for b in held] == [third["id"], second["id"]]
        morning = await every_page(
            client, manager, **{"from": iso(at(day, "08:00")), "to": iso(at(day, "11:00"))}
        )
        assert [b["id"] for b in morning] == [first["id"]]


async def test_only_staff_list_everyone_s_bookings(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    for name in ("student", "tutor"):
        response = await client.get(ADMIN_BOOKINGS, headers=await headers_of(client, name))
        problem(response, 403, "permission-denied")
    problem(await client.get(ADMIN_BOOKINGS), 401)


async def test_bad_filters_are_refused(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    admin = await headers_of(client, "admin")
    for params in ({"status": "lost"}, {"tutor_id": "x"}, {"from": "yesterday"}, {"limit": 0}):
        problem(await client.get(ADMIN_BOOKINGS, params=params, headers=admin), 400)
    problem(
        await client.get(ADMIN_BOOKINGS, params={"cursor": "nonsense"}, headers=admin),
        400,
        "invalid-parameter",
    )
    empty = {"from": "2027-01-02T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
    problem(await client.get(ADMIN_BOOKINGS, params=empty, headers=admin), 422, "invalid-input")
