"""The staff's lists of everyone's enrollments and reviews over HTTP, on SQLite and
PostgreSQL: newest first in cursor pages, each filter, and who may read them."""

from __future__ import annotations

from typing import Any

from tests.integration.http.learning.helpers import enroll
from tests.support.catalog import headers_of, published_course, seed_people
from tests.support.identity import problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

ADMIN_ENROLLMENTS = "/api/v1/admin/enrollments"
ADMIN_REVIEWS = "/api/v1/admin/reviews"


async def every_page(
    client: Any, path: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        items.extend(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def me(client: Any, headers: dict[str, str]) -> str:
    return str((await client.get("/api/v1/me", headers=headers)).json()["id"])


async def test_staff_list_everyone_s_enrollments(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    await seed_accounts(settings, ("second@catalog.test", Role.STUDENT))
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student, second = await headers_of(client, "student"), await headers_of(client, "second")
    first_course = await published_course(client, tutor, manager, title="First")
    other_course = await published_course(client, tutor, manager, title="Other")
    a = await enroll(client, student, first_course["id"])
    b = await enroll(client, second, first_course["id"])
    c = await enroll(client, student, other_course["id"])
    second_id = await me(client, second)
    granted = await client.post(
        ADMIN_ENROLLMENTS,
        json={"user_id": second_id, "course_id": other_course["id"]},
        headers=admin,
    )
    assert granted.status_code == 201, granted.text
    d = granted.json()

    everything = await every_page(client, ADMIN_ENROLLMENTS, manager, limit=3)
    assert [item["id"] for item in everything] == [d["id"], c["id"], b["id"], a["id"]]
    assert everything[0]["student_id"] == second_id
    assert everything[0]["student_email"] == "second@catalog.test"
    assert everything[0]["course"]["title"] == "Other"
    assert everything[0]["source"] == "grant"

    def ids(items: list[dict[str, Any]]) -> list[str]:
        return [item["id"] for item in items]

    assert ids(
        await every_page(client, ADMIN_ENROLLMENTS, manager, course_id=first_course["id"])
    ) == [b["id"], a["id"]]
    assert ids(await every_page(client, ADMIN_ENROLLMENTS, manager, student_id=second_id)) == [
        d["id"],
        b["id"],
    ]
    assert ids(await every_page(client, ADMIN_ENROLLMENTS, manager, source="grant")) == [d["id"]]
    revoked = await client.post(
        f"{ADMIN_ENROLLMENTS}/{a['id']}/revoke", json={"reason": "Refunded."}, headers=admin
    )
    assert revoked.status_code == 200, revoked.text
    assert ids(await every_page(client, ADMIN_ENROLLMENTS, manager, status="revoked")) == [a["id"]]


async def test_moderators_list_every_review(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    await seed_accounts(settings, ("second@catalog.test", Role.STUDENT))
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    student, second = await headers_of(client, "student"), await headers_of(client, "second")
    course = await published_course(client, tutor, manager, title="Reviewed")
    other = await published_course(client, tutor, manager, title="Also reviewed")
    written = []
    for headers, key, rating in ((student, course, 5), (second, course, 1), (student, other, 2)):
        await enroll(client, headers, key["id"])
        response = await client.post(
            f"/api/v1/courses/{key['id']}/reviews", json={"rating": rating}, headers=headers
        )
        assert response.status_code == 201, response.text
        written.append(response.json()["id"])
    hidden = await client.post(
        f"/api/v1/reviews/{written[1]}/hide", json={"reason": "Spam"}, headers=manager
    )
    assert hidden.status_code == 200, hidden.text

    def ids(items: list[dict[str, Any]]) -> list[str]:
        return [item["id"] for item in items]

    newest_first = list(reversed(written))
    assert ids(await every_page(client, ADMIN_REVIEWS, manager, limit=1)) == newest_first
    assert ids(await every_page(client, ADMIN_REVIEWS, manager, hidden=True)) == [written[1]]
    assert ids(await every_page(client, ADMIN_REVIEWS, manager, hidden=False)) == [
        written[2],
        written[0],
    ]
    assert ids(await every_page(client, ADMIN_REVIEWS, manager, rating_max=2)) == [
        written[2],
        written[1],
    ]
    assert ids(await every_page(client, ADMIN_REVIEWS, manager, course_id=other["id"])) == [
        written[2]
    ]
    second_id = await me(client, second)
    assert ids(await every_page(client, ADMIN_REVIEWS, manager, author_id=second_id)) == [
        written[1]
    ]


async def test_only_staff_read_the_lists(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    for path in (ADMIN_ENROLLMENTS, ADMIN_REVIEWS):
        for name in ("student", "tutor"):
            response = await client.get(path, headers=await headers_of(client, name))
            problem(response, 403, "permission-denied")
        problem(await client.get(path), 401)


async def test_bad_filters_are_400s(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    manager = await headers_of(client, "manager")
    for path, params in (
        (ADMIN_ENROLLMENTS, {"status": "lost"}),
        (ADMIN_ENROLLMENTS, {"source": "stolen"}),
        (ADMIN_ENROLLMENTS, {"course_id": "x"}),
        (ADMIN_REVIEWS, {"rating_max": 0}),
        (ADMIN_REVIEWS, {"rating_max": 6}),
        (ADMIN_REVIEWS, {"hidden": "maybe"}),
        (ADMIN_REVIEWS, {"limit": 101}),
    ):
        problem(await client.get(path, params=params, headers=manager), 400)
    for path in (ADMIN_ENROLLMENTS, ADMIN_REVIEWS):
        response = await client.get(path, params={"cursor": "x"}, headers=manager)
        problem(response, 400, "invalid-parameter")
