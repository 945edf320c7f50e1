"""Who may open a lesson, its media, and record progress or quiz attempts, over HTTP on SQLite and
PostgreSQL: anonymous visitors, signed-in students who did not enroll, enrolled students, the
course's owner and co-instructor, managers, admins and a student whose enrollment was revoked;
and lessons of courses the actor cannot see (drafts), or can no longer see (archived) or still
can (archived, when enrolled)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from tests.integration.http.learning.helpers import LESSONS, QUIZ, VIDEO, enroll, upload_video
from tests.support.catalog import (
    COURSES,
    add_co_instructor,
    add_lesson,
    add_section,
    create_course,
    headers_of,
    move,
    seed_people,
)
from tests.support.identity import problem, seed_accounts

from elearn.adapters.persistence.database import create_engine
from elearn.adapters.security.media_tokens import HmacMediaTokens
from elearn.application.learning.ports import MediaGrant
from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

ANONYMOUS: dict[str, str] = {}
# Who sees every lesson of a published course: its instructors, staff and its students.
SEES_EVERYTHING = frozenset({"tutor", "cotutor", "manager", "admin", "student"})
INSTRUCTORS_AND_STAFF = frozenset({"tutor", "cotutor", "manager", "admin"})


async def people(client: Any, settings: Settings) -> dict[str, dict[str, str]]:
    """Headers of every role: seed_people's accounts plus two more students, ``outsider@``
    (never enrolls) and ``revoked@`` (enrolls, then loses the course)."""
    await seed_people(settings)
    await seed_accounts(
        settings,
        ("outsider@catalog.test", Role.STUDENT),
        ("revoked@catalog.test", Role.STUDENT),
    )
    names = ("tutor", "cotutor", "manager", "admin", "student", "outsider", "revoked")
    headers = {name: await headers_of(client, name) for name in names}
    return {"anonymous": ANONYMOUS, **headers}


async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def access_course(
    client: Any,
    tutor: dict[str, str],
    manager: dict[str, str],
    *,
    cotutor: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """A free, published course: a members' video (with its file), a free-preview video (with
    its file), a members' text lesson and a quiz. Returns the course and its lessons by name."""
    course = await create_course(client, tutor, title="Access Rules")
    if cotutor is not None:
        await add_co_instructor(client, tutor, course["id"], cotutor)
    section = await add_section(client, tutor, course["id"])
    video = await add_lesson(
        client, tutor, section["id"], kind="video", title="Members", text=None, duration_seconds=100
    )
    await upload_video(client, tutor, video["id"])
    preview = await add_lesson(
        client,
        tutor,
        section["id"],
        kind="video",
        title="Trailer",
        text=None,
        duration_seconds=60,
        is_free_preview=True,
        is_required=False,
    )
    await upload_video(client, tutor, preview["id"])
    reading = await add_lesson(client, tutor, section["id"], title="Reading", text="# Members only")
    quiz = await add_lesson(client, tutor, section["id"], kind="quiz", title="Check", text=None)
    response = await client.put(f"{LESSONS}/{quiz['id']}/quiz", json=QUIZ, headers=tutor)
    assert response.status_code == 200, response.text
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        response = await move(client, headers, course["id"], action)
        assert response.status_code == 200, response.text
    return {"course": course, "video": video, "preview": preview, "reading": reading, "quiz": quiz}


def media_holder(settings: Settings, url: str) -> str | None:
    """The user a media URL was signed for (None: anyone), read with the app's own secret."""
    tokens = HmacMediaTokens(settings.media_signing_key or settings.jwt_secret)
    grant: MediaGrant = tokens.read(url.rsplit("/", 1)[1], datetime.now(UTC))
    return None if grant.user_id is None else str(grant.user_id)


async def count_rows(settings: Settings, table: str) -> int:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(f"SELECT count(*) FROM {table}"))
            return int(result.scalar_one())
    finally:
        await engine.dispose()


