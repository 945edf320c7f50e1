"""Learning integrity over HTTP (issue 15, findings 9, 10 and 11), on SQLite and PostgreSQL:
a submitted file is served only to a signed-in participant, full quiz feedback keeps the
answers back while another attempt can use them, and quiz and assignment lessons are completed
by what the student does in them, never by saying so."""

from __future__ import annotations

from typing import Any

from tests.integration.http.learning.helpers import LESSONS, enroll, learning_course
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
