"""Issue 15, findings 7 and 8, re-run as the probe did: a co-instructor is invited and must
accept (and may leave); a published course changes only through a reviewed revision, and a
price change reaches new orders only, audited."""

from __future__ import annotations

from typing import Any

from tests.support.billing import sandbox_button
from tests.support.catalog import (
    COURSES,
    add_lesson,
    create_course,
    headers_of,
    move,
    published_course,
    seed_people,
)
from tests.support.identity import mails_to, problem

from elearn.entrypoints.settings import Settings

AUDIT = "/api/v1/admin/audit-log"
INVITATIONS = "/api/v1/course-invitations"


async def me(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def public(client: Any, key: str) -> dict[str, Any]:
    response = await client.get(f"{COURSES}/{key}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def invitation_mail(settings: Settings, address: str) -> Any:
    """The invitation among the emails to ``address`` (seeded accounts get a welcome too)."""
    for count in range(1, 4):
        for mail in await mails_to(settings, address, count=count):
            if "co-teach" in mail["Subject"]:
                return mail
    raise AssertionError(f"no invitation to co-teach was sent to {address}")


def instructor_ids(course: dict[str, Any]) -> list[str]:
    return [person["id"] for person in course["instructors"]]


# ---- finding 7: co-instructors consent ------------------------------------------------------
async def test_naming_a_co_instructor_no_longer_makes_them_one(
    client: Any, settings: Settings
) -> None:
    """The probe: a tutor put another approved tutor on their course without asking; the victim
    was shown publicly and could edit. The field is gone: only an invitation does it now."""
    await seed_people(settings)
    tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    cotutor_id = await me(client, cotutor)
    course = await published_course(client, tutor, manager)

    named = await client.patch(
        f"{COURSES}/{course['id']}", json={"co_instructor_ids": [cotutor_id]}, headers=tutor
    )

    problem(named, 400)
    assert cotutor_id not in instructor_ids(await public(client, course["id"]))
    edit = await client.post(
        f"{COURSES}/{course['id']}/sections", json={"title": "Mine"}, headers=cotutor
    )
    problem(edit, 403, "permission-denied")


async def test_an_invited_tutor_is_shown_and_edits_only_after_accepting_and_may_leave(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
    course = await create_course(client, tutor, title="Team taught")
    cotutor_id = await me(client, cotutor)

    invited = await client.post(
        f"{COURSES}/{course['id']}/invitations", json={"user_id": cotutor_id}, headers=tutor
    )
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert (invitation["status"], invitation["invitee"]["id"]) == ("pending", cotutor_id)
    mail = await invitation_mail(settings, "cotutor@catalog.test")
    assert "Team taught" in mail["Subject"]

    # Pending: not an instructor, cannot edit, sees the invitation in their own list.
    assert instructor_ids(await _as(client, tutor, course["id"])) == [await me(client, tutor)]
    refused = await client.post(
        f"{COURSES}/{course['id']}/sections", json={"title": "Early"}, headers=cotutor
    )
    problem(refused, 404, "course-not-found")
    mine = await client.get(f"{INVITATIONS}/received", headers=cotutor)
    assert mine.status_code == 200, mine.text
    assert [item["id"] for item in mine.json()["items"]] == [invitation["id"]]
    assert mine.json()["next_cursor"] is None
    problem(
        await client.post(
            f"{COURSES}/{course['id']}/invitations", json={"user_id": cotutor_id}, headers=tutor
        ),
        409,
        "co-instructor-already-invited",
    )
    # Only the invitee answers.
    problem(await client.post(f"{INVITATIONS}/{invitation['id']}/accept", headers=tutor), 404)

    accepted = await client.post(f"{INVITATIONS}/{invitation['id']}/accept", headers=cotutor)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert cotutor_id in instructor_ids(await _as(client, tutor, course["id"]))
    added = await client.post(
        f"{COURSES}/{course['id']}/sections", json={"title": "Joined"}, headers=cotutor
    )
    assert added.status_code == 201, added.text
    problem(
        await client.post(f"{INVITATIONS}/{invitation['id']}/accept", headers=cotutor),
        409,
        "invitation-not-pending",
    )

    left = await client.delete(
        f"{COURSES}/{course['id']}/co-instructors/{cotutor_id}", headers=cotutor
    )
    assert left.status_code == 204, left.text
    assert instructor_ids(await _as(client, tutor, course["id"])) == [await me(client, tutor)]


async def test_the_owner_withdraws_an_invitation_and_removes_a_co_instructor(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
    student = await headers_of(client, "student")
    course = await create_course(client, tutor, title="Owned")
    cotutor_id, student_id = await me(client, cotutor), await me(client, student)

    # Students, unknown people and the owner are not invitable; bad shapes are 400.
    for body, status, code in (
        ({"user_id": student_id}, 422, "invalid-input"),
        ({"user_id": await me(client, tutor)}, 422, None),
        ({"user_id": "nope"}, 400, None),
        ({}, 400, None),
    ):
        problem(
            await client.post(f"{COURSES}/{course['id']}/invitations", json=body, headers=tutor),
            status,
            code,
        )
    first = await client.post(
        f"{COURSES}/{course['id']}/invitations", json={"user_id": cotutor_id}, headers=tutor
    )
    problem(await client.delete(f"{INVITATIONS}/{first.json()['id']}", headers=cotutor), 403)
    withdrawn = await client.delete(f"{INVITATIONS}/{first.json()['id']}", headers=tutor)
    assert withdrawn.status_code == 204, withdrawn.text
    problem(await client.post(f"{INVITATIONS}/{first.json()['id']}/accept", headers=cotutor), 409)
    listed = await client.get(f"{COURSES}/{course['id']}/invitations", headers=tutor)
    assert [i["status"] for i in listed.json()["items"]] == ["withdrawn"]

    second = await client.post(
        f"{COURSES}/{course['id']}/invitations", json={"user_id": cotutor_id}, headers=tutor
    )
    declined = await client.post(f"{INVITATIONS}/{second.json()['id']}/decline", headers=cotutor)
    assert declined.json()["status"] == "declined"
    third = await client.post(
        f"{COURSES}/{course['id']}/invitations", json={"user_id": cotutor_id}, headers=tutor
    )
    await client.post(f"{INVITATIONS}/{third.json()['id']}/accept", headers=cotutor)
    problem(
        await client.delete(
            f"{COURSES}/{course['id']}/co-instructors/{await me(client, tutor)}", headers=cotutor
        ),
        403,
    )
    removed = await client.delete(
        f"{COURSES}/{course['id']}/co-instructors/{cotutor_id}", headers=tutor
    )
    assert removed.status_code == 204, removed.text
    problem(
        await client.delete(f"{COURSES}/{course['id']}/co-instructors/{cotutor_id}", headers=tutor),
        404,
        "co-instructor-not-found",
    )
    assert instructor_ids(await _as(client, tutor, course["id"])) == [await me(client, tutor)]


async def _as(client: Any, headers: dict[str, str], key: str) -> dict[str, Any]:
    response = await client.get(f"{COURSES}/{key}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# ---- finding 8: reviewed revisions ----------------------------------------------------------
async def test_a_published_course_changes_only_when_staff_approve_its_revision(
    client: Any, settings: Settings
) -> None:
    """The probe: while published, `free: true` and a lesson's kind and content swapped went
    live at once. Now they wait in a revision; the live course stays as it was, published."""
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    course = await published_course(
        client, tutor, manager, free=False, price={"amount": 4900, "currency": "USD"}
    )
    lesson = course["sections"][0]["lessons"][0]
    before = await public(client, course["id"])

    made_free = await client.patch(f"{COURSES}/{course['id']}", json={"free": True}, headers=tutor)
    assert made_free.status_code == 200, made_free.text
    assert made_free.json()["revision"]["status"] == "draft"
    swapped = await client.patch(
        f"/api/v1/lessons/{lesson['id']}",
        json={"kind": "video", "video_url": "https://evil.example/v", "text": None},
        headers=tutor,
    )
    assert swapped.status_code == 200, swapped.text
    extra = await client.post(
        f"{COURSES}/{course['id']}/sections", json={"title": "Bonus"}, headers=tutor
    )
    await add_lesson(client, tutor, extra.json()["id"], title="Staged lesson")

    live = await public(client, course["id"])
    assert live == before
    assert (live["status"], live["is_free"], live["price"]) == (
        "published",
        False,
        {"amount": 4900, "currency": "USD"},
    )
    staged = await client.get(f"{COURSES}/{course['id']}/revision", headers=tutor)
    assert staged.status_code == 200, staged.text
    assert staged.json()["status"] == "draft"
    assert set(staged.json()["changed_fields"]) == {"is_free", "price", "sections"}
    assert staged.json()["course"]["is_free"] is True
    problem(await client.get(f"{COURSES}/{course['id']}/revision"), 401)

    submitted = await client.post(f"{COURSES}/{course['id']}/revision/submit", headers=tutor)
    assert submitted.json()["status"] == "pending", submitted.text
    queue = await client.get("/api/v1/course-revisions", headers=manager)
    assert [item["course"]["id"] for item in queue.json()["items"]] == [course["id"]], queue.text
    assert queue.json()["next_cursor"] is None
    problem(await client.get("/api/v1/course-revisions", headers=tutor), 403)
    locked = await client.patch(f"{COURSES}/{course['id']}", json={"title": "X"}, headers=tutor)
    problem(locked, 409, "revision-locked")
    problem(await client.post(f"{COURSES}/{course['id']}/revision/approve", headers=tutor), 403)
    assert await public(client, course["id"]) == before

    approved = await client.post(f"{COURSES}/{course['id']}/revision/approve", headers=manager)
    assert approved.status_code == 200, approved.text
    emptied = await client.get("/api/v1/course-revisions", headers=manager)
    assert emptied.json()["items"] == []
    after = await public(client, course["id"])
    assert (after["status"], after["is_free"], after["price"]) == ("published", True, None)
    assert [s["title"] for s in after["sections"]] == ["Basics", "Bonus"]
    assert after["sections"][0]["lessons"][0]["kind"] == "video"
    problem(await client.get(f"{COURSES}/{course['id']}/revision", headers=tutor), 404)
    admin = await headers_of(client, "admin")
    log = await client.get(AUDIT, params={"target_id": course["id"]}, headers=admin)
    actions = [entry["action"] for entry in log.json()["items"]]
    assert {"course.revision_submitted", "course.revision_approved"} <= set(actions)
    assert "course.price_changed" in actions


async def test_a_rejected_revision_is_fixed_and_resubmitted_or_discarded(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    course = await published_course(client, tutor, manager)
    before = await public(client, course["id"])

    problem(await client.post(f"{COURSES}/{course['id']}/revision/submit", headers=tutor), 404)
    await client.patch(f"{COURSES}/{course['id']}", json={"title": "Clickbait"}, headers=tutor)
    await move(client, tutor, course["id"], "revision/submit")
    problem(
        await client.post(f"{COURSES}/{course['id']}/revision/reject", json={}, headers=manager),
        400,
    )
    rejected = await client.post(
        f"{COURSES}/{course['id']}/revision/reject",
        json={"reason": "Misleading title."},
        headers=manager,
    )
    assert rejected.json()["status"] == "rejected", rejected.text
    assert rejected.json()["rejection_reason"] == "Misleading title."
    fixed = await client.patch(
        f"{COURSES}/{course['id']}", json={"title": "Python, properly"}, headers=tutor
    )
    assert fixed.json()["revision"]["status"] == "draft"
    assert fixed.json()["title"] == "Python, properly"
    assert (await public(client, course["id"]))["title"] == before["title"]

    discarded = await client.delete(f"{COURSES}/{course['id']}/revision", headers=tutor)
    assert discarded.status_code == 204, discarded.text
    assert await public(client, course["id"]) == before
    problem(await client.get(f"{COURSES}/{course['id']}/revision", headers=tutor), 404)


async def test_a_new_price_reaches_new_orders_only_and_is_audited(
    client: Any, settings: Settings
) -> None:
    """A positive price of a paid course is the tutor's commercial choice: it applies at once,
    with an audit entry, and an order opened before it is paid at its own price."""
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    student, admin = await headers_of(client, "student"), await headers_of(client, "admin")
    course = await published_course(
        client, tutor, manager, free=False, price={"amount": 4900, "currency": "USD"}
    )
    opened = await client.post(
        "/api/v1/checkout",
        json={"item": {"kind": "course", "course_id": course["id"]}},
        headers=student,
    )
    assert opened.status_code == 201, opened.text
    order_id = opened.json()["order_id"]

    cut = await client.patch(
        f"{COURSES}/{course['id']}",
        json={"price": {"amount": 1, "currency": "USD"}},
        headers=tutor,
    )
    assert cut.status_code == 200, cut.text

    assert (await public(client, course["id"]))["price"] == {"amount": 1, "currency": "USD"}
    paid = await client.post(sandbox_button(opened.json()))
    assert paid.status_code == 200, paid.text
    order = await client.get(f"/api/v1/me/orders/{order_id}", headers=student)
    assert order.json()["status"] == "succeeded", order.text
    assert order.json()["amount"] == {"amount": 4900, "currency": "USD"}, order.text
    log = await client.get(
        AUDIT, params={"target_id": course["id"], "action": "course.price_changed"}, headers=admin
    )
    [entry] = log.json()["items"]
    assert entry["details"]["from_price"] == {"amount": 4900, "currency": "USD"}
    assert entry["details"]["to_price"] == {"amount": 1, "currency": "USD"}
