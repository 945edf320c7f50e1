"""Enrollment over HTTP, on SQLite and PostgreSQL: who may enroll in what (verified email, open
course, price, instructors, prerequisites), the course's enrollment count through every way in
and out (enrolling, leaving, coming back, an administrator's grant and revocation, concurrent
requests), the student's own list and the course's list of students."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from tests.integration.http.learning.helpers import LESSONS, enroll
from tests.support.apps import app_for
from tests.support.catalog import (
    COURSES,
    add_lesson,
    add_section,
    create_course,
    headers_of,
    move,
    seed_people,
)
from tests.support.identity import (
    bearer,
    login,
    problem,
    register_student,
    seed_accounts,
)

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

ME = "/api/v1/me/enrollments"
GRANTS = "/api/v1/admin/enrollments"


# ---- helpers ---------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def racing_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app served on this test's own event loop. The ``client`` fixture runs each request
    to completion in its portal thread, so requests gathered on it never overlap; these do."""
    app = app_for(settings, run_background=False)
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as racing,
    ):
        # Open the pool's connections now, so that no racer is held back opening its own.
        warm = await asyncio.gather(*(racing.get(COURSES) for _ in range(5)))
        assert all(r.status_code == 200 for r in warm)
        yield racing


async def open_course(
    client: Any,
    tutor: dict[str, str],
    manager: dict[str, str] | None,
    *,
    lessons: int = 2,
    **fields: Any,
) -> tuple[dict[str, Any], list[str]]:
    """A course with ``lessons`` required text lessons; published when ``manager`` is given
    (a draft otherwise). Returns its detail and its lesson ids."""
    course = await create_course(client, tutor, **fields)
    section = await add_section(client, tutor, course["id"])
    lesson_ids = [
        (await add_lesson(client, tutor, section["id"], title=f"Lesson {n}"))["id"]
        for n in range(lessons)
    ]
    if manager is not None:
        for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
            response = await move(client, headers, course["id"], action)
            assert response.status_code == 200, response.text
    return await detail(client, tutor, course["id"]), lesson_ids


