"""Authoring courses over HTTP, on SQLite and PostgreSQL: who creates and edits a course, partial
updates, slugs, the outline of sections and lessons, uploads, deletion, prerequisites and the
category tree. Every refused request is followed by a check that nothing changed."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.catalog import (
    COURSES,
    add_co_instructor,
    add_lesson,
    add_section,
    create_course,
    headers_of,
    move,
    published_course,
    seed_people,
)
from tests.support.identity import PDF, png, problem

from elearn.entrypoints.settings import Settings

SECTIONS = "/api/v1/sections"
LESSONS = "/api/v1/lessons"
CATEGORIES = "/api/v1/categories"


# ---- helpers ---------------------------------------------------------------------------------
async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def detail(client: Any, headers: dict[str, str] | None, key: str) -> dict[str, Any]:
    response = await client.get(f"{COURSES}/{key}", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def patch(client: Any, headers: dict[str, str] | None, key: str, body: Any) -> Any:
    return await client.patch(f"{COURSES}/{key}", json=body, headers=headers or {})


def without_times(body: dict[str, Any]) -> dict[str, Any]:
    """A course detail without the fields every accepted change touches, nor what the viewer
    is to the course (the page says it; an edit's answer does not)."""
    return {k: v for k, v in body.items() if k not in ("updated_at", "history", "viewer")}


def outline_of(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (section["title"], [lesson["title"] for lesson in section["lessons"]])
        for section in body["sections"]
    ]


async def with_co_instructor(
    client: Any, tutor: dict[str, str], cotutor: dict[str, str]
) -> dict[str, Any]:
    course = await create_course(client, tutor)
    await add_co_instructor(client, tutor, course["id"], cotutor)
    return await detail(client, tutor, course["id"])


def upload(name: str, content: bytes, media_type: str) -> dict[str, Any]:
    return {"file": (name, content, media_type)}


# ---- creating a course -----------------------------------------------------------------------
async def test_an_approved_tutor_creates_a_draft_with_a_slug_from_the_title(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    tutor_id = await user_id(client, tutor)

    course = await create_course(client, tutor, title="Python für Anfänger")

    assert course["status"] == "draft"
    assert course["slug"] == "python-fur-anfanger"
    assert course["title"] == "Python für Anfänger"
    assert course["is_free"] is True and course["price"] is None
    assert [person["id"] for person in course["instructors"]] == [tutor_id]
    assert course["sections"] == [] and course["lesson_count"] == 0
    assert course["published_at"] is None
    assert course["history"] == []
    assert await detail(client, tutor, "python-fur-anfanger") == await detail(
        client, tutor, course["id"]
    )


async def test_courses_with_the_same_title_get_numbered_slugs(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")

    first = await create_course(client, tutor, title="Python für Anfänger")
    second = await create_course(client, tutor, title="Python für Anfänger")
    third = await create_course(client, cotutor, title="  PYTHON   für anfänger! ")

    assert [first["slug"], second["slug"], third["slug"]] == [
        "python-fur-anfanger",
        "python-fur-anfanger-2",
        "python-fur-anfanger-3",
    ]
    assert third["title"] == "PYTHON für anfänger!"
    assert len({first["id"], second["id"], third["id"]}) == 3
    assert (await detail(client, tutor, "python-fur-anfanger-2"))["id"] == second["id"]


async def test_a_course_is_created_with_every_detail_given(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    admin = await headers_of(client, "admin")
    category = await client.post(CATEGORIES, json={"name": "Programming"}, headers=admin)
    assert category.status_code == 201, category.text

    course = await create_course(
        client,
        tutor,
        title="Rust in Depth",
        subtitle="Ownership without tears",
        description="Borrowing, lifetimes and traits.",
        language="de",
        level="advanced",
        free=False,
        price={"amount": 4999, "currency": "EUR"},
        category_id=category.json()["id"],
        tags=["Rust", "systems", "rust"],
        learning_outcomes=["Write safe code"],
        requirements=["Some C"],
    )

    assert course["subtitle"] == "Ownership without tears"
    assert course["description"] == "Borrowing, lifetimes and traits."
    assert course["language"] == "de" and course["level"] == "advanced"
    assert course["price"] == {"amount": 4999, "currency": "EUR"} and course["is_free"] is False
    assert course["category"] == {
        "id": category.json()["id"],
        "slug": "programming",
        "name": "Programming",
    }
    assert course["tags"] == ["rust", "systems"]
    assert course["learning_outcomes"] == ["Write safe code"]
    assert course["requirements"] == ["Some C"]


async def test_only_approved_tutors_create_courses(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    body = {"title": "Python for Beginners", "description": "Learn Python.", "free": True}

    problem(await client.post(COURSES, json=body), 401)
    for name in ("student", "manager", "admin"):
        response = await client.post(COURSES, json=body, headers=await headers_of(client, name))
        refused = problem(response, 403, "not-a-tutor")
        # A student is told how to become a tutor, not that an application is waiting.
        assert "apply to teach" in refused["detail"] and "waiting" not in refused["detail"]
    pending = await client.post(COURSES, json=body, headers=await headers_of(client, "pending"))
    assert "waiting for approval" in problem(pending, 403, "tutor-not-approved")["detail"]

    # Nothing was created: the title's slug is still free, and the pending tutor has no course.
    created = await create_course(client, await headers_of(client, "tutor"), **body)
    assert created["slug"] == "python-for-beginners"
    mine = await client.get("/api/v1/me/courses", headers=await headers_of(client, "pending"))
    assert mine.status_code == 200 and mine.json()["items"] == []


async def test_creating_a_course_refuses_malformed_bodies(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    for body in (
        {},  # no title
        {"title": ""},
        {"title": "x" * 121},
        {"title": "Fine", "status": "published"},
        {"title": "Fine", "owner_id": str(uuid.uuid4())},
        {"title": 42},
    ):
        problem(await client.post(COURSES, json=body, headers=tutor), 400)
    problem(await client.post(COURSES, json={"title": "   "}, headers=tutor), 422)
    mine = await client.get("/api/v1/me/courses", headers=tutor)
    assert mine.json()["items"] == []


# ---- instructors, co-instructors and strangers -----------------------------------------------
async def test_the_owner_adds_a_co_instructor_who_edits_details_and_outline(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    tutor_id, cotutor_id = await user_id(client, tutor), await user_id(client, cotutor)

    course = await with_co_instructor(client, tutor, cotutor)
    assert [person["id"] for person in course["instructors"]] == [tutor_id, cotutor_id]

    # The co-instructor sees the draft, changes its details and builds its outline.
    seen = await detail(client, cotutor, course["id"])
    assert seen["status"] == "draft" and seen["history"] == []
    changed = await patch(client, cotutor, course["id"], {"subtitle": "Co-written"})
    assert changed.status_code == 200, changed.text
    section = await add_section(client, cotutor, course["id"], "Co's section")
    lesson = await add_lesson(client, cotutor, section["id"], title="Co's lesson")
    renamed = await client.patch(
        f"{LESSONS}/{lesson['id']}", json={"title": "Renamed by co"}, headers=cotutor
    )
    assert renamed.status_code == 200, renamed.text

    body = await detail(client, tutor, course["id"])
    assert body["subtitle"] == "Co-written"
    assert outline_of(body) == [("Co's section", ["Renamed by co"])]

    # Removing the co-instructor takes the draft out of their sight.
    cleared = await client.delete(
        f"{COURSES}/{course['id']}/co-instructors/{cotutor_id}", headers=tutor
    )
    assert cleared.status_code == 204, cleared.text
    assert len((await detail(client, tutor, course["id"]))["instructors"]) == 1
    problem(await client.get(f"{COURSES}/{course['id']}", headers=cotutor), 404)


async def test_a_co_instructor_cannot_change_co_instructors_or_delete(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    course = await with_co_instructor(client, tutor, cotutor)
    before = await detail(client, tutor, course["id"])

    student_id = await user_id(client, await headers_of(client, "student"))
    invite = await client.post(
        f"{COURSES}/{course['id']}/invitations", json={"user_id": student_id}, headers=cotutor
    )
    problem(invite, 403)
    owner_removed = await client.delete(
        f"{COURSES}/{course['id']}/co-instructors/{await user_id(client, tutor)}", headers=cotutor
    )
    problem(owner_removed, 403)
    problem(await client.delete(f"{COURSES}/{course['id']}", headers=cotutor), 403)

    assert await detail(client, tutor, course["id"]) == before


async def test_co_instructors_must_be_approved_tutors(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    before = await detail(client, tutor, course["id"])

    async def invite(user: Any) -> Any:
        return await client.post(
            f"{COURSES}/{course['id']}/invitations", json={"user_id": user}, headers=tutor
        )

    for name in ("pending", "student", "manager"):
        other_id = await user_id(client, await headers_of(client, name))
        body = problem(await invite(other_id), 422)
        assert body["errors"][0]["field"] == "user_id"
    problem(await invite(str(uuid.uuid4())), 422)
    problem(await invite(await user_id(client, tutor)), 422, "cannot-invite-owner")
    problem(await invite("nope"), 400)

    assert await detail(client, tutor, course["id"]) == before


async def test_a_stranger_gets_404_on_a_draft(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    stranger = await headers_of(client, "cotutor")
    course = await create_course(client, tutor)
    section = await add_section(client, tutor, course["id"])
    lesson = await add_lesson(client, tutor, section["id"])
    before = await detail(client, tutor, course["id"])
    key = course["id"]

    for response in (
        await client.get(f"{COURSES}/{key}", headers=stranger),
        await client.get(f"{COURSES}/{course['slug']}", headers=stranger),
        await patch(client, stranger, key, {"title": "Mine now"}),
        await patch(client, stranger, course["slug"], {"title": "Mine now"}),
        await client.delete(f"{COURSES}/{key}", headers=stranger),
        await client.post(f"{COURSES}/{key}/sections", json={"title": "X"}, headers=stranger),
        await client.patch(f"{SECTIONS}/{section['id']}", json={"title": "X"}, headers=stranger),
        await client.delete(f"{SECTIONS}/{section['id']}", headers=stranger),
        await client.post(
            f"{SECTIONS}/{section['id']}/lessons",
            json={"kind": "text", "title": "X"},
            headers=stranger,
        ),
        await client.patch(f"{LESSONS}/{lesson['id']}", json={"title": "X"}, headers=stranger),
        await client.delete(f"{LESSONS}/{lesson['id']}", headers=stranger),
        await client.put(
            f"{COURSES}/{key}/thumbnail",
            files=upload("t.png", png(), "image/png"),
            headers=stranger,
        ),
        await client.put(
            f"{COURSES}/{key}/outline",
            json={"sections": [{"section_id": section["id"], "lesson_ids": [lesson["id"]]}]},
            headers=stranger,
        ),
    ):
        problem(response, 404, "course-not-found")
    problem(await patch(client, None, key, {"title": "Anonymous"}), 401)

    assert await detail(client, tutor, key) == before


async def test_a_stranger_gets_403_on_a_published_course(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    stranger = await headers_of(client, "cotutor")
    course = await published_course(client, tutor, manager)
    section = course["sections"][0]
    lesson = section["lessons"][0]
    key = course["id"]

    for headers in (stranger, await headers_of(client, "student"), manager):
        for response in (
            await patch(client, headers, key, {"title": "Mine now"}),
            await client.delete(f"{COURSES}/{key}", headers=headers),
            await client.post(f"{COURSES}/{key}/sections", json={"title": "X"}, headers=headers),
            await client.patch(f"{SECTIONS}/{section['id']}", json={"title": "X"}, headers=headers),
            await client.delete(f"{SECTIONS}/{section['id']}", headers=headers),
            await client.post(
                f"{SECTIONS}/{section['id']}/lessons",
                json={"kind": "text", "title": "X"},
                headers=headers,
            ),
            await client.patch(f"{LESSONS}/{lesson['id']}", json={"title": "X"}, headers=headers),
            await client.delete(f"{LESSONS}/{lesson['id']}", headers=headers),
            await client.put(
                f"{COURSES}/{key}/thumbnail",
                files=upload("t.png", png(), "image/png"),
                headers=headers,
            ),
        ):
            problem(response, 403)

    after = await detail(client, tutor, key)
    assert without_times(after) == without_times(course)


async def test_staff_see_a_draft_but_do_not_edit_it(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    before = await detail(client, tutor, course["id"])
    for name in ("manager", "admin"):
        headers = await headers_of(client, name)
        assert (await detail(client, headers, course["id"]))["status"] == "draft"
        problem(await patch(client, headers, course["id"], {"title": "Staff title"}), 403)
    assert await detail(client, tutor, course["id"]) == before


# ---- partial updates -------------------------------------------------------------------------
async def test_patch_changes_only_the_fields_sent(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(
        client,
        tutor,
        subtitle="Sub",
        level="beginner",
        tags=["python"],
        requirements=["A computer"],
        learning_outcomes=["Loops"],
    )
    before = await detail(client, tutor, course["id"])

    response = await patch(client, tutor, course["id"], {"subtitle": "New sub", "level": "all"})
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["subtitle"] == "New sub" and after["level"] == "all"
    expected = {**without_times(before), "subtitle": "New sub", "level": "all"}
    assert without_times(after) == expected
    assert after["slug"] == before["slug"]

    # An empty body changes nothing; lists are replaced whole.
    assert without_times((await patch(client, tutor, course["id"], {})).json()) == expected
    lists = await patch(
        client, tutor, course["id"], {"tags": [], "requirements": [], "learning_outcomes": ["X"]}
    )
    assert lists.json()["tags"] == [] and lists.json()["requirements"] == []
    assert lists.json()["learning_outcomes"] == ["X"]
    assert lists.json()["subtitle"] == "New sub"


async def test_category_id_null_clears_the_category(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    admin = await headers_of(client, "admin")
    category = (await client.post(CATEGORIES, json={"name": "Data"}, headers=admin)).json()
    course = await create_course(client, tutor, category_id=category["id"], subtitle="Keep me")
    assert course["category"]["id"] == category["id"]

    # Leaving the field out keeps the category; null clears it.
    kept = await patch(client, tutor, course["id"], {"subtitle": "Still"})
    assert kept.json()["category"]["id"] == category["id"]
    cleared = await patch(client, tutor, course["id"], {"category_id": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["category"] is None
    assert cleared.json()["subtitle"] == "Still"

    unknown = await patch(client, tutor, course["id"], {"category_id": str(uuid.uuid4())})
    problem(unknown, 422)
    assert (await detail(client, tutor, course["id"]))["category"] is None


async def test_price_and_free_rules(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)  # free
    key = course["id"]

    paid = await patch(client, tutor, key, {"price": {"amount": 1999, "currency": "USD"}})
    assert paid.status_code == 200, paid.text
    assert paid.json()["price"] == {"amount": 1999, "currency": "USD"}
    assert paid.json()["is_free"] is False
    before = await detail(client, tutor, key)

    for body, status in (
        ({"free": True, "price": {"amount": 500, "currency": "USD"}}, 422),
        ({"price": {"amount": 500, "currency": "XXX"}}, 422),  # not in circulation
        ({"price": {"amount": 500, "currency": "DEM"}}, 422),  # withdrawn
        ({"price": {"amount": 500, "currency": "usd"}}, 400),
        ({"price": {"amount": 0, "currency": "USD"}}, 422),  # a rule: free courses say free
        ({"price": {"amount": -5, "currency": "USD"}}, 400),
        ({"price": {"amount": 100_000_001, "currency": "USD"}}, 400),
        ({"price": {"amount": 9.99, "currency": "USD"}}, 400),
        ({"price": {"amount": 500}}, 400),
        ({"price": "5 USD"}, 400),
        ({"free": "yes"}, 400),
    ):
        response = await patch(client, tutor, key, body)
        problem(response, status)
    assert await detail(client, tutor, key) == before

    free = await patch(client, tutor, key, {"free": True})
    assert free.json()["is_free"] is True and free.json()["price"] is None
    # A free course stops being free only with a price.
    problem(await patch(client, tutor, key, {"free": False}), 422)
    assert (await detail(client, tutor, key))["is_free"] is True
    repriced = await patch(
        client, tutor, key, {"free": False, "price": {"amount": 300, "currency": "JPY"}}
    )
    assert repriced.json()["price"] == {"amount": 300, "currency": "JPY"}


async def test_patch_refuses_unknown_fields_and_bad_types(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    before = await detail(client, tutor, course["id"])

    for body in (
        {"titel": "Typo"},
        {"status": "published"},
        {"owner_id": str(uuid.uuid4())},
        {"slug": "fine", "rating_average": 5},
        {"title": "x" * 121},
        {"title": ""},
        {"title": None},
        {"title": ["a"]},
        {"level": "expert"},
        {"tags": "python"},
        {"tags": ["t"] * 11},
        {"learning_outcomes": [""]},
        {"subtitle": "s" * 201},
        {"language": "e"},
        {"category_id": "not-a-uuid"},
        {"prerequisite_ids": [1]},
        ["title", "x"],
    ):
        response = await patch(client, tutor, course["id"], body)
        body_ = problem(response, 400)
        assert body_["code"] == "invalid-request", body_
    malformed = await client.patch(
        f"{COURSES}/{course['id']}",
        content=b"{not json",
        headers={**tutor, "content-type": "application/json"},
    )
    problem(malformed, 400)
    for body in ({"language": "xx"}, {"tags": ["Not a tag!"]}, {"title": "   "}):
        problem(await patch(client, tutor, course["id"], body), 422)

    assert await detail(client, tutor, course["id"]) == before


async def test_a_refused_patch_changes_nothing_of_what_it_carried(
    client: Any, settings: Settings
) -> None:
    """All or nothing: a valid title next to an invalid currency is not applied either."""
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    before = await detail(client, tutor, course["id"])

    response = await patch(
        client,
        tutor,
        course["id"],
        {"title": "A brand new title", "price": {"amount": 100, "currency": "XXX"}},
    )
    problem(response, 422)

    after = await detail(client, tutor, course["id"])
    assert after == before
    problem(await client.get(f"{COURSES}/a-brand-new-title", headers=tutor), 404)


# ---- slugs -----------------------------------------------------------------------------------
async def test_a_draft_slug_follows_its_title(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor, title="First Title")

    renamed = await patch(client, tutor, course["id"], {"title": "Second Title"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["slug"] == "second-title"
    assert (await detail(client, tutor, "second-title"))["id"] == course["id"]
    assert (await detail(client, tutor, "first-title"))["id"] == course["id"]

    # Another course with the first title does not take a slug the first course once had.
    other = await create_course(client, tutor, title="First Title")
    assert other["slug"] == "first-title-2"
    # Renaming back gives the course its own old slug again.
    back = await patch(client, tutor, course["id"], {"title": "First Title"})
    assert back.json()["slug"] == "first-title"


async def test_a_published_slug_is_frozen_and_old_slugs_keep_resolving(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    course = await published_course(client, tutor, manager, title="Original Title")
    assert course["slug"] == "original-title"

    renamed = await patch(client, tutor, course["id"], {"title": "A Better Title"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "A Better Title"
    assert renamed.json()["slug"] == "original-title"
    assert renamed.json()["status"] == "published"

    explicit = await patch(client, tutor, course["id"], {"slug": "a-better-title"})
    assert explicit.status_code == 200, explicit.text
    assert explicit.json()["slug"] == "a-better-title"

    # Staged until staff approve the revision; then the new slug is the course's.
    assert (await detail(client, None, "original-title"))["title"] == "Original Title"
    for headers, action in ((tutor, "revision/submit"), (manager, "revision/approve")):
        assert (await move(client, headers, course["id"], action)).status_code == 200
    for slug in ("original-title", "a-better-title"):
        seen = await detail(client, None, slug)  # anonymous
        assert seen["id"] == course["id"] and seen["slug"] == "a-better-title"

    # Unpublishing does not thaw the slug.
    assert (await move(client, manager, course["id"], "unpublish")).status_code == 200
    again = await patch(client, tutor, course["id"], {"title": "Third Title"})
    assert again.json()["slug"] == "a-better-title"


async def test_a_slug_another_course_has_or_had_is_refused(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    mine = await create_course(client, tutor, title="Mine")
    theirs = await create_course(client, cotutor, title="Theirs Before")
    renamed = await patch(client, cotutor, theirs["id"], {"title": "Theirs Now"})
    assert renamed.json()["slug"] == "theirs-now"
    before = await detail(client, tutor, mine["id"])

    for slug in ("theirs-now", "theirs-before"):
        problem(await patch(client, tutor, mine["id"], {"slug": slug}), 409, "slug-taken")
    problem(
        await client.post(COURSES, json={"title": "Clash", "slug": "theirs-now"}, headers=tutor),
        409,
        "slug-taken",
    )
    assert await detail(client, tutor, mine["id"]) == before
    problem(await client.get(f"{COURSES}/clash", headers=tutor), 404)
    assert (await detail(client, cotutor, "theirs-before"))["id"] == theirs["id"]

    # A course may take back a slug it had itself, and choose a fresh one at creation.
    own = await patch(client, tutor, mine["id"], {"slug": "my-own-slug"})
    assert own.status_code == 200 and own.json()["slug"] == "my-own-slug"
    back = await patch(client, tutor, mine["id"], {"slug": "mine"})
    assert back.status_code == 200 and back.json()["slug"] == "mine"
    chosen = await create_course(client, tutor, title="Whatever", slug="chosen-slug")
    assert chosen["slug"] == "chosen-slug"


async def test_invalid_slugs_are_refused(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    before = await detail(client, tutor, course["id"])

    for slug in ("Upper-Case", "two words", "double--hyphen", "-leading", "trailing-", "ü-slug"):
        problem(await patch(client, tutor, course["id"], {"slug": slug}), 422, "invalid-slug")
    for bad in ("", "a" * 81, 42, None):
        problem(await patch(client, tutor, course["id"], {"slug": bad}), 400)

    assert await detail(client, tutor, course["id"]) == before


async def test_every_title_gets_a_valid_slug(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    long_title = "Word " * 24  # 120 characters

    slugs = [
        (await create_course(client, tutor, title=title))["slug"]
        for title in ("Программирование", "日本語", "Straße & Ærø", "C++ / C# in 2024!", long_title)
    ]

    assert slugs[:4] == ["course", "course-2", "strasse-aero", "c-c-in-2024"]
    assert len(slugs[4]) <= 80 and slugs[4].startswith("word-word") and slugs[4].endswith("word")


async def test_a_slug_shaped_like_an_id_still_resolves_or_is_refused(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    slug = "0b9a3c8e-1d2f-4a5b-8c6d-7e8f9a0b1c2d"

    response = await patch(client, tutor, course["id"], {"slug": slug})

    if response.status_code == 200:
        assert (await detail(client, tutor, slug))["id"] == course["id"]
    else:
        problem(response, 422, "invalid-slug")


# ---- sections and lessons --------------------------------------------------------------------
async def test_sections_are_added_renamed_positioned_and_deleted(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    key = course["id"]

    first = await add_section(client, tutor, key, "First")
    assert first["title"] == "First" and first["lessons"] == []
    last = await add_section(client, tutor, key, "Last")
    response = await client.post(
        f"{COURSES}/{key}/sections", json={"title": "  Very   first ", "position": 0}, headers=tutor
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Very first"
    middle = await client.post(
        f"{COURSES}/{course['slug']}/sections",
        json={"title": "Middle", "position": 2},
        headers=tutor,
    )
    assert middle.status_code == 201, middle.text
    assert outline_of(await detail(client, tutor, key)) == [
        ("Very first", []),
        ("First", []),
        ("Middle", []),
        ("Last", []),
    ]

    renamed = await client.patch(
        f"{SECTIONS}/{first['id']}", json={"title": "Renamed"}, headers=tutor
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Renamed"
    await add_lesson(client, tutor, last["id"], title="Goes with its section")
    deleted = await client.delete(f"{SECTIONS}/{last['id']}", headers=tutor)
    assert deleted.status_code == 204
    after = await detail(client, tutor, key)
    assert outline_of(after) == [("Very first", []), ("Renamed", []), ("Middle", [])]
    assert after["lesson_count"] == 0 and after["duration_seconds"] == 0


async def test_bad_sections_are_refused(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    section = await add_section(client, tutor, course["id"], "Only")
    before = await detail(client, tutor, course["id"])
    url = f"{COURSES}/{course['id']}/sections"

    for body in ({}, {"title": ""}, {"title": "x" * 201}, {"title": "T", "position": -1}):
        problem(await client.post(url, json=body, headers=tutor), 400)
    problem(await client.post(url, json={"title": "T", "position": 5}, headers=tutor), 422)
    problem(await client.post(url, json={"title": "   "}, headers=tutor), 422)
    for body in ({}, {"title": ""}, {"title": "T", "position": 0}):
        response = await client.patch(f"{SECTIONS}/{section['id']}", json=body, headers=tutor)
        problem(response, 400)

    assert await detail(client, tutor, course["id"]) == before


async def test_lessons_of_every_kind_with_derived_count_and_duration(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    one = await add_section(client, tutor, course["id"], "One")
    two = await add_section(client, tutor, course["id"], "Two")

    text = await add_lesson(client, tutor, one["id"], title="Text", duration_seconds=60)
    assert text["kind"] == "text" and text["text"] == "# Hello"
    assert text["content_hidden"] is False and text["is_required"] is True
    video = await add_lesson(
        client,
        tutor,
        one["id"],
        kind="video",
        title="Video",
        text=None,
        video_url="https://videos.example/v/1",
        duration_seconds=600,
        is_free_preview=True,
    )
    assert video["video_url"] == "https://videos.example/v/1" and video["is_free_preview"]
    for kind in ("pdf", "slides", "quiz", "assignment", "resource"):
        lesson = await add_lesson(
            client, tutor, two["id"], kind=kind, title=kind.title(), text=None, duration_seconds=10
        )
        assert lesson["kind"] == kind and lesson["text"] is None and lesson["file"] is None
    first = await add_lesson(
        client, tutor, one["id"], title="Zeroth", position=0, duration_seconds=0, is_required=False
    )
    assert first["is_required"] is False

    body = await detail(client, tutor, course["id"])
    assert outline_of(body) == [
        ("One", ["Zeroth", "Text", "Video"]),
        ("Two", ["Pdf", "Slides", "Quiz", "Assignment", "Resource"]),
    ]
    assert body["lesson_count"] == 8
    assert body["duration_seconds"] == 60 + 600 + 5 * 10

    changed = await client.patch(
        f"{LESSONS}/{text['id']}", json={"duration_seconds": 3600, "title": "Long"}, headers=tutor
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["text"] == "# Hello"  # kept
    assert (await client.delete(f"{LESSONS}/{video['id']}", headers=tutor)).status_code == 204
    body = await detail(client, tutor, course["id"])
    assert body["lesson_count"] == 7
    assert body["duration_seconds"] == 3600 + 5 * 10
    assert outline_of(body)[0] == ("One", ["Zeroth", "Long"])


async def test_lesson_content_must_fit_its_kind(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    section = await add_section(client, tutor, course["id"])
    video = await add_lesson(
        client, tutor, section["id"], kind="video", text=None, video_url="https://v.example/1"
    )
    text = await add_lesson(client, tutor, section["id"], title="Text")
    before = await detail(client, tutor, course["id"])
    url = f"{SECTIONS}/{section['id']}/lessons"

    for body in (
        {"kind": "video", "title": "V", "text": "words"},
        {"kind": "text", "title": "T", "video_url": "https://v.example/2"},
        {"kind": "quiz", "title": "Q", "text": "words"},
        {"kind": "video", "title": "V", "video_url": "ftp://v.example/1"},
        {"kind": "video", "title": "V", "video_url": "not a url"},
        {"kind": "video", "title": "V", "video_url": "https://"},
        {"kind": "video", "title": "V", "video_url": "javascript:alert(1)"},
        {"kind": "text", "title": "T", "position": 3},
        {"kind": "text", "title": "   "},
    ):
        response = await client.post(url, json=body, headers=tutor)
        problem(response, 422)
    for body in (
        {"kind": "podcast", "title": "P"},
        {"kind": "text"},
        {"kind": "text", "title": "T", "duration_seconds": -1},
        {"kind": "text", "title": "T", "duration_seconds": 86_401},
        {"kind": "text", "title": "T", "grade": 1},
        {"kind": "video", "title": "V", "video_url": "https://v.example/" + "a" * 2048},
    ):
        response = await client.post(url, json=body, headers=tutor)
        problem(response, 400)
    for lesson_id, body in (
        (video["id"], {"text": "words"}),
        (video["id"], {"video_url": "mailto:someone@example.com"}),
        (text["id"], {"video_url": "https://v.example/3"}),
    ):
        response = await client.patch(f"{LESSONS}/{lesson_id}", json=body, headers=tutor)
        problem(response, 422)
    problem(
        await client.patch(f"{LESSONS}/{text['id']}", json={"kind": "movie"}, headers=tutor), 400
    )

    assert await detail(client, tutor, course["id"]) == before


async def test_changing_a_lesson_kind_drops_content_the_new_kind_cannot_carry(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    section = await add_section(client, tutor, course["id"])
    text = await add_lesson(client, tutor, section["id"], title="Was text", text="# Words")

    response = await client.patch(f"{LESSONS}/{text['id']}", json={"kind": "video"}, headers=tutor)

    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "video" and response.json()["text"] is None


async def test_changing_a_lesson_kind_with_its_new_content(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    section = await add_section(client, tutor, course["id"])
    text = await add_lesson(client, tutor, section["id"], title="Was text", text="# Words")

    response = await client.patch(
        f"{LESSONS}/{text['id']}",
        json={"kind": "video", "text": None, "video_url": "https://v.example/new"},
        headers=tutor,
    )

    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "video"
    assert response.json()["text"] is None
    assert response.json()["video_url"] == "https://v.example/new"
    lesson = (await detail(client, tutor, course["id"]))["sections"][0]["lessons"][0]
    assert lesson == response.json()


async def test_unknown_sections_lessons_and_courses_are_404(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    before = await detail(client, tutor, course["id"])
    nobody = str(uuid.uuid4())

    for response in (
        await client.patch(f"{SECTIONS}/{nobody}", json={"title": "X"}, headers=tutor),
        await client.delete(f"{SECTIONS}/{nobody}", headers=tutor),
        await client.post(
            f"{SECTIONS}/{nobody}/lessons", json={"kind": "text", "title": "X"}, headers=tutor
        ),
    ):
        problem(response, 404, "section-not-found")
    for response in (
        await client.patch(f"{LESSONS}/{nobody}", json={"title": "X"}, headers=tutor),
        await client.delete(f"{LESSONS}/{nobody}", headers=tutor),
        await client.put(
            f"{LESSONS}/{nobody}/file", files=upload("a.pdf", PDF, "application/pdf"), headers=tutor
        ),
    ):
        problem(response, 404, "lesson-not-found")
    for key in (nobody, "no-such-course"):
        for response in (
            await client.get(f"{COURSES}/{key}", headers=tutor),
            await patch(client, tutor, key, {"title": "X"}),
            await client.delete(f"{COURSES}/{key}", headers=tutor),
            await client.post(f"{COURSES}/{key}/sections", json={"title": "X"}, headers=tutor),
            await client.put(f"{COURSES}/{key}/outline", json={"sections": []}, headers=tutor),
        ):
            problem(response, 404, "course-not-found")
    problem(await client.patch(f"{SECTIONS}/not-a-uuid", json={"title": "X"}, headers=tutor), 404)

    assert await detail(client, tutor, course["id"]) == before


async def test_the_preview_lesson_is_a_free_preview_of_the_course(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    other = await create_course(client, tutor, title="Other")
    section = await add_section(client, tutor, course["id"])
    first = await add_lesson(client, tutor, section["id"], title="First")
    second = await add_lesson(client, tutor, section["id"], title="Second")
    foreign = await add_lesson(client, tutor, (await add_section(client, tutor, other["id"]))["id"])
    key = course["id"]

    chosen = await patch(client, tutor, key, {"preview_lesson_id": second["id"]})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["preview_lesson_id"] == second["id"]
    assert [x["is_free_preview"] for x in chosen.json()["sections"][0]["lessons"]] == [False, True]
    before = await detail(client, tutor, key)

    for lesson_id in (foreign["id"], str(uuid.uuid4())):
        response = await patch(client, tutor, key, {"preview_lesson_id": lesson_id})
        problem(response, 422, "unknown-outline-item")
    problem(await patch(client, tutor, key, {"preview_lesson_id": "first"}), 400)
    assert await detail(client, tutor, key) == before

    # A preview lesson that stops being a free preview is no longer the preview.
    unflagged = await client.patch(
        f"{LESSONS}/{second['id']}", json={"is_free_preview": False}, headers=tutor
    )
    assert unflagged.status_code == 200, unflagged.text
    assert (await detail(client, tutor, key))["preview_lesson_id"] is None
    # Nor once deleted; null clears it, leaving the lesson a free preview.
    await patch(client, tutor, key, {"preview_lesson_id": first["id"]})
    cleared = await patch(client, tutor, key, {"preview_lesson_id": None})
    assert cleared.json()["preview_lesson_id"] is None
    assert cleared.json()["sections"][0]["lessons"][0]["is_free_preview"] is True
    await patch(client, tutor, key, {"preview_lesson_id": first["id"]})
    assert (await client.delete(f"{LESSONS}/{first['id']}", headers=tutor)).status_code == 204
    assert (await detail(client, tutor, key))["preview_lesson_id"] is None


# ---- reordering the outline ------------------------------------------------------------------
async def _three_by_two(client: Any, tutor: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """A course with sections A (a1, a2) and B (b1); the section ids and the lesson ids."""
    course = await create_course(client, tutor)
    a = await add_section(client, tutor, course["id"], "A")
    b = await add_section(client, tutor, course["id"], "B")
    a1 = await add_lesson(client, tutor, a["id"], title="a1")
    a2 = await add_lesson(client, tutor, a["id"], title="a2")
    b1 = await add_lesson(client, tutor, b["id"], title="b1")
    return course["id"], [a["id"], b["id"]], [a1["id"], a2["id"], b1["id"]]


async def test_the_outline_is_reordered_across_sections(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    key, (a, b), (a1, a2, b1) = await _three_by_two(client, tutor)

    response = await client.put(
        f"{COURSES}/{key}/outline",
        json={
            "sections": [
                {"section_id": b, "lesson_ids": [a2, b1]},
                {"section_id": a, "lesson_ids": [a1]},
            ]
        },
        headers=tutor,
    )

    assert response.status_code == 200, response.text
    assert outline_of(response.json()) == [("B", ["a2", "b1"]), ("A", ["a1"])]
    assert outline_of(await detail(client, tutor, key)) == [("B", ["a2", "b1"]), ("A", ["a1"])]
    # A section may be left empty.
    emptied = await client.put(
        f"{COURSES}/{key}/outline",
        json={
            "sections": [
                {"section_id": a, "lesson_ids": [b1, a1, a2]},
                {"section_id": b, "lesson_ids": []},
            ]
        },
        headers=tutor,
    )
    assert emptied.status_code == 200, emptied.text
    assert outline_of(emptied.json()) == [("A", ["b1", "a1", "a2"]), ("B", [])]


async def test_an_outline_that_omits_duplicates_or_invents_items_changes_nothing(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    key, (a, b), (a1, a2, b1) = await _three_by_two(client, tutor)
    before = await detail(client, tutor, key)
    other_key, (other_section, _), (other_lesson, _, _) = await _three_by_two(client, tutor)
    nobody = str(uuid.uuid4())

    def order(*sections: tuple[str, list[str]]) -> dict[str, Any]:
        return {"sections": [{"section_id": s, "lesson_ids": ids} for s, ids in sections]}

    for body, code in (
        (order((a, [a1, a2]), (b, [])), "invalid-outline"),  # b1 left out
        (order((a, [a1, a2, b1]), (b, [b1])), "invalid-outline"),  # b1 twice
        (order((a, [a1, a1, a2, b1]), (b, [])), "invalid-outline"),
        (order((a, [a1, a2, b1])), "invalid-outline"),  # section B left out
        (order((a, [a1, a2]), (b, [b1]), (a, [])), "invalid-outline"),
        (order(), "invalid-outline"),
        (order((a, [a1, a2]), (b, [b1, nobody])), "unknown-outline-item"),
        (order((a, [a1, a2]), (b, [b1]), (nobody, [])), "unknown-outline-item"),
        (order((a, [a1, a2, other_lesson]), (b, [b1])), "unknown-outline-item"),
        (order((a, [a1, a2]), (b, [b1]), (other_section, [])), "unknown-outline-item"),
    ):
        response = await client.put(f"{COURSES}/{key}/outline", json=body, headers=tutor)
        problem(response, 422, code)
    for body in ({}, {"sections": [{"section_id": a}]}, {"sections": [{"section_id": "x"}]}):
        problem(await client.put(f"{COURSES}/{key}/outline", json=body, headers=tutor), 400)

    assert await detail(client, tutor, key) == before
    assert outline_of(await detail(client, tutor, other_key)) == [
        ("A", ["a1", "a2"]),
        ("B", ["b1"]),
    ]


# ---- uploads ---------------------------------------------------------------------------------
async def test_a_png_thumbnail_is_served_publicly(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    image = png(b"first")

    response = await client.put(
        f"{COURSES}/{course['id']}/thumbnail",
        files=upload("cover.png", image, "image/png"),
        headers=tutor,
    )

    assert response.status_code == 200, response.text
    url = response.json()["thumbnail_url"]
    assert url.startswith("/api/v1/images/") and url.endswith(".png")
    assert (await detail(client, tutor, course["id"]))["thumbnail_url"] == url
    served = await client.get(url)  # no credentials needed
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/png")
    assert "max-age" in served.headers["cache-control"]
    assert "public" in served.headers["cache-control"]
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == image

    # A new thumbnail replaces the old one, which is gone.
    replaced = await client.put(
        f"{COURSES}/{course['id']}/thumbnail",
        files=upload("cover.png", png(b"second"), "image/png"),
        headers=tutor,
    )
    new_url = replaced.json()["thumbnail_url"]
    assert new_url != url
    assert (await client.get(new_url)).content == png(b"second")
    problem(await client.get(url), 404)


async def test_a_thumbnail_must_be_an_image_from_an_instructor(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    stranger = await headers_of(client, "cotutor")
    draft = await create_course(client, tutor)
    live = await published_course(client, tutor, manager, title="Live")

    def url(course: dict[str, Any]) -> str:
        return f"{COURSES}/{course['id']}/thumbnail"

    # The declared type does not matter: the bytes do.
    problem(
        await client.put(url(draft), files=upload("c.png", PDF, "image/png"), headers=tutor), 415
    )
    problem(
        await client.put(url(draft), files=upload("c.pdf", PDF, "application/pdf"), headers=tutor),
        415,
    )
    image = upload("c.png", png(), "image/png")
    problem(await client.put(url(draft), files=image, headers=stranger), 404)
    problem(await client.put(url(live), files=image, headers=stranger), 403)
    problem(await client.put(url(draft), files=image), 401)
    problem(
        await client.put(
            url(draft), files={"picture": ("c.png", png(), "image/png")}, headers=tutor
        ),
        400,
    )

    assert (await detail(client, tutor, draft["id"]))["thumbnail_url"] is None
    assert (await detail(client, tutor, live["id"]))["thumbnail_url"] is None
    problem(await client.get("/api/v1/images/course_thumbnail/nothing-here.png"), 404)
    problem(await client.get("/api/v1/images/lesson_media/secret.pdf"), 404)


async def test_lesson_files_must_fit_the_kind_of_lesson(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    stranger = await headers_of(client, "cotutor")
    course = await create_course(client, tutor)
    section = await add_section(client, tutor, course["id"])
    pdf = await add_lesson(client, tutor, section["id"], kind="pdf", title="Notes", text=None)
    video = await add_lesson(client, tutor, section["id"], kind="video", title="Clip", text=None)
    text = await add_lesson(client, tutor, section["id"], title="Text")

    stored = await client.put(
        f"{LESSONS}/{pdf['id']}/file",
        files=upload("notes.pdf", PDF, "application/pdf"),
        headers=tutor,
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["file"] == {
        "filename": "notes.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
    }
    before = await detail(client, tutor, course["id"])
    assert before["sections"][0]["lessons"][0]["file"] == stored.json()["file"]

    problem(
        await client.put(
            f"{LESSONS}/{video['id']}/file",
            files=upload("a.png", png(), "image/png"),
            headers=tutor,
        ),
        415,
    )
    problem(
        await client.put(
            f"{LESSONS}/{text['id']}/file",
            files=upload("a.pdf", PDF, "application/pdf"),
            headers=tutor,
        ),
        422,
    )
    problem(
        await client.put(
            f"{LESSONS}/{pdf['id']}/file",
            files=upload("a.pdf", PDF, "application/pdf"),
            headers=stranger,
        ),
        404,
    )

    assert await detail(client, tutor, course["id"]) == before


# ---- deleting --------------------------------------------------------------------------------
async def test_the_owner_deletes_a_never_published_draft(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor)
    section = await add_section(client, tutor, course["id"])
    lesson = await add_lesson(client, tutor, section["id"])
    thumbnail = await client.put(
        f"{COURSES}/{course['id']}/thumbnail",
        files=upload("t.png", png(), "image/png"),
        headers=tutor,
    )
    image_url = thumbnail.json()["thumbnail_url"]
    assert (await client.get(image_url)).status_code == 200

    response = await client.delete(f"{COURSES}/{course['slug']}", headers=tutor)

    assert response.status_code == 204
    problem(await client.get(image_url), 404)
    for key in (course["id"], course["slug"]):
        problem(await client.get(f"{COURSES}/{key}", headers=tutor), 404, "course-not-found")
    problem(
        await client.patch(f"{LESSONS}/{lesson['id']}", json={"title": "X"}, headers=tutor), 404
    )
    problem(await client.delete(f"{COURSES}/{course['id']}", headers=tutor), 404)
    mine = await client.get("/api/v1/me/courses", headers=tutor)
    assert mine.json()["items"] == []


async def test_courses_that_were_published_or_are_under_review_cannot_be_deleted(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    live = await published_course(client, tutor, manager, title="Live")
    pending = await create_course(client, tutor, title="Pending")
    section = await add_section(client, tutor, pending["id"])
    await add_lesson(client, tutor, section["id"])
    assert (await move(client, tutor, pending["id"], "submit")).status_code == 200

    problem(
        await client.delete(f"{COURSES}/{live['id']}", headers=tutor), 409, "course-not-deletable"
    )
    problem(
        await client.delete(f"{COURSES}/{pending['id']}", headers=tutor),
        409,
        "course-not-deletable",
    )
    # Back to draft by unpublishing: it was published once, so it stays.
    assert (await move(client, manager, live["id"], "unpublish")).json()["status"] == "draft"
    problem(
        await client.delete(f"{COURSES}/{live['id']}", headers=tutor), 409, "course-not-deletable"
    )

    assert (await detail(client, tutor, live["id"]))["status"] == "draft"
    assert (await detail(client, tutor, pending["id"]))["status"] == "pending"


async def test_only_the_owner_deletes(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    course = await with_co_instructor(client, tutor, cotutor)

    problem(await client.delete(f"{COURSES}/{course['id']}", headers=cotutor), 403)
    for name in ("manager", "admin"):
        response = await client.delete(
            f"{COURSES}/{course['id']}", headers=await headers_of(client, name)
        )
        problem(response, 403)
    problem(
        await client.delete(
            f"{COURSES}/{course['id']}", headers=await headers_of(client, "student")
        ),
        404,
    )
    problem(await client.delete(f"{COURSES}/{course['id']}"), 401)

    assert (await detail(client, tutor, course["id"]))["status"] == "draft"


# ---- prerequisites ---------------------------------------------------------------------------
async def test_a_course_requires_published_courses(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    basics = await published_course(client, cotutor, manager, title="Basics")
    course = await published_course(client, tutor, manager, title="Advanced")

    response = await patch(client, tutor, course["id"], {"prerequisite_ids": [basics["id"]]})

    assert response.status_code == 200, response.text
    expected = [{"id": basics["id"], "slug": "basics", "title": "Basics", "status": "published"}]
    assert response.json()["prerequisites"] == expected
    # Live once staff approve the revision.
    assert (await detail(client, None, "advanced"))["prerequisites"] == []
    for headers, action in ((tutor, "revision/submit"), (manager, "revision/approve")):
        assert (await move(client, headers, course["id"], action)).status_code == 200
    assert (await detail(client, None, "advanced"))["prerequisites"] == expected
    # Duplicates collapse; an empty list clears them.
    twice = await patch(
        client, tutor, course["id"], {"prerequisite_ids": [basics["id"], basics["id"]]}
    )
    assert twice.json()["prerequisites"] == expected
    cleared = await patch(client, tutor, course["id"], {"prerequisite_ids": []})
    assert cleared.json()["prerequisites"] == []


async def test_an_unpublished_prerequisite_is_shown_to_instructors_only(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    live = await published_course(client, tutor, manager, title="Live")
    upcoming = await create_course(client, tutor, title="Upcoming Secret")

    response = await patch(client, tutor, live["id"], {"prerequisite_ids": [upcoming["id"]]})

    assert response.status_code == 200, response.text
    assert [(p["title"], p["status"]) for p in response.json()["prerequisites"]] == [
        ("Upcoming Secret", "draft")
    ]
    public = await client.get(f"{COURSES}/{live['slug']}")
    assert public.json()["prerequisites"] == []
    assert "Upcoming Secret" not in public.text


async def test_prerequisites_that_cannot_be_taken_are_refused(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    course = await create_course(client, tutor, title="Course")
    their_draft = await create_course(client, cotutor, title="Their Draft")
    before = await detail(client, tutor, course["id"])

    for ids in ([course["id"]], [str(uuid.uuid4())], [their_draft["id"]]):
        problem(await patch(client, tutor, course["id"], {"prerequisite_ids": ids}), 422)
    problem(
        await patch(client, tutor, course["id"], {"prerequisite_ids": [str(uuid.uuid4())] * 11}),
        400,
    )

    assert await detail(client, tutor, course["id"]) == before


async def test_a_prerequisite_chain_cannot_close_into_a_cycle(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    a = await create_course(client, tutor, title="A")
    b = await create_course(client, tutor, title="B")
    c = await create_course(client, tutor, title="C")
    # A requires B, B requires C (the tutor's own drafts may be prerequisites of each other).
    assert (await patch(client, tutor, a["id"], {"prerequisite_ids": [b["id"]]})).status_code == 200
    assert (await patch(client, tutor, b["id"], {"prerequisite_ids": [c["id"]]})).status_code == 200
    before = {key: await detail(client, tutor, key) for key in (a["id"], b["id"], c["id"])}

    for key, ids in ((c["id"], [a["id"]]), (c["id"], [b["id"]]), (b["id"], [a["id"]])):
        response = await patch(client, tutor, key, {"prerequisite_ids": ids})
        body = problem(response, 422, "prerequisite-cycle")
        assert key in body["detail"]

    for key, body in before.items():
        assert await detail(client, tutor, key) == body
    # Requiring across the chain without closing it is fine.
    fine = await patch(client, tutor, a["id"], {"prerequisite_ids": [b["id"], c["id"]]})
    assert fine.status_code == 200, fine.text
    assert [ref["title"] for ref in fine.json()["prerequisites"]] == ["B", "C"]


# ---- categories ------------------------------------------------------------------------------
async def test_admins_create_nested_categories(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    admin = await headers_of(client, "admin")

    parent = await client.post(
        CATEGORIES,
        json={"name": "Web Développement", "description": "The web.", "icon": "globe"},
        headers=admin,
    )
    assert parent.status_code == 201, parent.text
    assert parent.json()["slug"] == "web-developpement"
    assert parent.json()["parent_id"] is None and parent.json()["course_count"] == 0
    child = await client.post(
        CATEGORIES, json={"name": "Frontend", "parent_id": parent.json()["id"]}, headers=admin
    )
    assert child.status_code == 201, child.text
    assert child.json()["parent_id"] == parent.json()["id"]
    twin = await client.post(CATEGORIES, json={"name": "Frontend"}, headers=admin)
    assert twin.json()["slug"] == "frontend-2"

    listed = await client.get(CATEGORIES)
    assert listed.status_code == 200
    by_slug = {category["slug"]: category for category in listed.json()["items"]}
    assert set(by_slug) == {"web-developpement", "frontend", "frontend-2"}
    assert by_slug["frontend"]["parent_id"] == parent.json()["id"]
    assert by_slug["web-developpement"]["icon"] == "globe"
    order = [category["slug"] for category in listed.json()["items"]]
    assert order.index("web-developpement") < order.index("frontend")

    renamed = await client.patch(
        f"{CATEGORIES}/{child.json()['id']}", json={"name": "Front end"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Front end" and renamed.json()["slug"] == "frontend"


async def test_category_list_counts_published_courses(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    admin = await headers_of(client, "admin")
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    category = (await client.post(CATEGORIES, json={"name": "Data"}, headers=admin)).json()

    await published_course(client, tutor, manager, title="Live", category_id=category["id"])
    await create_course(client, tutor, title="Draft", category_id=category["id"])

    [listed] = (await client.get(CATEGORIES)).json()["items"]
    assert listed["id"] == category["id"] and listed["course_count"] == 1


async def test_a_category_cannot_move_into_its_own_subtree(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    admin = await headers_of(client, "admin")
    top = (await client.post(CATEGORIES, json={"name": "Top"}, headers=admin)).json()
    middle = (
        await client.post(
            CATEGORIES, json={"name": "Middle", "parent_id": top["id"]}, headers=admin
        )
    ).json()
    bottom = (
        await client.post(
            CATEGORIES, json={"name": "Bottom", "parent_id": middle["id"]}, headers=admin
        )
    ).json()
    before = (await client.get(CATEGORIES)).json()["items"]

    for parent in (bottom["id"], middle["id"], top["id"]):
        response = await client.patch(
            f"{CATEGORIES}/{top['id']}", json={"parent_id": parent}, headers=admin
        )
        problem(response, 422, "category-cycle")
    unknown = await client.patch(
        f"{CATEGORIES}/{top['id']}", json={"parent_id": str(uuid.uuid4())}, headers=admin
    )
    problem(unknown, 422)
    assert (await client.get(CATEGORIES)).json()["items"] == before

    # Four levels at most.
    fourth = await client.post(
        CATEGORIES, json={"name": "Fourth", "parent_id": bottom["id"]}, headers=admin
    )
    assert fourth.status_code == 201, fourth.text
    fifth = await client.post(
        CATEGORIES, json={"name": "Fifth", "parent_id": fourth.json()["id"]}, headers=admin
    )
    problem(fifth, 422, "category-too-deep")
    assert len((await client.get(CATEGORIES)).json()["items"]) == 4
    # Moving a leaf up to the top is fine.
    moved = await client.patch(
        f"{CATEGORIES}/{fourth.json()['id']}", json={"parent_id": None}, headers=admin
    )
    assert moved.status_code == 200 and moved.json()["parent_id"] is None


async def test_a_category_in_use_cannot_be_deleted(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    admin = await headers_of(client, "admin")
    tutor = await headers_of(client, "tutor")
    parent = (await client.post(CATEGORIES, json={"name": "Parent"}, headers=admin)).json()
    child = (
        await client.post(
            CATEGORIES, json={"name": "Child", "parent_id": parent["id"]}, headers=admin
        )
    ).json()
    filed = (await client.post(CATEGORIES, json={"name": "Filed"}, headers=admin)).json()
    course = await create_course(client, tutor, category_id=filed["id"])  # a draft counts too

    problem(
        await client.delete(f"{CATEGORIES}/{parent['id']}", headers=admin), 409, "category-in-use"
    )
    problem(
        await client.delete(f"{CATEGORIES}/{filed['id']}", headers=admin), 409, "category-in-use"
    )
    assert len((await client.get(CATEGORIES)).json()["items"]) == 3
    assert (await detail(client, tutor, course["id"]))["category"]["id"] == filed["id"]

    assert (await client.delete(f"{CATEGORIES}/{child['id']}", headers=admin)).status_code == 204
    assert (await client.delete(f"{CATEGORIES}/{parent['id']}", headers=admin)).status_code == 204
    problem(await client.delete(f"{CATEGORIES}/{parent['id']}", headers=admin), 404)
    assert [c["slug"] for c in (await client.get(CATEGORIES)).json()["items"]] == ["filed"]


async def test_only_admins_change_categories(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    admin = await headers_of(client, "admin")
    category = (await client.post(CATEGORIES, json={"name": "Kept"}, headers=admin)).json()
    url = f"{CATEGORIES}/{category['id']}"

    for name in ("manager", "tutor", "student"):
        headers = await headers_of(client, name)
        problem(await client.post(CATEGORIES, json={"name": "New"}, headers=headers), 403)
        problem(await client.patch(url, json={"name": "Changed"}, headers=headers), 403)
        problem(await client.delete(url, headers=headers), 403)
    problem(await client.post(CATEGORIES, json={"name": "New"}), 401)
    problem(await client.patch(url, json={"name": "Changed"}), 401)
    problem(await client.delete(url), 401)

    assert (await client.get(CATEGORIES)).json()["items"] == [category]


async def test_category_slugs_are_unique_and_bodies_checked(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    admin = await headers_of(client, "admin")
    first = (await client.post(CATEGORIES, json={"name": "First"}, headers=admin)).json()
    second = (await client.post(CATEGORIES, json={"name": "Second"}, headers=admin)).json()

    problem(
        await client.patch(f"{CATEGORIES}/{second['id']}", json={"slug": "first"}, headers=admin),
        409,
        "category-taken",
    )
    problem(
        await client.post(CATEGORIES, json={"name": "Third", "slug": "Not A Slug"}, headers=admin),
        422,
        "invalid-slug",
    )
    for body in ({}, {"name": ""}, {"name": "x" * 81}, {"name": "X", "colour": "red"}):
        problem(await client.post(CATEGORIES, json=body, headers=admin), 400)
    problem(
        await client.patch(f"{CATEGORIES}/{uuid.uuid4()}", json={"name": "X"}, headers=admin), 404
    )

    assert (await client.get(CATEGORIES)).json()["items"] == [first, second]


async def test_creating_a_category_with_a_taken_slug_is_a_conflict(
    client: Any, settings: Settings
) -> None:
    """An explicit slug at creation is not compared with the others before the INSERT: the
    unique constraint decides, and must answer 409, not 500."""
    await seed_people(settings)
    admin = await headers_of(client, "admin")
    first = (await client.post(CATEGORIES, json={"name": "First"}, headers=admin)).json()

    response = await client.post(CATEGORIES, json={"name": "Third", "slug": "first"}, headers=admin)

    problem(response, 409, "category-taken")
    assert (await client.get(CATEGORIES)).json()["items"] == [first]
