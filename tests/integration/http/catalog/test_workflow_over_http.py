"""The review workflow over HTTP, on SQLite and PostgreSQL: a course from draft to the public
catalog and back, who may make each move, illegal moves, locking under review, history and
audit, who sees a course in each state, publishing on approval, and a tutor's own courses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.catalog import (
    COURSES,
    add_co_instructor,
    add_lesson,
    add_section,
    approve_tutors,
    create_course,
    headers_of,
    move,
    published_course,
    seed_people,
)
from tests.support.identity import PDF, png, problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

AUDIT = "/api/v1/admin/audit-log"
MINE = "/api/v1/me/courses"
STATES = ("draft", "pending", "approved", "rejected", "published", "archived")


# ---- helpers ---------------------------------------------------------------------------------
async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def detail(client: Any, headers: dict[str, str] | None, key: str) -> dict[str, Any]:
    response = await client.get(f"{COURSES}/{key}", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def status_of(client: Any, tutor: dict[str, str], key: str) -> str:
    return str((await detail(client, tutor, key))["status"])


async def moved(client: Any, headers: dict[str, str], key: str, action: str, **body: Any) -> Any:
    response = await move(client, headers, key, action, **body)
    assert response.status_code == 200, response.text
    return response.json()


async def catalog_ids(client: Any, **params: Any) -> list[str]:
    response = await client.get(COURSES, params=params)
    assert response.status_code == 200, response.text
    return [card["id"] for card in response.json()["items"]]


async def complete_draft(
    client: Any, tutor: dict[str, str], title: str = "Python for Beginners", **fields: Any
) -> dict[str, Any]:
    course = await create_course(client, tutor, title=title, **fields)
    section = await add_section(client, tutor, course["id"])
    await add_lesson(client, tutor, section["id"])
    return course


async def course_in_state(
    client: Any, tutor: dict[str, str], manager: dict[str, str], state: str, **fields: Any
) -> dict[str, Any]:
    """A complete course by ``tutor``, moved along the workflow to ``state``."""
    course = await complete_draft(client, tutor, **fields)
    plans: dict[str, list[tuple[dict[str, str], str, dict[str, Any]]]] = {
        "draft": [],
        "pending": [(tutor, "submit", {})],
        "approved": [(tutor, "submit", {}), (manager, "approve", {})],
        "rejected": [(tutor, "submit", {}), (manager, "reject", {"reason": "Too short."})],
        "published": [(tutor, "submit", {}), (manager, "approve", {}), (manager, "publish", {})],
        "archived": [
            (tutor, "submit", {}),
            (manager, "approve", {}),
            (manager, "publish", {}),
            (tutor, "archive", {}),
        ],
    }
    for headers, action, body in plans[state]:
        await moved(client, headers, course["id"], action, **body)
    return await detail(client, tutor, course["id"])


# ---- the whole path --------------------------------------------------------------------------
async def test_a_course_goes_from_draft_to_the_public_catalog(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    tutor_id, manager_id = await user_id(client, tutor), await user_id(client, manager)

    course = await create_course(
        client,
        tutor,
        title="Cooking with Rust",
        description="Learn the borrowchecker through kitchen recipes.",
        free=False,
        price={"amount": 2500, "currency": "USD"},
    )
    basics = await add_section(client, tutor, course["id"], "Basics")
    preview = await add_lesson(
        client, tutor, basics["id"], title="Welcome", text="# Free words", is_free_preview=True
    )
    await add_lesson(client, tutor, basics["id"], title="Paid text", text="# Paid words")
    advanced = await add_section(client, tutor, course["id"], "Advanced")
    await add_lesson(
        client,
        tutor,
        advanced["id"],
        kind="video",
        title="Paid video",
        text=None,
        video_url="https://videos.example/v/secret",
        duration_seconds=900,
    )

    assert (await moved(client, tutor, course["id"], "submit"))["status"] == "pending"
    assert await catalog_ids(client, q="borrowchecker") == []
    assert (await moved(client, manager, course["id"], "approve"))["status"] == "approved"
    assert await catalog_ids(client, q="borrowchecker") == []
    published = await moved(client, manager, course["id"], "publish")
    assert published["status"] == "published" and published["published_at"] is not None

    # An anonymous visitor finds it by a word of its description and reads its outline.
    assert await catalog_ids(client, q="borrowchecker") == [course["id"]]
    assert await catalog_ids(client, q="nosuchwordanywhere") == []
    public = await detail(client, None, "cooking-with-rust")
    assert public["id"] == course["id"] and public["status"] == "published"
    assert public["lesson_count"] == 3 and public["duration_seconds"] == 300 + 300 + 900
    assert public["rejection_reason"] is None and public["history"] is None
    lessons = {
        lesson["title"]: lesson for section in public["sections"] for lesson in section["lessons"]
    }
    assert [section["title"] for section in public["sections"]] == ["Basics", "Advanced"]
    assert lessons["Welcome"]["id"] == preview["id"]
    assert lessons["Welcome"]["content_hidden"] is False
    assert lessons["Welcome"]["text"] == "# Free words"
    for title in ("Paid text", "Paid video"):
        assert lessons[title]["content_hidden"] is True
        assert lessons[title]["text"] is None and lessons[title]["video_url"] is None
    assert "Paid words" not in str(public) and "secret" not in str(public)
    student_view = await detail(client, await headers_of(client, "student"), course["id"])
    assert student_view["sections"] == public["sections"]

    # Its instructor still sees everything, with the history of who moved it.
    own = await detail(client, tutor, course["id"])
    own_lessons = [lesson for section in own["sections"] for lesson in section["lessons"]]
    assert all(lesson["content_hidden"] is False for lesson in own_lessons)
    assert own_lessons[2]["video_url"] == "https://videos.example/v/secret"
    assert [(h["action"], h["actor_id"]) for h in own["history"]] == [
        ("submit", tutor_id),
        ("approve", manager_id),
        ("publish", manager_id),
    ]


# ---- submitting ------------------------------------------------------------------------------
async def test_submitting_an_incomplete_course_names_what_is_missing(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    response = await client.post(COURSES, json={"title": "Bare"}, headers=tutor)
    assert response.status_code == 201, response.text
    key = response.json()["id"]

    body = problem(await move(client, tutor, key, "submit"), 422, "course-incomplete")
    for missing in ("a description", "a price, or marking it free", "at least one section"):
        assert missing in body["detail"], body
    assert await status_of(client, tutor, key) == "draft"

    await client.patch(
        f"{COURSES}/{key}", json={"description": "Now described.", "free": True}, headers=tutor
    )
    section = await add_section(client, tutor, key)
    body = problem(await move(client, tutor, key, "submit"), 422, "course-incomplete")
    assert "at least one section with one lesson" in body["detail"]
    assert "description" not in body["detail"] and "price" not in body["detail"]
    assert await status_of(client, tutor, key) == "draft"

    await add_lesson(client, tutor, section["id"])
    assert (await moved(client, tutor, key, "submit"))["status"] == "pending"


async def test_only_the_courses_instructors_submit_it(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    course = await complete_draft(client, tutor)
    other = await complete_draft(client, cotutor, title="Other")

    problem(await move(client, cotutor, course["id"], "submit"), 404, "course-not-found")
    problem(await move(client, await headers_of(client, "student"), course["id"], "submit"), 404)
    for name in ("manager", "admin"):
        problem(await move(client, await headers_of(client, name), course["id"], "submit"), 403)
    problem(await move(client, {}, course["id"], "submit"), 401)
    assert await status_of(client, tutor, course["id"]) == "draft"

    # Once a co-instructor, they may.
    await add_co_instructor(client, cotutor, other["id"], tutor)
    assert (await moved(client, tutor, other["id"], "submit"))["status"] == "pending"


# ---- staff moves -----------------------------------------------------------------------------
async def test_only_staff_approve_reject_and_publish(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    stranger = await headers_of(client, "cotutor")
    student = await headers_of(client, "student")
    pending = await course_in_state(client, tutor, manager, "pending")
    approved = await course_in_state(client, tutor, manager, "approved", title="Approved")
    reason = {"reason": "No."}

    for key, action, body in (
        (pending["id"], "approve", {}),
        (pending["id"], "reject", reason),
        (approved["id"], "publish", {}),
    ):
        # The course's own instructor sees it, so is refused; who cannot see it is told 404.
        problem(await move(client, tutor, key, action, **body), 403)
        problem(await move(client, stranger, key, action, **body), 404, "course-not-found")
        problem(await move(client, student, key, action, **body), 404, "course-not-found")
        problem(await move(client, {}, key, action, **body), 401)

    assert await status_of(client, tutor, pending["id"]) == "pending"
    assert await status_of(client, tutor, approved["id"]) == "approved"
    # Admins may do what managers do.
    admin = await headers_of(client, "admin")
    assert (await moved(client, admin, approved["id"], "publish"))["status"] == "published"


async def test_staff_moves_on_a_published_course_are_refused_to_others(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    course = await published_course(client, tutor, manager)
    key = course["id"]
    await add_co_instructor(client, tutor, key, cotutor)

    # Everybody sees a published course, so everybody not allowed is told 403.
    for headers in (tutor, cotutor, await headers_of(client, "student")):
        problem(await move(client, headers, key, "unpublish"), 403)
    # Archiving is for the owner and staff, not for a co-instructor or a student.
    for headers in (
        cotutor,
        await headers_of(client, "student"),
        await headers_of(client, "pending"),
    ):
        problem(await move(client, headers, key, "archive"), 403)
    problem(await move(client, {}, key, "archive"), 401)

    assert await status_of(client, tutor, key) == "published"
    assert await catalog_ids(client) == [key]


async def test_rejecting_needs_a_reason(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = await course_in_state(client, tutor, manager, "pending")
    url = f"{COURSES}/{course['id']}/reject"

    problem(await client.post(url, headers=manager), 400)
    for body in ({}, {"reason": ""}, {"reason": None}, {"reason": 5}, {"why": "x"}):
        problem(await client.post(url, json=body, headers=manager), 400)
    problem(await client.post(url, json={"reason": "x" * 2001}, headers=manager), 400)
    problem(await client.post(url, json={"reason": "   "}, headers=manager), 422)

    after = await detail(client, tutor, course["id"])
    assert after["status"] == "pending" and after["rejection_reason"] is None
    assert [h["action"] for h in after["history"]] == ["submit"]


async def test_a_rejection_reason_is_for_the_instructors_only(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    course = await complete_draft(client, tutor)
    key = course["id"]
    await add_co_instructor(client, tutor, key, cotutor)
    await moved(client, tutor, key, "submit")

    rejected = await moved(client, manager, key, "reject", reason="  Needs more examples.  ")

    assert rejected["status"] == "rejected"
    assert rejected["rejection_reason"] == "Needs more examples."
    for headers in (tutor, cotutor):
        seen = await detail(client, headers, key)
        assert seen["rejection_reason"] == "Needs more examples."
        assert seen["history"][-1]["action"] == "reject"
        assert seen["history"][-1]["reason"] == "Needs more examples."
        assert seen["history"][-1]["actor_id"] == await user_id(client, manager)
    [card] = (await client.get(MINE, headers=tutor)).json()["items"]
    assert card["status"] == "rejected" and card["rejection_reason"] == "Needs more examples."
    problem(await client.get(f"{COURSES}/{key}"), 404)
    problem(await client.get(f"{COURSES}/{key}", headers=await headers_of(client, "student")), 404)

    # Revised, resubmitted and published: the public never reads the reason.
    await client.patch(f"{COURSES}/{key}", json={"subtitle": "With examples"}, headers=tutor)
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        await moved(client, headers, key, action)
    public = await detail(client, None, key)
    assert public["rejection_reason"] is None and public["history"] is None
    assert "Needs more examples" not in str(public)


async def test_editing_a_rejected_course_makes_it_a_draft(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    tutor_id = await user_id(client, tutor)
    by_details = await course_in_state(client, tutor, manager, "rejected")
    by_outline = await course_in_state(client, tutor, manager, "rejected", title="Second")

    patched = await client.patch(
        f"{COURSES}/{by_details['id']}", json={"subtitle": "Better"}, headers=tutor
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "draft" and patched.json()["subtitle"] == "Better"
    await add_section(client, tutor, by_outline["id"], "More")
    assert await status_of(client, tutor, by_outline["id"]) == "draft"

    history = (await detail(client, tutor, by_details["id"]))["history"]
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("submit", "draft", "pending"),
        ("reject", "pending", "rejected"),
        ("revise", "rejected", "draft"),
    ]
    assert history[-1]["actor_id"] == tutor_id
    # Back in draft, it can go to review again; the old reason goes with the new submission.
    resubmitted = await moved(client, tutor, by_details["id"], "submit")
    assert resubmitted["status"] == "pending" and resubmitted["rejection_reason"] is None


@pytest.mark.parametrize("state", ["pending", "approved", "archived"])
async def test_a_course_under_review_or_archived_is_locked(
    client: Any, settings: Settings, state: str
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = await course_in_state(client, tutor, manager, state)
    key = course["id"]
    section = course["sections"][0]
    lesson = section["lessons"][0]

    for response in (
        await client.patch(f"{COURSES}/{key}", json={"subtitle": "Sneaky"}, headers=tutor),
        await client.patch(f"{COURSES}/{key}", json={}, headers=tutor),
        await client.post(f"{COURSES}/{key}/sections", json={"title": "New"}, headers=tutor),
        await client.patch(f"/api/v1/sections/{section['id']}", json={"title": "X"}, headers=tutor),
        await client.delete(f"/api/v1/sections/{section['id']}", headers=tutor),
        await client.post(
            f"/api/v1/sections/{section['id']}/lessons",
            json={"kind": "text", "title": "New"},
            headers=tutor,
        ),
        await client.patch(f"/api/v1/lessons/{lesson['id']}", json={"title": "X"}, headers=tutor),
        await client.delete(f"/api/v1/lessons/{lesson['id']}", headers=tutor),
        await client.put(
            f"{COURSES}/{key}/outline",
            json={"sections": [{"section_id": section["id"], "lesson_ids": [lesson["id"]]}]},
            headers=tutor,
        ),
        await client.put(
            f"{COURSES}/{key}/thumbnail",
            files={"file": ("t.png", png(), "image/png")},
            headers=tutor,
        ),
    ):
        problem(response, 409, "course-locked")

    assert await detail(client, tutor, key) == course


async def test_a_published_course_stays_live_while_edited(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = await published_course(client, tutor, manager)

    patched = await client.patch(
        f"{COURSES}/{course['id']}", json={"subtitle": "Typo fixed"}, headers=tutor
    )
    assert patched.status_code == 200 and patched.json()["status"] == "published"
    section = await add_section(client, tutor, course["id"], "Bonus")
    lesson = await add_lesson(client, tutor, section["id"], kind="pdf", title="Sheet", text=None)
    uploaded = await client.put(
        f"/api/v1/lessons/{lesson['id']}/file",
        files={"file": ("sheet.pdf", PDF, "application/pdf")},
        headers=tutor,
    )
    assert uploaded.status_code == 200, uploaded.text

    # Live and unchanged while the changes wait for review...
    public = await detail(client, None, course["id"])
    assert public["status"] == "published" and public["subtitle"] == ""
    assert public["lesson_count"] == 1
    assert await catalog_ids(client) == [course["id"]]
    # ...and changed at once when staff approve them, still live.
    await moved(client, tutor, course["id"], "revision/submit")
    await moved(client, manager, course["id"], "revision/approve")
    public = await detail(client, None, course["id"])
    assert public["status"] == "published" and public["subtitle"] == "Typo fixed"
    assert public["lesson_count"] == 2
    assert public["sections"][1]["lessons"][0]["file"] is None  # not a free preview
    assert await catalog_ids(client) == [course["id"]]


async def test_illegal_moves_are_refused_with_409(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    staff_moves = {"approve", "reject", "publish", "unpublish"}
    legal = {
        "draft": {"submit"},
        "pending": {"approve", "reject"},
        "approved": {"publish"},
        "rejected": set(),
        "published": {"archive", "unpublish"},
        "archived": set(),
    }
    for state, allowed in legal.items():
        course = await course_in_state(client, tutor, manager, state, title=f"In {state}")
        for action in ("submit", "approve", "reject", "publish", "archive", "unpublish"):
            if action in allowed:
                continue
            headers = manager if action in staff_moves else tutor
            body = {"reason": "Because."} if action == "reject" else {}
            response = await move(client, headers, course["id"], action, **body)
            problem(response, 409, "illegal-transition")
        after = await detail(client, tutor, course["id"])
        assert after["status"] == state
        assert after["history"] == course["history"]


async def test_unpublishing_takes_a_course_out_of_the_catalog(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = await published_course(client, tutor, manager, description="Learn zymurgy.")
    assert await catalog_ids(client) == [course["id"]]

    unpublished = await moved(client, manager, course["id"], "unpublish", reason="Outdated.")

    assert unpublished["status"] == "draft" and unpublished["published_at"] is None
    assert unpublished["history"][-1]["action"] == "unpublish"
    assert unpublished["history"][-1]["reason"] == "Outdated."
    assert await catalog_ids(client) == []
    assert await catalog_ids(client, q="zymurgy") == []
    problem(await client.get(f"{COURSES}/{course['slug']}"), 404)
    problem(
        await client.get(f"{COURSES}/{course['id']}", headers=await headers_of(client, "student")),
        404,
    )
    # The instructors take it from there: edit, and send it through review again.
    assert (
        await client.patch(f"{COURSES}/{course['id']}", json={"subtitle": "New"}, headers=tutor)
    ).status_code == 200
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        await moved(client, headers, course["id"], action)
    assert await catalog_ids(client, q="zymurgy") == [course["id"]]


async def test_the_owner_archives_a_published_course(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = await published_course(client, tutor, manager)
    other = await published_course(client, tutor, manager, title="Other")

    archived = await moved(client, tutor, course["id"], "archive")

    assert archived["status"] == "archived"
    assert await catalog_ids(client) == [other["id"]]
    problem(await client.get(f"{COURSES}/{course['id']}"), 404)
    assert (await detail(client, tutor, course["id"]))["status"] == "archived"
    assert (await detail(client, manager, course["id"]))["status"] == "archived"
    # Staff archive too, with a reason; archiving again is illegal.
    by_staff = await moved(client, manager, other["id"], "archive", reason="Retired.")
    assert by_staff["history"][-1]["reason"] == "Retired."
    assert await catalog_ids(client) == []
    problem(await move(client, tutor, course["id"], "archive"), 409, "illegal-transition")


async def test_the_history_records_actor_time_and_reason(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    ids = {
        "tutor": await user_id(client, tutor),
        "manager": await user_id(client, manager),
        "admin": await user_id(client, admin),
    }
    course = await complete_draft(client, tutor)
    key = course["id"]
    await moved(client, tutor, key, "submit")
    await moved(client, manager, key, "reject", reason="Add a summary.")
    await client.patch(f"{COURSES}/{key}", json={"subtitle": "With summary"}, headers=tutor)
    await moved(client, tutor, key, "submit")
    await moved(client, admin, key, "approve")
    await moved(client, manager, key, "publish")
    await moved(client, admin, key, "unpublish", reason="Licence question.")

    history = (await detail(client, tutor, key))["history"]
    assert [
        (h["action"], h["actor_id"], h["from_status"], h["to_status"], h["reason"]) for h in history
    ] == [
        ("submit", ids["tutor"], "draft", "pending", None),
        ("reject", ids["manager"], "pending", "rejected", "Add a summary."),
        ("revise", ids["tutor"], "rejected", "draft", None),
        ("submit", ids["tutor"], "draft", "pending", None),
        ("approve", ids["admin"], "pending", "approved", None),
        ("publish", ids["manager"], "approved", "published", None),
        ("unpublish", ids["admin"], "published", "draft", "Licence question."),
    ]
    instants = [h["at"] for h in history]
    assert instants == sorted(instants)
    assert (await detail(client, manager, key))["history"] == history


async def test_staff_moves_are_in_the_audit_log(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    manager_id = await user_id(client, manager)
    course = await complete_draft(client, tutor)
    key = course["id"]
    await moved(client, tutor, key, "submit")
    await moved(client, manager, key, "reject", reason="Too thin.")
    await client.patch(f"{COURSES}/{key}", json={"subtitle": "Thicker"}, headers=tutor)
    await moved(client, tutor, key, "submit")
    for action in ("approve", "publish", "unpublish"):
        await moved(client, manager, key, action)

    response = await client.get(AUDIT, params={"target_id": key, "limit": 100}, headers=admin)

    assert response.status_code == 200, response.text
    entries = list(reversed(response.json()["items"]))  # oldest first
    staff = [e for e in entries if e["actor_id"] == manager_id]
    assert [e["action"] for e in staff] == [
        "course.rejected",
        "course.approved",
        "course.published",
        "course.unpublished",
    ]
    for entry in staff:
        assert entry["target_type"] == "course" and entry["target_id"] == key
    assert staff[0]["details"]["reason"] == "Too thin."
    assert staff[0]["details"]["from_status"] == "pending"
    assert staff[0]["details"]["to_status"] == "rejected"
    assert staff[3]["details"]["to_status"] == "draft"
    only_approvals = await client.get(
        AUDIT, params={"action": "course.approved", "actor_id": manager_id}, headers=admin
    )
    assert [e["target_id"] for e in only_approvals.json()["items"]] == [key]


# ---- who sees a course in each state ---------------------------------------------------------
VIEWERS = ("anonymous", "student", "stranger", "instructor", "co-instructor", "manager", "admin")
SEES_EVERY_STATE = {"instructor", "co-instructor", "manager", "admin"}


async def test_who_sees_a_course_in_each_state(client: Any, settings: Settings) -> None:
    """Every state and every viewer, by id and by slug: anonymous visitors, students and tutors
    who do not teach it see only a published course; its instructors and staff see it in every
    state. Who may not see it is told it does not exist. (One test, one table: seeding seven
    accounts per state would cost more than the whole check.)"""
    await seed_people(settings)
    await seed_accounts(settings, ("stranger@catalog.test", Role.TUTOR))
    await approve_tutors(settings, "stranger@catalog.test")
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    headers = {
        "anonymous": {},
        "student": await headers_of(client, "student"),
        "stranger": await headers_of(client, "stranger"),
        "instructor": tutor,
        "co-instructor": cotutor,
        "manager": manager,
        "admin": await headers_of(client, "admin"),
    }
    courses = {
        state: await course_in_state(client, tutor, manager, state, title=f"In {state}")
        for state in STATES
    }
    for course in courses.values():
        await add_co_instructor(client, tutor, course["id"], cotutor)

    seen: dict[tuple[str, str, str], int] = {}
    for state, course in courses.items():
        for viewer in VIEWERS:
            for way in ("id", "slug"):
                url = f"{COURSES}/{course[way]}"
                response = await client.get(url, headers=headers[viewer])
                seen[state, viewer, way] = response.status_code
                if response.status_code == 404:
                    problem(response, 404, "course-not-found")
                    continue
                # Lesson content and history show only to its instructors and staff.
                body = response.json()
                insider = viewer in SEES_EVERY_STATE
                [lesson] = body["sections"][0]["lessons"]
                assert lesson["content_hidden"] is not insider, (state, viewer, lesson)
                assert (lesson["text"] == "# Hello") is insider, (state, viewer, lesson)
                assert (body["history"] is not None) is insider, (state, viewer)

    expected = {
        (state, viewer, way): 200 if state == "published" or viewer in SEES_EVERY_STATE else 404
        for state in STATES
        for viewer in VIEWERS
        for way in ("id", "slug")
    }
    assert seen == expected


# ---- publishing on approval ------------------------------------------------------------------
@pytest.fixture
async def publishing_client(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[Any, Settings]]:
    """The app with ``publish_courses_on_approval`` on, and its settings."""
    from litestar.testing import AsyncTestClient

    settings = make_settings(tmp_path, database_url, publish_courses_on_approval=True)
    app = app_for(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client, settings


async def test_approving_publishes_at_once_when_the_platform_says_so(
    publishing_client: tuple[Any, Settings],
) -> None:
    client, settings = publishing_client
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    course = await complete_draft(client, tutor)
    await moved(client, tutor, course["id"], "submit")

    approved = await moved(client, manager, course["id"], "approve")

    assert approved["status"] == "published" and approved["published_at"] is not None
    assert [(h["action"], h["to_status"]) for h in approved["history"]] == [
        ("submit", "pending"),
        ("approve", "approved"),
        ("publish", "published"),
    ]
    assert await catalog_ids(client) == [course["id"]]
    assert (await detail(client, None, course["slug"]))["status"] == "published"
    problem(await move(client, manager, course["id"], "publish"), 409, "illegal-transition")
    log = await client.get(AUDIT, params={"target_id": course["id"]}, headers=admin)
    actions = [entry["action"] for entry in reversed(log.json()["items"])]
    assert actions[-2:] == ["course.approved", "course.published"]
    # Rejecting still works as before.
    other = await complete_draft(client, tutor, title="Other")
    await moved(client, tutor, other["id"], "submit")
    rejected = await moved(client, manager, other["id"], "reject", reason="No.")
    assert rejected["status"] == "rejected"


async def test_without_the_setting_approving_does_not_publish(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = await course_in_state(client, tutor, manager, "approved")
    assert course["status"] == "approved" and course["published_at"] is None
    assert await catalog_ids(client) == []


# ---- a tutor's own courses -------------------------------------------------------------------
async def test_a_tutor_lists_owned_and_co_taught_courses_in_every_state(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    states = {}
    for state in STATES:
        states[state] = (await course_in_state(client, tutor, manager, state, title=state))["id"]
    co_taught = await create_course(client, cotutor, title="Co-taught")
    await add_co_instructor(client, cotutor, co_taught["id"], tutor)
    theirs = await create_course(client, cotutor, title="Theirs")

    listed = await client.get(MINE, params={"limit": 100}, headers=tutor)

    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert listed.json()["next_cursor"] is None
    assert {item["id"]: item["status"] for item in items} == {
        **{key: state for state, key in states.items()},
        co_taught["id"]: "draft",
    }
    assert {item["id"]: item["is_owner"] for item in items}[co_taught["id"]] is False
    assert all(item["is_owner"] for item in items if item["id"] != co_taught["id"])
    assert theirs["id"] not in {item["id"] for item in items}
    stamps = [(item["updated_at"], item["id"]) for item in items]
    assert [s[0] for s in stamps] == sorted((s[0] for s in stamps), reverse=True)
    rejected = next(item for item in items if item["id"] == states["rejected"])
    assert rejected["rejection_reason"] == "Too short."

    for state in STATES:
        only = await client.get(MINE, params={"status": state}, headers=tutor)
        expected = {states[state]} | ({co_taught["id"]} if state == "draft" else set())
        assert {item["id"] for item in only.json()["items"]} == expected, state
        assert all(item["status"] == state for item in only.json()["items"])
    problem(await client.get(MINE, params={"status": "live"}, headers=tutor), 400)
    theirs_listed = await client.get(MINE, headers=cotutor)
    assert {item["id"] for item in theirs_listed.json()["items"]} == {
        co_taught["id"],
        theirs["id"],
    }


async def test_my_courses_pages_with_a_cursor(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    created = [(await create_course(client, tutor, title=f"Course {n}"))["id"] for n in range(5)]

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get(MINE, params=params, headers=tutor)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 2
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))
    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "garbage"}):
        problem(await client.get(MINE, params=params, headers=tutor), 400)


async def test_students_have_no_courses_and_strangers_must_sign_in(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    await create_course(client, tutor)

    for name in ("student", "manager", "pending"):
        response = await client.get(MINE, headers=await headers_of(client, name))
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_cursor": None}
    problem(await client.get(MINE), 401)
