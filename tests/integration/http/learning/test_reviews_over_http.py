"""Course reviews over HTTP, on SQLite and PostgreSQL: only enrolled students review, once each;
authors edit and delete their own, staff delete and hide any (audited), instructors reply once;
hidden reviews leave the public list and the rating. The course's rating stays exact after
every change, and when many students review, edit and delete at the same moment."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Coroutine
from statistics import mean
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.integration.http.learning.helpers import enroll
from tests.support.catalog import (
    COURSES,
    add_co_instructor,
    approve_tutors,
    headers_of,
    published_course,
    seed_people,
)
from tests.support.identity import problem, seed_accounts

from elearn.adapters.persistence.database import create_engine, is_sqlite
from elearn.adapters.persistence.models.catalog import CourseRow
from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

REVIEWS = "/api/v1/reviews"
AUDIT = "/api/v1/admin/audit-log"
MISSING = "00000000-0000-4000-8000-000000000000"


def in_parallel(request: Coroutine[Any, Any, Any]) -> Awaitable[Any]:
    """Sends a request from a thread of its own. The test client serves each request to the
    end before it returns, blocking the test's loop, so only requests sent from different
    threads run at the same moment."""
    return asyncio.to_thread(asyncio.run, request)


async def stored_rating(settings: Settings, course_id: str) -> tuple[float, int]:
    engine = create_engine(settings.effective_database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(CourseRow.rating_average, CourseRow.rating_count).where(
                        CourseRow.id == uuid.UUID(course_id)
                    )
                )
            ).one()
            return float(row.rating_average), int(row.rating_count)
    finally:
        await engine.dispose()


async def assert_rating(
    client: Any, settings: Settings, course_id: str, ratings: list[int]
) -> None:
    """The course shows the count and the mean (to two places) of ``ratings``, and stores the
    mean exactly."""
    response = await client.get(f"{COURSES}/{course_id}")
    assert response.status_code == 200, response.text
    course = response.json()
    assert course["rating_count"] == len(ratings), (course["rating_count"], ratings)
    average, count = await stored_rating(settings, course_id)
    assert count == len(ratings)
    if ratings:
        assert abs(course["rating_average"] - round(mean(ratings), 2)) < 1e-9, course
        assert abs(average - mean(ratings)) < 1e-9, (average, ratings)
    else:
        assert course["rating_average"] is None
        assert average == 0


async def listed(client: Any, course_id: str, headers: dict[str, str] | None = None) -> list[Any]:
    response = await client.get(f"{COURSES}/{course_id}/reviews", headers=headers or {})
    assert response.status_code == 200, response.text
    return [(r["author_name"], r["rating"], r["hidden"]) for r in response.json()["items"]]


async def test_reviews_from_writing_to_hiding_keep_the_rating_exact(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    await seed_accounts(
        settings,
        ("ann@catalog.test", Role.STUDENT),
        ("bob@catalog.test", Role.STUDENT),
        ("cat@catalog.test", Role.STUDENT),
    )
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student = await headers_of(client, "student")
    ann = await headers_of(client, "ann")
    bob = await headers_of(client, "bob")  # never enrolls
    cat = await headers_of(client, "cat")  # enrolls, then loses the course
    course = (await published_course(client, tutor, manager))["id"]
    writing = f"{COURSES}/{course}/reviews"
    await enroll(client, student, course)
    await enroll(client, ann, course)
    revoked = await client.post(
        f"/api/v1/admin/enrollments/{(await enroll(client, cat, course))['id']}/revoke",
        json={"reason": "refund"},
        headers=admin,
    )
    assert revoked.status_code == 200, revoked.text
    await assert_rating(client, settings, course, [])

    # ---- who may write, and what ---------------------------------------------------------------
    problem(await client.post(writing, json={"rating": 5}), 401)
    for outsider in (bob, cat, tutor, manager):
        problem(
            await client.post(writing, json={"rating": 5}, headers=outsider), 403, "not-enrolled"
        )
    for bad in (
        {"rating": 0},
        {"rating": 6},
        {"rating": 4.5},
        {"text": "no rating"},
        {"rating": 4, "text": "x" * 5001},
        {"rating": 4, "stars": 4},
    ):
        problem(await client.post(writing, json=bad, headers=student), 400, "invalid-request")
    problem(
        await client.post(f"{COURSES}/{MISSING}/reviews", json={"rating": 5}, headers=student),
        404,
    )
    await assert_rating(client, settings, course, [])

    written = await client.post(
        writing, json={"rating": 5, "text": "  Great course.  "}, headers=student
    )
    assert written.status_code == 201, written.text
    mine = written.json()
    assert (mine["rating"], mine["text"], mine["author_name"]) == (5, "Great course.", "student")
    assert (mine["hidden"], mine["reply"], mine["course_id"]) == (False, None, course)
    problem(
        await client.post(writing, json={"rating": 1}, headers=student), 409, "already-reviewed"
    )
    await assert_rating(client, settings, course, [5])
    theirs = await client.post(writing, json={"rating": 2}, headers=ann)
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["text"] is None
    ann_review = f"{REVIEWS}/{theirs.json()['id']}"
    my_review = f"{REVIEWS}/{mine['id']}"
    await assert_rating(client, settings, course, [5, 2])
    assert await listed(client, course) == [("ann", 2, False), ("student", 5, False)]

    # ---- editing: the author only; left-out fields stay, text null clears ---------------------
    edited = await client.patch(ann_review, json={"rating": 3}, headers=ann)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["rating"], edited.json()["text"]) == (3, None)
    await assert_rating(client, settings, course, [5, 3])
    edited = await client.patch(my_review, json={"text": "Even better."}, headers=student)
    assert (edited.json()["rating"], edited.json()["text"]) == (5, "Even better.")
    edited = await client.patch(my_review, json={"text": None}, headers=student)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["rating"], edited.json()["text"]) == (5, None)
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": None}):
        problem(await client.patch(my_review, json=bad, headers=student), 400)
    problem(await client.patch(my_review, json={"rating": 1}), 401)
    for other in (ann, tutor, manager):
        problem(
            await client.patch(my_review, json={"rating": 1}, headers=other),
            403,
            "permission-denied",
        )
    problem(
        await client.patch(f"{REVIEWS}/{MISSING}", json={"rating": 1}, headers=student),
        404,
        "review-not-found",
    )
    await assert_rating(client, settings, course, [5, 3])

    # ---- replies: one, by one of the course's instructors ------------------------------------
    for outsider in (student, ann, cotutor, manager):
        problem(
            await client.post(f"{my_review}/reply", json={"text": "Hi"}, headers=outsider),
            403,
            "permission-denied",
        )
    problem(await client.post(f"{my_review}/reply", json={"text": ""}, headers=tutor), 400)
    problem(
        await client.post(f"{my_review}/reply", json={"text": "   "}, headers=tutor),
        422,
        "invalid-review",
    )
    replied = await client.post(f"{my_review}/reply", json={"text": "Thank you!"}, headers=tutor)
    assert replied.status_code == 200, replied.text
    assert replied.json()["reply"] == "Thank you!" and replied.json()["replied_at"]
    problem(
        await client.post(f"{my_review}/reply", json={"text": "Again"}, headers=tutor),
        409,
        "already-replied",
    )
    await add_co_instructor(client, tutor, str(course), cotutor)
    replied = await client.post(f"{ann_review}/reply", json={"text": "Noted."}, headers=cotutor)
    assert replied.status_code == 200, replied.text
    problem(
        await client.post(f"{ann_review}/reply", json={"text": "Me too"}, headers=tutor),
        409,
        "already-replied",
    )
    await assert_rating(client, settings, course, [5, 3])

    # ---- hiding: staff only; out of the public list and the rating, audited ---------------------
    problem(await client.post(f"{my_review}/hide", json={}), 401)
    for not_staff in (student, ann, tutor, cotutor):
        problem(
            await client.post(f"{my_review}/hide", json={}, headers=not_staff),
            403,
            "permission-denied",
        )
    hidden = await client.post(f"{my_review}/hide", json={"reason": "Spam"}, headers=manager)
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hidden"] is True
    await assert_rating(client, settings, course, [3])
    for public in (None, bob, student, ann):
        assert await listed(client, course, public) == [("ann", 3, False)]
    for privileged in (tutor, cotutor, manager, admin):
        assert await listed(client, course, privileged) == [
            ("ann", 3, False),
            ("student", 5, True),
        ]
    # Others are told a hidden review does not exist; its author may still edit it, unseen.
    problem(await client.patch(my_review, json={"rating": 1}, headers=ann), 404, "review-not-found")
    edited = await client.patch(my_review, json={"rating": 1}, headers=student)
    assert edited.status_code == 200, edited.text
    assert edited.json()["hidden"] is True
    await assert_rating(client, settings, course, [3])

    shown = await client.post(f"{my_review}/hide", json={"hidden": False}, headers=admin)
    assert shown.status_code == 200, shown.text
    assert shown.json()["hidden"] is False
    await assert_rating(client, settings, course, [1, 3])
    assert await listed(client, course) == [("ann", 3, False), ("student", 1, False)]

    manager_id = (await client.get("/api/v1/me", headers=manager)).json()["id"]
    admin_id = (await client.get("/api/v1/me", headers=admin)).json()["id"]
    audit = await client.get(AUDIT, params={"target_id": mine["id"]}, headers=admin)
    assert audit.status_code == 200, audit.text
    entries = list(reversed(audit.json()["items"]))
    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("review.hidden", manager_id),
        ("review.shown", admin_id),
    ]
    assert entries[0]["target_type"] == "review"
    assert entries[0]["details"]["reason"] == "Spam"
    assert entries[0]["details"]["course_id"] == course

    # ---- deleting: the author or staff ---------------------------------------------------------
    for other in (ann, tutor, bob):
        problem(await client.delete(my_review, headers=other), 403, "permission-denied")
    problem(await client.delete(my_review), 401)
    deleted = await client.delete(my_review, headers=student)
    assert deleted.status_code == 204, deleted.text
    problem(await client.delete(my_review, headers=student), 404, "review-not-found")
    await assert_rating(client, settings, course, [3])
    deleted = await client.delete(ann_review, headers=manager)
    assert deleted.status_code == 204, deleted.text
    await assert_rating(client, settings, course, [])
    assert await listed(client, course, tutor) == []
    # Having deleted it, the student may review again.
    again = await client.post(writing, json={"rating": 4}, headers=student)
    assert again.status_code == 201, again.text
    await assert_rating(client, settings, course, [4])


async def test_concurrent_reviews_edits_and_deletions_keep_the_rating_exact(
    client: Any, settings: Settings
) -> None:
    names = [f"s{n}" for n in range(7)]
    await seed_accounts(
        settings,
        ("tutor@catalog.test", Role.TUTOR),
        ("manager@catalog.test", Role.MANAGER),
        *((f"{name}@catalog.test", Role.STUDENT) for name in names),
    )
    await approve_tutors(settings, "tutor@catalog.test")
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = (await published_course(client, tutor, manager))["id"]
    students = [await headers_of(client, name) for name in names]
    for headers in students:
        await enroll(client, headers, course)

    ratings = [5, 4, 4, 3, 5, 1, 2]  # a mean of 24/7, not exact in two places
    written = await asyncio.gather(
        *(
            in_parallel(client.post(f"{COURSES}/{course}/reviews", json={"rating": r}, headers=h))
            for r, h in zip(ratings, students, strict=True)
        )
    )
    assert [w.status_code for w in written] == [201] * 7, [w.text for w in written]
    await assert_rating(client, settings, course, ratings)
    assert sorted(r[1] for r in await listed(client, course)) == sorted(ratings)

    # At once: four edits, two deletions by their authors and one hiding by staff.
    ids = [w.json()["id"] for w in written]
    changes = await asyncio.gather(
        *(
            in_parallel(
                client.patch(f"{REVIEWS}/{ids[n]}", json={"rating": r}, headers=students[n])
            )
            for n, r in enumerate([1, 1, 2, 5])
        ),
        in_parallel(client.delete(f"{REVIEWS}/{ids[4]}", headers=students[4])),
        in_parallel(client.delete(f"{REVIEWS}/{ids[5]}", headers=students[5])),
        in_parallel(client.post(f"{REVIEWS}/{ids[6]}/hide", json={}, headers=manager)),
    )
    assert [c.status_code for c in changes] == [200] * 4 + [204, 204, 200]
    await assert_rating(client, settings, course, [1, 1, 2, 5])


async def waiting_for_locks(settings: Settings, count: int) -> None:
    """Until ``count`` PostgreSQL transactions wait for a lock."""
    engine = create_engine(settings.effective_database_url, pool_size=1)
    try:
        for _ in range(200):
            async with engine.connect() as connection:
                waiting = await connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            if waiting >= count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{waiting} transactions wait for a lock, expected {count}")
    finally:
        await engine.dispose()


async def test_an_edit_queued_behind_a_deletion_is_told_the_review_is_gone(
    client: Any, settings: Settings
) -> None:
    """Staff delete a review while its author edits it: the edit waits for the course's lock,
    then must find the review gone (404), not fail."""
    if is_sqlite(settings.effective_database_url):
        pytest.skip("SQLite runs one writing transaction at a time: nothing interleaves")
    await seed_accounts(
        settings,
        ("tutor@catalog.test", Role.TUTOR),
        ("manager@catalog.test", Role.MANAGER),
        ("student@catalog.test", Role.STUDENT),
    )
    await approve_tutors(settings, "tutor@catalog.test")
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course = (await published_course(client, tutor, manager))["id"]
    await enroll(client, student, course)
    written = await client.post(f"{COURSES}/{course}/reviews", json={"rating": 5}, headers=student)
    review = f"{REVIEWS}/{written.json()['id']}"

    # Hold the course's row lock, queue the deletion and then the edit behind it, let go.
    engine = create_engine(settings.effective_database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(
                select(CourseRow.id).where(CourseRow.id == uuid.UUID(course)).with_for_update()
            )
            deletion = asyncio.ensure_future(in_parallel(client.delete(review, headers=manager)))
            await waiting_for_locks(settings, 1)
            edit = asyncio.ensure_future(
                in_parallel(client.patch(review, json={"rating": 1}, headers=student))
            )
            await waiting_for_locks(settings, 2)
            await transaction.commit()
    finally:
        await engine.dispose()
    assert (await deletion).status_code == 204
    problem(await edit, 404, "review-not-found")
    await assert_rating(client, settings, course, [])
