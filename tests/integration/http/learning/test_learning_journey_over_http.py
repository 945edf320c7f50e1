"""The whole student journey over HTTP, on SQLite and PostgreSQL: enroll in a free course, watch
a video with seeking, pass its quiz, hand in an assignment the tutor grades, complete the course,
download the certificate and verify it by code; a stranger reaches none of it."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from pypdf import PdfReader
from tests.integration.http.learning.helpers import (
    LESSONS,
    RIGHT_ANSWERS,
    VIDEO,
    enroll,
    learning_course,
)
from tests.support.catalog import COURSES, headers_of, seed_people
from tests.support.identity import PDF, mail_with_subject, problem

from elearn.entrypoints.settings import Settings


async def wait_for(predicate: Any, *, attempts: int = 100) -> Any:
    import asyncio

    for _ in range(attempts):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


async def test_a_student_completes_a_course_and_verifies_the_certificate(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    stranger = await headers_of(client, "cotutor")
    course = await learning_course(client, tutor, manager, title="Python Basics")

    enrollment = await enroll(client, student, course.id)
    assert enrollment["status"] == "active"
    assert enrollment["progress_percent"] == 0
    problem(await client.post(f"{COURSES}/{course.id}/enroll", headers=student), 409)

    # The video: a signed URL, streamed with seeking.
    lesson = (await client.get(f"{LESSONS}/{course.video['id']}", headers=student)).json()
    media_url = lesson["media"]["url"]
    assert media_url.startswith("/api/v1/media/")
    whole = await client.get(media_url, headers=student)
    assert whole.status_code == 200
    assert whole.content == VIDEO
    middle = await client.get(media_url, headers={**student, "Range": "bytes=100-199"})
    assert middle.status_code == 206
    assert middle.headers["content-range"] == f"bytes 100-199/{len(VIDEO)}"
    assert middle.content == VIDEO[100:200]
    # The stranger cannot use the student's link, nor open the lesson.
    problem(await client.get(media_url, headers=stranger), 403)
    problem(await client.get(f"{LESSONS}/{course.video['id']}", headers=stranger), 403)

    watched = await client.put(
        f"{LESSONS}/{course.video['id']}/progress",
        json={"position_seconds": 90, "seconds_spent": 95},
        headers=student,
    )
    assert watched.status_code == 200, watched.text
    assert watched.json()["completed"] is True
    for lesson_id in (course.text["id"],):
        done = await client.put(
            f"{LESSONS}/{lesson_id}/progress", json={"completed": True}, headers=student
        )
        assert done.status_code == 200, done.text

    # The quiz: no answers on the paper; full marks for the key.
    started = await client.post(f"{LESSONS}/{course.quiz['id']}/attempts", headers=student)
    assert started.status_code == 201, started.text
    paper = started.json()
    assert "correct" not in started.text
    submitted = await client.post(
        f"/api/v1/attempts/{paper['id']}/submit", json={"answers": RIGHT_ANSWERS}, headers=student
    )
    assert submitted.status_code == 200, submitted.text
    result = submitted.json()
    assert result["passed"] is True
    assert result["percent"] == 100
    assert {f["question_id"] for f in result["feedback"]} == set(RIGHT_ANSWERS)

    # The assignment: handed in, graded, emailed.
    handed = await client.post(
        f"{LESSONS}/{course.assignment['id']}/submissions",
        data={"text": "An old silent pond"},
        files={"files": ("haiku.pdf", PDF, "application/pdf")},
        headers=student,
    )
    assert handed.status_code == 201, handed.text
    submission = handed.json()
    assert submission["late"] is False
    listed = await client.get(f"{LESSONS}/{course.assignment['id']}/submissions", headers=tutor)
    assert [s["id"] for s in listed.json()["items"]] == [submission["id"]]
    graded = await client.post(
        f"/api/v1/submissions/{submission['id']}/grade",
        json={"points": 9, "feedback": "Lovely."},
        headers=tutor,
    )
    assert graded.status_code == 200, graded.text
    assert graded.json()["points"] == 9
    # Among the welcome and the notifications' emails, the grade's.
    await mail_with_subject(settings, "student@catalog.test", "graded")

    # Completed, and a certificate follows from the worker.
    mine = (await client.get("/api/v1/me/enrollments", headers=student)).json()["items"]
    assert mine[0]["status"] == "completed", mine
    assert mine[0]["progress_percent"] == 100

    async def certificates() -> list[dict[str, Any]]:
        response = await client.get("/api/v1/me/certificates", headers=student)
        return response.json()["items"]  # type: ignore[no-any-return]

    (certificate,) = await wait_for(certificates)
    pdf = await client.get(f"/api/v1/certificates/{certificate['id']}.pdf", headers=student)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(BytesIO(pdf.content)).pages[0].extract_text()
    assert "Student" in text or "student" in text.lower()
    assert "Python Basics" in text
    problem(
        await client.get(f"/api/v1/certificates/{certificate['id']}.pdf", headers=stranger), 404
    )
    verified = await client.get(f"/api/v1/certificates/verify/{certificate['verification_code']}")
    assert verified.status_code == 200
    body = verified.json()
    assert body["valid"] is True
    assert body["course_title"] == "Python Basics"
    assert set(body) == {"valid", "serial", "student_name", "course_title", "issued_at"}

    streak = (await client.get("/api/v1/me/streak", headers=student)).json()
    assert streak["current"] == 1