async def test_every_role_opens_exactly_the_lessons_it_may(client: Any, settings: Settings) -> None:
    actors = await people(client, settings)
    ids = {name: await user_id(client, h) for name, h in actors.items() if h}
    lessons = await access_course(
        client, actors["tutor"], actors["manager"], cotutor=actors["cotutor"]
    )
    video, preview, reading, quiz = (
        lessons[name] for name in ("video", "preview", "reading", "quiz")
    )
    await enroll(client, actors["student"], lessons["course"]["id"])

    # revoked@ enrolls, keeps a media link, and an admin takes the course back.
    enrollment = await enroll(client, actors["revoked"], lessons["course"]["id"])
    opened = await client.get(f"{LESSONS}/{video['id']}", headers=actors["revoked"])
    assert opened.status_code == 200, opened.text
    stale_link = opened.json()["media"]["url"]
    assert (await client.get(stale_link, headers=actors["revoked"])).content == VIDEO
    revoke = f"/api/v1/admin/enrollments/{enrollment['id']}/revoke"
    # Only staff revoke: not the student, not the course's own tutor.
    for who in ("revoked", "tutor"):
        problem(await client.post(revoke, json={}, headers=actors[who]), 403, "permission-denied")
    problem(await client.post(revoke, json={}), 401, "not-authenticated")
    revoked = await client.post(revoke, json={"reason": "Refunded"}, headers=actors["admin"])
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    # The link handed out while enrolled dies with the enrollment, with or without a header.
    problem(await client.get(stale_link, headers=actors["revoked"]), 403, "media-token-invalid")
    problem(await client.get(stale_link), 403, "media-token-invalid")

    # ---- GET /lessons/{id} and the media link, role by role --------------------------------
    for name, headers in actors.items():
        for lesson in (video, preview, reading, quiz):
            response = await client.get(f"{LESSONS}/{lesson['id']}", headers=headers)
            allowed = name in SEES_EVERYTHING or lesson is preview
            if not allowed:
                body = problem(response, 403, "not-enrolled")
                assert "Members only" not in response.text, (name, body)
                continue
            assert response.status_code == 200, (name, lesson["title"], response.text)
            body = response.json()
            assert (body["id"], body["title"]) == (lesson["id"], lesson["title"])
            assert body["course_id"] == lessons["course"]["id"]
            # Progress belongs to enrolled students only.
            assert (body["progress"] is not None) == (name == "student"), (name, body)
            if lesson is reading:
                assert body["text"] == "# Members only"
                assert body["media"] is None
            if lesson is quiz:
                # The answers go to instructors and staff; a student gets their standing.
                assert (body["quiz"]["definition"] is not None) == (
                    name in INSTRUCTORS_AND_STAFF
                ), name
                assert (body["quiz"]["mine"] is not None) == (name == "student"), name
                assert body["quiz"]["question_count"] == len(QUIZ["questions"])  # type: ignore[arg-type]
            if lesson in (video, preview):
                media = body["media"]
                assert media["content_type"] == "video/mp4"
                assert (media["filename"], media["size"]) == ("intro.mp4", len(VIDEO))
                assert media_holder(settings, media["url"]) == ids.get(name), name
                streamed = await client.get(media["url"], headers=headers)
                assert streamed.status_code == 200, (name, streamed.text)
                assert streamed.content == VIDEO
    # A free preview's anonymous link is anyone's: it names no holder to check a caller against.
    teaser = (await client.get(f"{LESSONS}/{preview['id']}")).json()["media"]["url"]
    assert media_holder(settings, teaser) is None
    for name in ("outsider", "revoked", "tutor"):
        shared = await client.get(teaser, headers=actors[name])
        assert (shared.status_code, shared.content) == (200, VIDEO), name
    # The student's link is theirs alone, even when someone else could open the lesson.
    mine = (await client.get(f"{LESSONS}/{video['id']}", headers=actors["student"])).json()
    for name in ("outsider", "tutor", "admin"):
        problem(
            await client.get(mine["media"]["url"], headers=actors[name]), 403, "media-token-invalid"
        )

    # ---- PUT .../progress and POST .../attempts: enrolled students only ---------------------
    report = {"position_seconds": 30, "seconds_spent": 30}
    for name, headers in actors.items():
        for lesson in (video, preview):
            response = await client.put(
                f"{LESSONS}/{lesson['id']}/progress", json=report, headers=headers
            )
            if name == "anonymous":
                problem(response, 401, "not-authenticated")
            elif name == "student":
                assert response.status_code == 200, response.text
                recorded = response.json()
                assert recorded["lesson_id"] == lesson["id"]
                assert (recorded["position_seconds"], recorded["completed"]) == (30, False)
                assert recorded["enrollment_status"] == "active"
            else:
                problem(response, 403, "not-enrolled")
        response = await client.post(f"{LESSONS}/{quiz['id']}/attempts", headers=headers)
        if name == "anonymous":
            problem(response, 401, "not-authenticated")
        elif name == "student":
            assert response.status_code == 201, response.text
            assert "correct" not in response.text
        else:
            problem(response, 403, "not-enrolled")
    # Only the enrolled student's reports and attempt were stored.
    assert await count_rows(settings, "lesson_progress") == 2
    assert await count_rows(settings, "quiz_attempts") == 1

    # ---- lessons that do not exist, and ids that are not ids --------------------------------
    nobody = uuid.uuid4()
    for name in ("anonymous", "student", "admin"):
        problem(
            await client.get(f"{LESSONS}/{nobody}", headers=actors[name]), 404, "lesson-not-found"
        )
    student = actors["student"]
    problem(
        await client.put(f"{LESSONS}/{nobody}/progress", json=report, headers=student),
        404,
        "lesson-not-found",
    )
    problem(
        await client.post(f"{LESSONS}/{nobody}/attempts", headers=student), 404, "lesson-not-found"
    )