async def detail(client: Any, headers: dict[str, str], key: str) -> dict[str, Any]:
    response = await client.get(f"{COURSES}/{key}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def count_of(client: Any, headers: dict[str, str], course_id: str) -> int:
    return int((await detail(client, headers, course_id))["enrollment_count"])


async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def complete(client: Any, headers: dict[str, str], lesson_id: str) -> dict[str, Any]:
    response = await client.put(
        f"{LESSONS}/{lesson_id}/progress", json={"completed": True}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def enroll_url(key: str) -> str:
    return f"{COURSES}/{key}/enroll"


async def my_enrollments(client: Any, headers: dict[str, str], **params: Any) -> Any:
    return await client.get(ME, params=params, headers=headers)


# ---- who may enroll --------------------------------------------------------------------------
async def test_who_may_enroll_in_which_course(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    cotutor_id = await user_id(client, cotutor)

    free, _ = await open_course(client, tutor, manager, lessons=1, title="Free Course")
    response = await client.patch(
        f"{COURSES}/{free['id']}", json={"co_instructor_ids": [cotutor_id]}, headers=tutor
    )
    assert response.status_code == 200, response.text

    # Anonymous callers and unknown courses.
    problem(await client.post(enroll_url(free["id"])), 401)
    problem(await client.post(enroll_url(str(uuid.uuid4())), headers=student), 404)
    problem(await client.post(enroll_url("no-such-course"), headers=student), 404)
    assert await count_of(client, tutor, free["id"]) == 0

    # A verified student, by id: active, nothing done yet; a second time is a conflict.
    enrollment = await enroll(client, student, free["id"])
    assert enrollment["status"] == "active"
    assert enrollment["progress_percent"] == 0
    assert enrollment["source"] == "self"
    assert enrollment["course"]["id"] == free["id"]
    assert enrollment["last_lesson_id"] is None
    assert enrollment["certificate_id"] is None
    problem(await client.post(enroll_url(free["id"]), headers=student), 409, "already-enrolled")
    problem(await client.post(enroll_url(free["slug"]), headers=student), 409, "already-enrolled")
    assert await count_of(client, tutor, free["id"]) == 1

    # By slug.
    other, _ = await open_course(client, tutor, manager, lessons=1, title="Slug Course")
    by_slug = await client.post(enroll_url(other["slug"]), headers=student)
    assert by_slug.status_code == 201, by_slug.text
    assert by_slug.json()["course"]["id"] == other["id"]
    assert by_slug.json()["course"]["slug"] == other["slug"]

    # The course's own instructors cannot enroll in it.
    for instructor in (tutor, cotutor):
        problem(
            await client.post(enroll_url(free["id"]), headers=instructor),
            422,
            "instructor-cannot-enroll",
        )

    # An unverified email is refused, and nothing is counted.
    await register_student(client, "fresh@catalog.test")
    fresh = bearer(await login(client, "fresh@catalog.test"))
    problem(await client.post(enroll_url(free["id"]), headers=fresh), 403, "email-not-verified")
    assert await count_of(client, tutor, free["id"]) == 1

    # Drafts and courses under review do not exist for students; their instructor is told
    # the course is not open.
    draft, _ = await open_course(client, tutor, None, lessons=1, title="Draft Course")
    problem(await client.post(enroll_url(draft["id"]), headers=student), 404, "course-not-found")
    problem(await client.post(enroll_url(draft["id"]), headers=tutor), 422, "course-not-open")
    assert (await move(client, tutor, draft["id"], "submit")).status_code == 200
    problem(await client.post(enroll_url(draft["id"]), headers=student), 404, "course-not-found")
    problem(await client.post(enroll_url(draft["slug"]), headers=student), 404)
    assert await count_of(client, tutor, draft["id"]) == 0

    # A paid course is bought, not enrolled in: where to buy it comes with the answer.
    paid, _ = await open_course(
        client,
        tutor,
        manager,
        lessons=1,
        title="Paid Course",
        free=False,
        price={"amount": 2500, "currency": "USD"},
    )
    body = problem(await client.post(enroll_url(paid["id"]), headers=student), 402)
    assert body["code"] == "payment-required"
    assert body["checkout"] == {
        "url": "/api/v1/checkout",
        "method": "POST",
        "item": {"kind": "course", "course_id": paid["id"]},
    }
    mine = (await my_enrollments(client, student)).json()["items"]
    assert {e["course"]["id"] for e in mine} == {free["id"], other["id"]}
    assert await count_of(client, tutor, paid["id"]) == 0

    # Prerequisites: B needs A completed.
    first, first_lessons = await open_course(client, tutor, manager, title="Course A")
    second, _ = await open_course(client, tutor, None, title="Course B")
    response = await client.patch(
        f"{COURSES}/{second['id']}", json={"prerequisite_ids": [first["id"]]}, headers=tutor
    )
    assert response.status_code == 200, response.text
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        assert (await move(client, headers, second["id"], action)).status_code == 200

    body = problem(await client.post(enroll_url(second["id"]), headers=student), 422)
    assert body["code"] == "prerequisites-missing"
    assert body["missing_courses"] == [first["id"]]

    # Enrolled in A but half way through: still missing.
    await enroll(client, student, first["id"])
    done = await complete(client, student, first_lessons[0])
    assert (done["course_progress_percent"], done["enrollment_status"]) == (50, "active")
    body = problem(await client.post(enroll_url(second["slug"]), headers=student), 422)
    assert body["missing_courses"] == [first["id"]]
    assert await count_of(client, tutor, second["id"]) == 0

    # A completed: B opens.
    done = await complete(client, student, first_lessons[1])
    assert (done["course_progress_percent"], done["enrollment_status"]) == (100, "completed")
    enrollment = await enroll(client, student, second["id"])
    assert enrollment["status"] == "active"
    assert await count_of(client, tutor, second["id"]) == 1


# ---- the count through every way in and out -------------------------------------------------
async def test_the_enrollment_count_stays_exact_through_every_way_in_and_out(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    s2_id, _ = (
        str(i)
        for i in await seed_accounts(
            settings, ("s2@catalog.test", Role.STUDENT), ("s3@catalog.test", Role.STUDENT)
        )
    )
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student = await headers_of(client, "student")
    s2 = await headers_of(client, "s2")
    s3 = await headers_of(client, "s3")
    tutor_id = await user_id(client, tutor)
    course, lessons = await open_course(client, tutor, manager)
    key = course["id"]

    async def count() -> int:
        return await count_of(client, tutor, key)

    # Enroll, leave, leave again, come back.
    await enroll(client, student, key)
    assert await count() == 1
    left = await client.delete(enroll_url(key), headers=student)
    assert left.status_code == 204, left.text
    assert await count() == 0
    assert (await my_enrollments(client, student)).json()["items"] == []
    problem(await client.delete(enroll_url(key), headers=student), 404, "enrollment-not-found")
    problem(await client.delete(enroll_url(key), headers=s3), 404, "enrollment-not-found")
    problem(await client.delete(enroll_url(key)), 401)
    await enroll(client, student, key)
    assert await count() == 1

    # An administrator's grant: counted, audited, not to be left.
    problem(await client.post(GRANTS, json={"user_id": s2_id, "course_id": key}), 401)
    for outsider in (tutor, student):
        problem(
            await client.post(GRANTS, json={"user_id": s2_id, "course_id": key}, headers=outsider),
            403,
        )
    problem(
        await client.post(
            GRANTS, json={"user_id": str(uuid.uuid4()), "course_id": key}, headers=admin
        ),
        404,
        "user-not-found",
    )
    problem(
        await client.post(
            GRANTS, json={"user_id": s2_id, "course_id": str(uuid.uuid4())}, headers=admin
        ),
        404,
    )
    problem(
        await client.post(GRANTS, json={"user_id": tutor_id, "course_id": key}, headers=admin),
        422,
        "instructor-cannot-enroll",
    )
    draft, _ = await open_course(client, tutor, None, lessons=1, title="Still a draft")
    problem(
        await client.post(GRANTS, json={"user_id": s2_id, "course_id": draft["id"]}, headers=admin),
        422,
        "course-not-open",
    )
    problem(await client.post(GRANTS, json={"user_id": s2_id}, headers=admin), 400)
    problem(
        await client.post(GRANTS, json={"user_id": "nope", "course_id": key}, headers=admin), 400
    )
    assert await count() == 1

    granted = await client.post(GRANTS, json={"user_id": s2_id, "course_id": key}, headers=admin)
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    assert (grant["status"], grant["source"]) == ("active", "grant")
    assert await count() == 2
    problem(
        await client.post(GRANTS, json={"user_id": s2_id, "course_id": key}, headers=admin),
        409,
        "already-enrolled",
    )
    problem(await client.post(enroll_url(key), headers=s2), 409, "already-enrolled")
    problem(await client.delete(enroll_url(key), headers=s2), 409, "cannot-leave")
    assert await count() == 2

    # Revocation: counted, audited, access gone, not twice.
    revoke_url = f"{GRANTS}/{grant['id']}/revoke"
    problem(await client.post(revoke_url, json={}, headers=tutor), 403)
    problem(await client.post(f"{GRANTS}/{uuid.uuid4()}/revoke", json={}, headers=admin), 404)
    revoked = await client.post(revoke_url, json={"reason": "support case"}, headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert await count() == 1
    problem(await client.post(revoke_url, json={}, headers=admin), 409)
    assert await count() == 1
    problem(await client.get(f"{LESSONS}/{lessons[0]}", headers=s2), 403, "not-enrolled")
    problem(await client.delete(enroll_url(key), headers=s2), 404, "enrollment-not-found")
    (listed,) = (await my_enrollments(client, s2)).json()["items"]
    assert listed["status"] == "revoked"
    assert await count() == 1

    # Granted again: the same enrollment, live again.
    again = await client.post(GRANTS, json={"user_id": s2_id, "course_id": key}, headers=admin)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == grant["id"]
    assert again.json()["status"] == "active"
    assert await count() == 2

    # A completed enrollment stays: it cannot be left.
    await enroll(client, s3, key)
    assert await count() == 3
    for lesson_id in lessons:
        await complete(client, s3, lesson_id)
    (completed,) = (await my_enrollments(client, s3)).json()["items"]
    assert completed["status"] == "completed"
    problem(await client.delete(enroll_url(key), headers=s3), 409, "cannot-leave")
    assert await count() == 3

    # The audit log has each grant and the revocation, by the admin.
    admin_id = await user_id(client, admin)
    for action, expected in (("enrollment.granted", 2), ("enrollment.revoked", 1)):
        log = await client.get("/api/v1/admin/audit-log", params={"action": action}, headers=admin)
        assert log.status_code == 200, log.text
        entries = log.json()["items"]
        assert len(entries) == expected, entries
        for entry in entries:
            assert entry["action"] == action
            assert entry["actor_id"] == admin_id
            assert entry["target_type"] == "enrollment"
            assert entry["target_id"] == grant["id"]


async def test_concurrent_enrollments_are_each_counted_once(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    names = [f"crowd{n}" for n in range(8)]
    await seed_accounts(settings, *((f"{name}@catalog.test", Role.STUDENT) for name in names))
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    crowd = [await headers_of(client, name) for name in names]
    course, _ = await open_course(client, tutor, manager, lessons=1, title="Crowded")
    twice, _ = await open_course(client, tutor, manager, lessons=1, title="Twice")

    async with racing_client(settings) as racing:
        responses = await asyncio.gather(
            *(racing.post(enroll_url(course["id"]), headers=headers) for headers in crowd)
        )
        assert [r.status_code for r in responses] == [201] * len(crowd), [r.text for r in responses]
        twice_responses = await asyncio.gather(
            racing.post(enroll_url(twice["id"]), headers=student),
            racing.post(enroll_url(twice["id"]), headers=student),
        )
    assert await count_of(client, tutor, course["id"]) == len(crowd)
    students = await client.get(
        f"{COURSES}/{course['id']}/students", params={"limit": 100}, headers=tutor
    )
    assert len(students.json()["items"]) == len(crowd)

    responses = twice_responses
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    assert await count_of(client, tutor, twice["id"]) == 1
    assert len((await my_enrollments(client, student)).json()["items"]) == 1


# ---- lists -----------------------------------------------------------------------------------
async def test_my_enrollments_and_the_course_students(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    stranger = await headers_of(client, "pending")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student = await headers_of(client, "student")
    student_id = await user_id(client, student)
    cotutor_id = await user_id(client, cotutor)

    first, first_lessons = await open_course(client, tutor, manager, title="First")
    second, second_lessons = await open_course(client, tutor, manager, title="Second")
    third, _ = await open_course(client, tutor, manager, title="Third")
    response = await client.patch(
        f"{COURSES}/{first['id']}", json={"co_instructor_ids": [cotutor_id]}, headers=tutor
    )
    assert response.status_code == 200, response.text
    for course in (first, second, third):
        await enroll(client, student, course["id"])
    # First: half done. Second: completed (a certificate follows). Third: untouched.
    await complete(client, student, first_lessons[1])
    for lesson_id in second_lessons:
        await complete(client, student, lesson_id)

    async def certificate_of_second() -> Any:
        for _ in range(100):
            items = (await my_enrollments(client, student)).json()["items"]
            found = next(e for e in items if e["course"]["id"] == second["id"])
            if found["certificate_id"]:
                return found["certificate_id"]
            await asyncio.sleep(0.05)
        raise AssertionError("no certificate was issued")

    certificate_id = await certificate_of_second()
    certificates = (await client.get("/api/v1/me/certificates", headers=student)).json()
    assert certificates["next_cursor"] is None
    assert [c["id"] for c in certificates["items"]] == [certificate_id]

    listed = await my_enrollments(client, student)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    # Newest first.
    assert [e["course"]["id"] for e in items] == [third["id"], second["id"], first["id"]]
    by_course = {e["course"]["id"]: e for e in items}
    assert by_course[first["id"]]["progress_percent"] == 50
    assert by_course[first["id"]]["last_lesson_id"] == first_lessons[1]
    assert by_course[first["id"]]["status"] == "active"
    assert by_course[first["id"]]["certificate_id"] is None
    assert by_course[second["id"]]["progress_percent"] == 100
    assert by_course[second["id"]]["status"] == "completed"
    assert by_course[second["id"]]["completed_at"] is not None
    assert by_course[second["id"]]["last_lesson_id"] == second_lessons[1]
    assert by_course[third["id"]]["progress_percent"] == 0
    assert by_course[third["id"]]["last_lesson_id"] is None
    assert by_course[first["id"]]["course"]["title"] == "First"

    completed = (await my_enrollments(client, student, status="completed")).json()["items"]
    assert [e["course"]["id"] for e in completed] == [second["id"]]
    active = (await my_enrollments(client, student, status="active")).json()["items"]
    assert [e["course"]["id"] for e in active] == [third["id"], first["id"]]
    assert (await my_enrollments(client, student, status="revoked")).json()["items"] == []
    problem(await my_enrollments(client, student, status="paused"), 400)
    assert (await my_enrollments(client, tutor)).json() == {"items": [], "next_cursor": None}
    problem(await client.get(ME), 401)

    # One at a time, following the cursor, in the same order; then a forged cursor.
    walked: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await my_enrollments(client, student, **params)).json()
        walked += [e["course"]["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [e["course"]["id"] for e in items]
    for bad in ("not-a-cursor", "eyJ4IjoxfQ"):
        problem(await my_enrollments(client, student, cursor=bad), 400)
    for limit in (0, 101):
        problem(await my_enrollments(client, student, limit=limit), 400)

    # The course's students: its instructors without emails, staff with them.
    students_url = f"{COURSES}/{first['id']}/students"
    for headers in (tutor, cotutor):
        response = await client.get(students_url, headers=headers)
        assert response.status_code == 200, response.text
        (row,) = response.json()["items"]
        assert row["user_id"] == student_id
        assert row["email"] is None
        assert (row["status"], row["progress_percent"]) == ("active", 50)
    for headers in (manager, admin):
        response = await client.get(students_url, headers=headers)
        assert response.status_code == 200, response.text
        (row,) = response.json()["items"]
        assert row["email"] == "student@catalog.test"
    by_slug = await client.get(f"{COURSES}/{first['slug']}/students", headers=tutor)
    assert [r["user_id"] for r in by_slug.json()["items"]] == [student_id]
    # A student of the course and a stranger may see the course, not its students.
    problem(await client.get(students_url, headers=student), 403, "permission-denied")
    problem(await client.get(students_url, headers=stranger), 403, "permission-denied")
    problem(await client.get(students_url), 401)
    problem(await client.get(f"{COURSES}/{uuid.uuid4()}/students", headers=tutor), 404)
    problem(await client.get(students_url, params={"cursor": "garbage"}, headers=tutor), 400)
    # A draft does not exist for them at all.
    draft, _ = await open_course(client, tutor, None, lessons=1, title="Hidden")
    problem(await client.get(f"{COURSES}/{draft['id']}/students", headers=student), 404)
    empty = await client.get(f"{COURSES}/{draft['id']}/students", headers=tutor)
    assert empty.json() == {"items": [], "next_cursor": None}


async def test_the_loser_of_an_enrollment_race_is_told_it_is_already_enrolled(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, _ = await open_course(client, tutor, manager, lessons=1)
    async with racing_client(settings) as racing:
        responses = await asyncio.gather(
            *(racing.post(enroll_url(course["id"]), headers=student) for _ in range(4))
        )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    for refused in (r for r in responses if r.status_code == 409):
        problem(refused, 409, "already-enrolled")
    assert await count_of(client, tutor, course["id"]) == 1


async def test_coming_back_after_leaving_shows_the_progress_kept(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, lessons = await open_course(client, tutor, manager)
    await enroll(client, student, course["id"])
    assert (await complete(client, student, lessons[0]))["course_progress_percent"] == 50
    assert (await client.delete(enroll_url(course["id"]), headers=student)).status_code == 204

    back = await enroll(client, student, course["id"])
    lesson = (await client.get(f"{LESSONS}/{lessons[0]}", headers=student)).json()
    assert lesson["progress"]["completed"] is True  # the lesson's progress was kept...
    assert back["progress_percent"] == 50  # ...and so is the course's
