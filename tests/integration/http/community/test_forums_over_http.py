"""Course forums over HTTP, on SQLite and PostgreSQL: a student asks under a lesson, a
classmate answers in Markdown with a script tag (rendered harmless), the instructor accepts
it and pins the thread; search, filters, sorts and pages; a revoked student is refused at
once; and every bad path answers a problem naming what is wrong."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.catalog import COURSES, headers_of, published_course, seed_people
from tests.support.identity import bearer, login, problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

DISCUSSIONS = "/api/v1/discussions"


async def _classroom(client: Any, settings: Settings) -> dict[str, Any]:
    """A published free course taught by tutor@, with student@ and classmate@ enrolled."""
    await seed_people(settings)
    await seed_accounts(settings, ("classmate@catalog.test", Role.STUDENT))
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    course = await published_course(client, tutor, manager)
    people = {
        "tutor": tutor,
        "manager": manager,
        "admin": await headers_of(client, "admin"),
        "student": await headers_of(client, "student"),
        "classmate": bearer(await login(client, "classmate@catalog.test")),
        "outsider": await headers_of(client, "cotutor"),
    }
    for name in ("student", "classmate"):
        enrolled = await client.post(f"{COURSES}/{course['id']}/enroll", headers=people[name])
        assert enrolled.status_code == 201, enrolled.text
    lesson_id = course["sections"][0]["lessons"][0]["id"]
    return {"course": course, "lesson_id": lesson_id, **people}


async def test_a_question_under_a_lesson_is_answered_accepted_and_pinned(
    client: Any, settings: Settings
) -> None:
    room = await _classroom(client, settings)
    course_id = room["course"]["id"]
    asked = await client.post(
        f"{COURSES}/{course_id}/discussions",
        json={
            "kind": "question",
            "title": "What does range(3) give?",
            "body": "I tried `range(3)` and got confused.",
            "lesson_id": room["lesson_id"],
        },
        headers=room["student"],
    )
    assert asked.status_code == 201, asked.text
    question = asked.json()
    assert (question["status"], question["lesson_id"]) == ("open", room["lesson_id"])
    assert "<code>range(3)</code>" in question["body_html"]

    answer = await client.post(
        f"{DISCUSSIONS}/{question['id']}/replies",
        json={"body": "It gives **0, 1, 2**.<script>alert('x')</script>"},
        headers=room["classmate"],
    )
    assert answer.status_code == 201, answer.text
    reply = answer.json()
    assert "<strong>0, 1, 2</strong>" in reply["body_html"]
    assert "<script" not in reply["body_html"] and "&lt;script&gt;" in reply["body_html"]
    assert reply["body"].endswith("</script>")  # the source is kept as written

    accepted = await client.post(
        f"{DISCUSSIONS}/{question['id']}/accept",
        json={"reply_id": reply["id"]},
        headers=room["tutor"],
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["accepted_reply_id"]) == (
        "answered",
        reply["id"],
    )
    pinned = await client.post(f"{DISCUSSIONS}/{question['id']}/pin", headers=room["tutor"])
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True

    detail = (await client.get(f"{DISCUSSIONS}/{question['id']}", headers=room["student"])).json()
    assert detail["subscribed"] is True  # the asker follows their own question
    assert [(r["id"], r["accepted"]) for r in detail["replies"]["items"]] == [(reply["id"], True)]

    voted = await client.post(f"/api/v1/replies/{reply['id']}/vote", headers=room["student"])
    assert voted.json() == {"target_id": reply["id"], "vote_count": 1, "voted": True}
    again = await client.post(f"/api/v1/replies/{reply['id']}/vote", headers=room["student"])
    assert again.json()["vote_count"] == 1
    taken = await client.delete(f"/api/v1/replies/{reply['id']}/vote", headers=room["student"])
    assert taken.json() == {"target_id": reply["id"], "vote_count": 0, "voted": False}


async def test_lists_filter_search_sort_and_page(client: Any, settings: Settings) -> None:
    room = await _classroom(client, settings)
    course_id = room["course"]["id"]
    url = f"{COURSES}/{course_id}/discussions"
    made = []
    for n, (kind, title) in enumerate(
        [
            ("question", "Loops in Python"),
            ("discussion", "Favourite editors"),
            ("question", "Recursion depth"),
        ]
    ):
        response = await client.post(
            url,
            json={"kind": kind, "title": title, "body": f"Body number {n} about things"},
            headers=room["student"],
        )
        assert response.status_code == 201, response.text
        made.append(response.json())
    await client.post(
        f"{DISCUSSIONS}/{made[0]['id']}/replies", json={"body": "Use for."}, headers=room["tutor"]
    )
    await client.post(f"{DISCUSSIONS}/{made[1]['id']}/vote", headers=room["classmate"])

    async def ids(**params: Any) -> list[str]:
        response = await client.get(url, params=params, headers=room["classmate"])
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [made[0]["id"], made[2]["id"], made[1]["id"]]  # latest activity
    assert await ids(sort="newest") == [made[2]["id"], made[1]["id"], made[0]["id"]]
    assert (await ids(sort="votes"))[0] == made[1]["id"]
    assert await ids(sort="unanswered") == [made[2]["id"], made[1]["id"], made[0]["id"]]
    assert await ids(kind="question", sort="newest") == [made[2]["id"], made[0]["id"]]
    assert await ids(q="recursion") == [made[2]["id"]]
    assert await ids(q="python loops") == [made[0]["id"]]
    assert await ids(q="nothing-like-this") == []

    walked: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, "sort": "newest"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(url, params=params, headers=room["student"])).json()
        walked += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [made[2]["id"], made[1]["id"], made[0]["id"]]
    problem(
        await client.get(url, params={"cursor": cursor or "bogus", "sort": "votes"},
                         headers=room["student"]),
        400,
        "invalid-parameter",
    )  # fmt: skip


async def test_a_revoked_student_is_refused_at_once_and_outsiders_too(
    client: Any, settings: Settings
) -> None:
    room = await _classroom(client, settings)
    course_id = room["course"]["id"]
    url = f"{COURSES}/{course_id}/discussions"
    thread = (
        await client.post(url, json={"title": "Hi", "body": "All"}, headers=room["classmate"])
    ).json()
    mine = await client.get("/api/v1/me/enrollments", headers=room["student"])
    (enrollment,) = mine.json()["items"]
    revoked = await client.post(
        f"/api/v1/admin/enrollments/{enrollment['id']}/revoke",
        json={"reason": "Chargeback."},
        headers=room["admin"],
    )
    assert revoked.status_code == 200, revoked.text
    for caller in ("student", "outsider"):
        problem(await client.get(url, headers=room[caller]), 403, "permission-denied")
        problem(
            await client.get(f"{DISCUSSIONS}/{thread['id']}", headers=room[caller]),
            403,
            "permission-denied",
        )
        problem(
            await client.post(
                f"{DISCUSSIONS}/{thread['id']}/replies", json={"body": "x"}, headers=room[caller]
            ),
            403,
        )
    problem(await client.get(url), 401)
    assert (await client.get(url, headers=room["manager"])).status_code == 200


async def test_bad_input_answers_problems_and_changes_nothing(
    client: Any, settings: Settings
) -> None:
    room = await _classroom(client, settings)
    course_id = room["course"]["id"]
    url = f"{COURSES}/{course_id}/discussions"
    student = room["student"]
    problem(await client.post(url, json={"title": "x"}, headers=student), 400)
    problem(await client.post(url, json={"title": "x", "body": "y", "pinned": True},
                              headers=student), 400)  # fmt: skip
    problem(await client.post(url, json={"title": "   ", "body": "y"}, headers=student), 422,
            "invalid-post")  # fmt: skip
    problem(
        await client.post(
            url, json={"title": "x", "body": "y", "lesson_id": str(uuid.uuid4())}, headers=student
        ),
        422,
        "lesson-not-in-course",
    )
    problem(await client.get(f"{COURSES}/{uuid.uuid4()}/discussions", headers=student), 404,
            "course-not-found")  # fmt: skip
    problem(await client.get(url, params={"sort": "loudest"}, headers=student), 400)
    problem(await client.get(url, params={"kind": "lesson_comment"}, headers=student), 400)
    problem(await client.get(f"{DISCUSSIONS}/{uuid.uuid4()}", headers=student), 404,
            "discussion-not-found")  # fmt: skip
    assert (await client.get(url, headers=student)).json()["items"] == []

    thread = (await client.post(url, json={"title": "Q", "body": "B"}, headers=student)).json()
    replies = f"{DISCUSSIONS}/{thread['id']}/replies"
    problem(await client.post(replies, json={"body": "x", "parent_id": str(uuid.uuid4())},
                              headers=student), 422, "reply-not-in-thread")  # fmt: skip
    first = (await client.post(replies, json={"body": "Me"}, headers=room["tutor"])).json()
    problem(await client.post(f"{DISCUSSIONS}/{thread['id']}/accept",
                              json={"reply_id": first["id"]}, headers=student),
            422, "not-a-question")  # fmt: skip
    problem(await client.post(f"{DISCUSSIONS}/{thread['id']}/reopen", headers=room["tutor"]),
            409, "illegal-transition")  # fmt: skip
    problem(await client.post(f"{DISCUSSIONS}/{thread['id']}/lock", headers=student), 403)
    await client.post(f"{DISCUSSIONS}/{thread['id']}/lock", headers=room["tutor"])
    problem(await client.post(replies, json={"body": "late"}, headers=student), 409,
            "thread-locked")  # fmt: skip
    problem(await client.patch(f"{DISCUSSIONS}/{thread['id']}", json={"body": "theirs"},
                               headers=room["classmate"]), 403)  # fmt: skip
    problem(await client.post("/api/v1/replies/" + str(uuid.uuid4()) + "/vote", headers=student),
            404, "reply-not-found")  # fmt: skip


async def test_reports_comments_and_moderation_over_http(client: Any, settings: Settings) -> None:
    room = await _classroom(client, settings)
    lesson = f"/api/v1/lessons/{room['lesson_id']}/comments"
    comment = await client.post(lesson, json={"body": "Spam spam"}, headers=room["classmate"])
    assert comment.status_code == 201, comment.text
    comment_id = comment.json()["id"]
    assert comment.json()["kind"] == "lesson_comment"
    listed = (await client.get(lesson, headers=room["student"])).json()
    assert [c["id"] for c in listed["items"]] == [comment_id]
    problem(await client.get(lesson, headers=room["outsider"]), 403)
    problem(await client.get(f"/api/v1/lessons/{uuid.uuid4()}/comments", headers=room["student"]),
            404, "lesson-not-found")  # fmt: skip

    body = {"target_type": "discussion", "target_id": comment_id, "reason": "Spam"}
    report = await client.post("/api/v1/content-reports", json=body, headers=room["student"])
    assert report.status_code == 201, report.text
    problem(await client.post("/api/v1/content-reports", json=body, headers=room["student"]),
            409, "already-reported")  # fmt: skip
    problem(await client.get("/api/v1/admin/content-reports", headers=room["tutor"]), 403)
    queue = (await client.get("/api/v1/admin/content-reports", headers=room["manager"])).json()
    assert [r["id"] for r in queue["items"]] == [report.json()["id"]]
    resolve = f"/api/v1/admin/content-reports/{report.json()['id']}/resolve"
    problem(await client.post(resolve, json={"action": "ban"}, headers=room["manager"]), 400)
    hidden = await client.post(resolve, json={"action": "hide"}, headers=room["manager"])
    assert hidden.json()["status"] == "hidden"
    problem(await client.post(resolve, json={"action": "dismiss"}, headers=room["manager"]),
            409, "illegal-transition")  # fmt: skip
    assert (await client.get(lesson, headers=room["student"])).json()["items"] == []
    assert [
        c["hidden"] for c in (await client.get(lesson, headers=room["tutor"])).json()["items"]
    ] == [True]
    problem(await client.get(f"{DISCUSSIONS}/{comment_id}", headers=room["student"]), 404,
            "discussion-not-found")  # fmt: skip