async def test_lessons_follow_the_course_visibility(client: Any, settings: Settings) -> None:
    """A draft's lessons do not exist for outsiders; the outline never gives away members'
    content; an archived course stays open to its enrolled students only."""
    await seed_people(settings)
    await seed_accounts(settings, ("outsider@catalog.test", Role.STUDENT))
    tutor, cotutor, manager, admin, student, outsider = [
        await headers_of(client, name)
        for name in ("tutor", "cotutor", "manager", "admin", "student", "outsider")
    ]
    lessons = await access_course(client, tutor, manager)
    course_id = lessons["course"]["id"]
    video, preview, reading = lessons["video"], lessons["preview"], lessons["reading"]
    await enroll(client, student, course_id)

    # A draft: its lessons do not exist for who cannot see the course, instructors aside.
    draft = await create_course(client, tutor, title="Not Yet")
    draft_section = await add_section(client, tutor, draft["id"])
    hidden = await add_lesson(
        client, tutor, draft_section["id"], title="Secret", is_free_preview=True
    )
    for headers in (ANONYMOUS, outsider, student, cotutor):
        body = problem(
            await client.get(f"{LESSONS}/{hidden['id']}", headers=headers), 404, "lesson-not-found"
        )
        assert "Secret" not in str(body)
    for headers in (tutor, manager, admin):
        response = await client.get(f"{LESSONS}/{hidden['id']}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["title"] == "Secret"
    problem(
        await client.put(
            f"{LESSONS}/{hidden['id']}/progress", json={"completed": True}, headers=student
        ),
        404,
        "lesson-not-found",
    )
    problem(
        await client.post(f"{LESSONS}/{hidden['id']}/attempts", headers=outsider),
        404,
        "lesson-not-found",
    )

    # The outline: titles for everyone; members' content only for instructors and staff,
    # free previews for all; never a media link or a storage key.
    def outline(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {lesson["id"]: lesson for s in body["sections"] for lesson in s["lessons"]}

    for headers in (ANONYMOUS, outsider, student):
        response = await client.get(f"{COURSES}/{course_id}", headers=headers)
        assert response.status_code == 200, response.text
        shown = outline(response.json())
        assert set(shown) == {lessons[n]["id"] for n in ("video", "preview", "reading", "quiz")}
        for lesson in (video, reading):
            assert shown[lesson["id"]]["content_hidden"] is True
            assert shown[lesson["id"]]["text"] is None
            assert shown[lesson["id"]]["file"] is None
        assert shown[preview["id"]]["content_hidden"] is False
        assert shown[preview["id"]]["file"]["size"] == len(VIDEO)
        assert "Members only" not in response.text
        assert "/api/v1/media/" not in response.text
        assert "lesson_media" not in response.text
    for headers in (tutor, manager):
        shown = outline((await client.get(f"{COURSES}/{course_id}", headers=headers)).json())
        assert shown[reading["id"]]["text"] == "# Members only"
        assert shown[video["id"]]["file"]["filename"] == "intro.mp4"

    # Archived: the enrolled student keeps the course, its lessons, media and progress.
    archived = await move(client, tutor, course_id, "archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["status"] == "archived"
    response = await client.get(f"{COURSES}/{course_id}", headers=student)
    assert response.status_code == 200, response.text
    for lesson in (video, preview, reading):
        response = await client.get(f"{LESSONS}/{lesson['id']}", headers=student)
        assert response.status_code == 200, response.text
    lesson = (await client.get(f"{LESSONS}/{video['id']}", headers=student)).json()
    streamed = await client.get(lesson["media"]["url"], headers=student)
    assert (streamed.status_code, streamed.content) == (200, VIDEO)
    progress = await client.put(
        f"{LESSONS}/{video['id']}/progress", json={"position_seconds": 95}, headers=student
    )
    assert progress.status_code == 200, progress.text
    assert progress.json()["completed"] is True
    # Everyone else: the course and all its lessons are gone, free preview included.
    for headers in (ANONYMOUS, outsider):
        problem(
            await client.get(f"{COURSES}/{course_id}", headers=headers), 404, "course-not-found"
        )
        for lesson in (video, preview, reading):
            problem(
                await client.get(f"{LESSONS}/{lesson['id']}", headers=headers),
                404,
                "lesson-not-found",
            )
    # Its instructors and staff still see it.
    for headers in (tutor, admin):
        response = await client.get(f"{LESSONS}/{reading['id']}", headers=headers)
        assert response.status_code == 200, response.text


async def test_a_malformed_lesson_id_names_no_lesson(client: Any) -> None:
    """As everywhere in the API, a path that is not an id matches no route: 404."""
    bad = ("not-a-lesson", "12345", f"{uuid.uuid4()}x")
    for lesson_id in bad:
        problem(await client.get(f"{LESSONS}/{lesson_id}"), 404)
        problem(await client.put(f"{LESSONS}/{lesson_id}/progress", json={"completed": True}), 404)
        problem(await client.post(f"{LESSONS}/{lesson_id}/attempts"), 404)
