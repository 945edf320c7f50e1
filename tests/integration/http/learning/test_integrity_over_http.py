"""Learning integrity over HTTP (issue 15, findings 9, 10 and 11), on SQLite and PostgreSQL:
a submitted file is served only to a signed-in participant, full quiz feedback keeps the
answers back while another attempt can use them, and quiz and assignment lessons are completed
by what the student does in them, never by saying so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes import FixedClock
from tests.integration.http.learning.helpers import LESSONS, QUIZ, enroll, learning_course
from tests.integration.http.tutoring.helpers import served
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import PDF, problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

ESSAY = PDF + b"% my private essay\n"


async def hand_in_a_file(client: Any, student: dict[str, str], lesson_id: str) -> dict[str, Any]:
    response = await client.post(
        f"{LESSONS}/{lesson_id}/submissions",
        files=[("files", ("essay.pdf", ESSAY, "application/pdf"))],
        headers=student,
    )
    assert response.status_code == 201, response.text
    (file,) = response.json()["files"]
    return file  # type: ignore[no-any-return]


# ---- finding 9: files ------------------------------------------------------------------------
async def test_a_leaked_submission_link_serves_nothing_without_the_holders_authorization(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    await seed_accounts(settings, ("other@catalog.test", Role.STUDENT))
    tutor, manager, student, other = [
        await headers_of(client, name) for name in ("tutor", "manager", "student", "other")
    ]
    course = await learning_course(client, tutor, manager, title="Private Essays")
    await enroll(client, student, course.id)
    await enroll(client, other, course.id)
    file = await hand_in_a_file(client, student, course.assignment["id"])

    # The link as it leaks: pasted into a chat, a log, a browser history. Nothing is served.
    leaked = await client.get(file["url"])
    body = problem(leaked, 401, "not-authenticated")
    assert "my private essay" not in leaked.text
    assert file["url"].rpartition("/")[2] not in str(body)
    # With a Range header, as a player would ask: still nothing.
    problem(await client.get(file["url"], headers={"Range": "bytes=0-10"}), 401)
    # Signed in as somebody else (a classmate, the course's tutor who was not the viewer): 403.
    for stranger in (other, tutor):
        problem(await client.get(file["url"], headers=stranger), 403, "media-token-invalid")
    # The holder, signed in, gets the bytes.
    mine = await client.get(file["url"], headers=student)
    assert mine.status_code == 200, mine.text
    assert mine.content == ESSAY
    # The tutor's own link (from the submissions list) needs the tutor's authorization too.
    listed = await client.get(f"{LESSONS}/{course.assignment['id']}/submissions", headers=tutor)
    (tutors_link,) = [f["url"] for s in listed.json()["items"] for f in s["files"]]
    problem(await client.get(tutors_link), 401, "not-authenticated")
    assert (await client.get(tutors_link, headers=tutor)).content == ESSAY


async def test_lesson_media_links_stay_bearer_urls_and_the_route_says_so(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "student")
    ]
    course = await learning_course(client, tutor, manager, title="Open Video")
    await enroll(client, student, course.id)
    lesson = await client.get(f"{LESSONS}/{course.video['id']}", headers=student)
    url = lesson.json()["media"]["url"]

    # A video element cannot send a header: the signed, short-lived URL is the credential.
    played = await client.get(url)
    assert played.status_code == 200, played.text

    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/media/{token}"]["get"]
    description = operation["description"].lower()
    assert "bearer url" in description
    assert "submission" in description and "authorization" in description
    assert "401" in operation["responses"]


async def one_time_link(client: Any, url: str, headers: dict[str, str]) -> Any:
    return await client.post(f"{url}/one-time-link", headers=headers)


async def test_a_one_time_link_opens_a_submitted_file_once_for_its_holder_only(
    client: Any, settings: Settings
) -> None:
    """For a new tab or a download, where no header can be sent: the holder exchanges their
    link for one that works once, without the header; a replay and other people are refused."""
    await seed_people(settings)
    await seed_accounts(settings, ("other@catalog.test", Role.STUDENT))
    tutor, manager, student, other = [
        await headers_of(client, name) for name in ("tutor", "manager", "student", "other")
    ]
    course = await learning_course(client, tutor, manager, title="One-time Essays")
    await enroll(client, student, course.id)
    await enroll(client, other, course.id)
    file = await hand_in_a_file(client, student, course.assignment["id"])

    problem(await client.post(f"{file['url']}/one-time-link"), 401, "not-authenticated")
    # Another person cannot exchange the student's link, even knowing it.
    for stranger in (other, tutor):
        problem(await one_time_link(client, file["url"], stranger), 403, "media-token-invalid")
    problem(await one_time_link(client, "/api/v1/media/forged.token", student), 403)

    issued = await one_time_link(client, file["url"], student)
    assert issued.status_code == 201, issued.text
    link = issued.json()
    assert link["url"].startswith("/api/v1/media/") and link["url"] != file["url"]
    assert (link["content_type"], link["filename"]) == ("application/pdf", "essay.pdf")
    # A one-time link is not exchanged for another.
    problem(await one_time_link(client, link["url"], student), 403, "media-token-invalid")

    # Someone else signed in is refused, and that does not spend it.
    problem(await client.get(link["url"], headers=other), 403, "media-token-invalid")
    opened = await client.get(link["url"])
    assert opened.status_code == 200, opened.text
    assert opened.content == ESSAY
    replayed = await client.get(link["url"])
    assert "my private essay" not in replayed.text
    problem(replayed, 410, "media-link-used")
    problem(await client.get(link["url"], headers=student), 410, "media-link-used")
    # The holder's own link still needs their header, as before.
    problem(await client.get(file["url"]), 401, "not-authenticated")


async def test_a_one_time_link_expires_unused(settings: Settings) -> None:
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock, run_background=False) as (client, _container):
        tutor, manager, student = [
            await headers_of(client, name) for name in ("tutor", "manager", "student")
        ]
        course = await learning_course(client, tutor, manager, title="Late Essays")
        await enroll(client, student, course.id)
        file = await hand_in_a_file(client, student, course.assignment["id"])
        link = (await one_time_link(client, file["url"], student)).json()
        expires_at = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
        assert expires_at == clock.now() + timedelta(seconds=60)

        clock.advance(timedelta(seconds=60))
        problem(await client.get(link["url"]), 403, "media-token-invalid")
        # Its holder asks again and gets a fresh one.
        fresh = (await one_time_link(client, file["url"], student)).json()
        assert (await client.get(fresh["url"])).content == ESSAY


# ---- finding 10: full feedback ---------------------------------------------------------------
WRONG = {"capital": "lyon", "even": ["two", "three"], "sky": False, "lang": "Java", "pi": 3}
RIGHT = {"capital": "paris", "even": ["four", "two"], "sky": True, "lang": "Python", "pi": 3.14}


async def attempt(client: Any, student: dict[str, str], lesson_id: str, answers: Any) -> Any:
    started = await client.post(f"{LESSONS}/{lesson_id}/attempts", headers=student)
    assert started.status_code == 201, started.text
    submitted = await client.post(
        f"/api/v1/attempts/{started.json()['id']}/submit",
        json={"answers": answers},
        headers=student,
    )
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


def key_shown(view: dict[str, Any]) -> bool:
    shown = {f["correct_answer"] is not None for f in view["feedback"]}
    assert len(shown) == 1, view["feedback"]
    return shown.pop()


async def test_full_feedback_keeps_the_key_back_while_another_attempt_could_use_it(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "student")
    ]
    explained = {
        **QUIZ,
        "max_attempts": 3,
        "questions": [{**q, "explanation": "THE-KEY"} for q in QUIZ["questions"]],
    }
    course = await learning_course(client, tutor, manager, title="Fair Quiz", quiz=explained)
    await enroll(client, student, course.id)
    lesson_id = course.quiz["id"]

    # A failed first attempt, two left: right or wrong per question, never the answer.
    failed = await attempt(client, student, lesson_id, WRONG)
    assert failed["passed"] is False
    assert [f["correct"] for f in failed["feedback"]] == [False] * 5
    assert not key_shown(failed)
    assert "THE-KEY" not in str(failed) and "paris" not in str(failed["feedback"])
    read = await client.get(f"/api/v1/attempts/{failed['id']}", headers=student)
    assert not key_shown(read.json())
    # The course's tutor reading the same attempt sees the key (they wrote it).
    assert key_shown((await client.get(f"/api/v1/attempts/{failed['id']}", headers=tutor)).json())

    # Passing (with answers the student found on their own) shows the key, on every attempt.
    passed = await attempt(client, student, lesson_id, RIGHT)
    assert passed["passed"] is True and key_shown(passed)
    assert key_shown((await client.get(f"/api/v1/attempts/{failed['id']}", headers=student)).json())


async def test_a_quiz_can_keep_the_key_back_until_the_last_attempt(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "student")
    ]
    strict = {**QUIZ, "max_attempts": 2, "reveal_answers": "after_last_attempt"}
    course = await learning_course(client, tutor, manager, title="Strict Quiz", quiz=strict)
    await enroll(client, student, course.id)
    lesson_id = course.quiz["id"]
    definition = (await client.get(f"{LESSONS}/{lesson_id}", headers=tutor)).json()["quiz"]
    assert definition["definition"]["reveal_answers"] == "after_last_attempt"

    first = await attempt(client, student, lesson_id, WRONG)
    assert not key_shown(first)
    # An attempt started but not handed in: the key must not show on the first one meanwhile.
    started = await client.post(f"{LESSONS}/{lesson_id}/attempts", headers=student)
    assert started.status_code == 201, started.text
    meanwhile = await client.get(f"/api/v1/attempts/{first['id']}", headers=student)
    assert not key_shown(meanwhile.json())
    last = await client.post(
        f"/api/v1/attempts/{started.json()['id']}/submit",
        json={"answers": WRONG},
        headers=student,
    )
    assert last.status_code == 200, last.text
    assert key_shown(last.json())  # no attempt left: nothing more to gain from hiding it

    bad = await client.put(
        f"{LESSONS}/{lesson_id}/quiz", json={**strict, "reveal_answers": "always"}, headers=tutor
    )
    problem(bad, 400)


# ---- finding 11: completion and study time ---------------------------------------------------
async def test_quiz_and_assignment_lessons_refuse_being_marked_done(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "student")
    ]
    course = await learning_course(client, tutor, manager, title="Earned Progress")
    await enroll(client, student, course.id)

    for lesson, how in ((course.quiz, "passing the quiz"), (course.assignment, "handing in")):
        url = f"{LESSONS}/{lesson['id']}/progress"
        for completed in (True, False):
            refused = await client.put(url, json={"completed": completed}, headers=student)
            assert how in problem(refused, 422, "completion-not-reportable")["detail"]
        seen = (await client.get(f"{LESSONS}/{lesson['id']}", headers=student)).json()
        assert seen["progress"]["completed"] is False
        assert seen["progress"]["course_progress_percent"] == 0
    # A text lesson is still completed by the student's word.
    done = await client.put(
        f"{LESSONS}/{course.text['id']}/progress", json={"completed": True}, headers=student
    )
    assert done.status_code == 200, done.text
    assert done.json()["completed"] is True


async def test_claimed_study_time_is_capped_by_the_time_the_server_saw_pass(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "student")
    ]
    course = await learning_course(client, tutor, manager, title="Honest Hours")
    await enroll(client, student, course.id)
    url = f"{LESSONS}/{course.text['id']}/progress"

    first = await client.put(url, json={"seconds_spent": 3600}, headers=student)
    second = await client.put(url, json={"seconds_spent": 3600}, headers=student)
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    # The test runs in far less than a minute: two claimed hours are seconds at most.
    assert second.json()["seconds_spent"] < 60
