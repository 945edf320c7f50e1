"""The staff's list of courses over HTTP, on SQLite and PostgreSQL: the review queue (pending
courses, the longest waiting first) in cursor pages, the other states most recently changed
first, the instructor filter, the counts per state, and who may read them."""

from __future__ import annotations

from typing import Any

from tests.support.catalog import (
    add_lesson,
    add_section,
    create_course,
    headers_of,
    move,
    seed_people,
)
from tests.support.identity import problem

from elearn.entrypoints.settings import Settings

ADMIN_COURSES = "/api/v1/admin/courses"
COUNTS = f"{ADMIN_COURSES}/counts"


async def submitted(client: Any, tutor: dict[str, str], title: str) -> str:
    course = await create_course(client, tutor, title=title)
    section = await add_section(client, tutor, course["id"])
    await add_lesson(client, tutor, section["id"])
    response = await move(client, tutor, course["id"], "submit")
    assert response.status_code == 200, response.text
    return str(course["id"])


async def every_page(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(ADMIN_COURSES, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= params.get("limit", 20)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_the_review_queue_runs_oldest_submitted_first_in_pages(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    queue = [
        await submitted(client, tutor if n % 2 else cotutor, f"Queued course {n}") for n in range(5)
    ]
    draft = await create_course(client, tutor, title="Still a draft")

    items = await every_page(client, manager, status="pending", limit=2)

    assert [item["id"] for item in items] == queue
    assert all(item["status"] == "pending" for item in items)
    stamps = [item["submitted_at"] for item in items]
    assert None not in stamps and stamps == sorted(stamps)
    first = items[0]
    assert first["title"] == "Queued course 0"
    assert first["instructor"]["name"]
    assert first["is_free"] is True and first["price"] is None
    assert draft["id"] not in {item["id"] for item in items}


async def test_other_states_come_most_recently_changed_first(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, admin = await headers_of(client, "tutor"), await headers_of(client, "admin")
    rejected = await submitted(client, tutor, "To be rejected")
    older = await create_course(client, tutor, title="Older draft")
    newer = await create_course(client, tutor, title="Newer draft")
    response = await move(client, admin, rejected, "reject", reason="Needs more lessons.")
    assert response.status_code == 200, response.text

    drafts = await every_page(client, admin, status="draft", limit=1)
    assert [item["id"] for item in drafts] == [newer["id"], older["id"]]

    everything = await every_page(client, admin)
    assert [item["id"] for item in everything] == [rejected, newer["id"], older["id"]]
    assert everything[0]["status"] == "rejected"
    assert everything[0]["rejection_reason"] == "Needs more lessons."


async def test_the_instructor_filter_keeps_what_that_person_teaches(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    mine = await create_course(client, tutor, title="Tutor's course")
    await create_course(client, cotutor, title="Cotutor's course")
    tutor_id = (await client.get("/api/v1/me", headers=tutor)).json()["id"]

    items = await every_page(client, manager, instructor_id=tutor_id)

    assert [item["id"] for item in items] == [mine["id"]]
    assert items[0]["instructor"]["id"] == tutor_id
    nobody = "00000000-0000-4000-8000-000000000000"
    assert await every_page(client, manager, instructor_id=nobody) == []


async def test_the_counts_cover_every_state_zeros_included(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")

    response = await client.get(COUNTS, headers=manager)
    assert response.status_code == 200, response.text
    assert response.json() == dict.fromkeys(
        ("draft", "pending", "approved", "rejected", "published", "archived"), 0
    )

    await submitted(client, tutor, "One")
    approved = await submitted(client, tutor, "Two")
    assert (await move(client, manager, approved, "approve")).status_code == 200
    await create_course(client, tutor, title="Three")

    counts = (await client.get(COUNTS, headers=manager)).json()
    assert counts == {
        "draft": 1,
        "pending": 1,
        "approved": 1,
        "rejected": 0,
        "published": 0,
        "archived": 0,
    }


async def test_only_staff_read_the_lists(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    for name in ("student", "tutor"):
        headers = await headers_of(client, name)
        problem(await client.get(ADMIN_COURSES, headers=headers), 403, "permission-denied")
        problem(await client.get(COUNTS, headers=headers), 403, "permission-denied")
    problem(await client.get(ADMIN_COURSES), 401)
    problem(await client.get(COUNTS), 401)


async def test_bad_parameters_are_400s(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    manager = await headers_of(client, "manager")
    for params in (
        {"status": "in_review"},
        {"instructor_id": "not-a-uuid"},
        {"limit": 0},
        {"limit": 101},
    ):
        problem(await client.get(ADMIN_COURSES, params=params, headers=manager), 400)
    for cursor in ("garbage", "eyJhIjoxfQ"):
        response = await client.get(ADMIN_COURSES, params={"cursor": cursor}, headers=manager)
        problem(response, 400, "invalid-parameter")
