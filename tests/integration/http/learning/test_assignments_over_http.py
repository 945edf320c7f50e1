"""Assignments over HTTP, on SQLite and PostgreSQL: instructors set them (and nobody else),
enrolled students hand in text and files (checked by their bytes, never left behind in storage
when refused), hand in again until graded, are flagged late after the due time and stream their
own files; instructors list and grade the work, the student is emailed each grade."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests.integration.http.learning.helpers import LESSONS, enroll, learning_course
from tests.support.catalog import (
    add_co_instructor,
    approve_tutors,
    headers_of,
    seed_people,
)
from tests.support.identity import PDF, mails_to, png, problem, seed_accounts

from elearn.adapters.persistence.models.jobs import OutboxMessageRow
from elearn.application.learning.assignments import SendGradeEmail
from elearn.domain.identity.roles import Role
from elearn.domain.learning.assignment import AssignmentGraded
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

ASSIGNMENT = {"instructions": "Write a haiku.", "max_points": 10, "allowed_file_kinds": ["pdf"]}
# Bytes no sniffer recognises (nor takes for text), under a name that claims a PDF.
FAKE_PDF = bytes(range(256)) * 8


def stored_files(settings: Settings) -> list[Path]:
    """Every file in storage, temporary uploads included."""
    root = settings.effective_storage_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attachments(settings: Settings) -> list[Path]:
    return [p for p in stored_files(settings) if "attachment" in p.parts]


Part = tuple[str, tuple[str | None, Any] | tuple[str, bytes, str]]


def pdf(name: str, content: bytes = PDF) -> Part:
    return ("files", (name, content, "application/pdf"))


def form(text: str | None = None, *files: Part, **fields: str) -> list[Part]:
    """A multipart form (even with text alone): a ``text`` field, other fields, then files."""
    parts: list[Part] = [] if text is None else [("text", (None, text))]
    parts += [(name, (None, value)) for name, value in fields.items()]
    return parts + list(files)


def in_parallel(request: Coroutine[Any, Any, Any]) -> Awaitable[Any]:
    """Sends a request from a thread of its own. The test client serves each request to the
    end before it returns, blocking the test's loop, so only requests sent from different
    threads run at the same moment."""
    return asyncio.to_thread(asyncio.run, request)


async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def grade_mails(settings: Settings, address: str, count: int) -> list[str]:
    """The text of the first ``count`` "graded" emails to ``address``, oldest first."""

    def text_of(message: Message) -> str:
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8")
        raise AssertionError("no text part")

    for _ in range(300):
        mails = await mails_to(settings, address, count=1)
        graded = [m for m in mails if "graded" in str(m["Subject"])]
        if len(graded) >= count:
            return [text_of(m) for m in graded]
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} grade emails to {address}")


async def test_instructors_set_assignments_and_students_hand_in_work(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    await seed_accounts(settings, ("other@catalog.test", Role.STUDENT))
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    other = await headers_of(client, "other")
    course = await learning_course(client, tutor, manager, title="Haiku Writing")
    lesson = course.assignment["id"]
    setting = f"{LESSONS}/{lesson}/assignment"
    handing = f"{LESSONS}/{lesson}/submissions"
    await enroll(client, student, course.id)
    await enroll(client, other, course.id)

    # ---- setting: the course's instructors only, with checked values ----------------------
    problem(await client.put(setting, json=ASSIGNMENT), 401)
    for outsider in (student, cotutor, manager):
        problem(await client.put(setting, json=ASSIGNMENT, headers=outsider), 403)
    problem(
        await client.put(
            f"{LESSONS}/{course.text['id']}/assignment", json=ASSIGNMENT, headers=tutor
        ),
        422,
        "not-an-assignment-lesson",
    )
    problem(
        await client.put(
            "/api/v1/lessons/00000000-0000-4000-8000-000000000000/assignment",
            json=ASSIGNMENT,
            headers=tutor,
        ),
        404,
        "lesson-not-found",
    )
    for bad in (
        {"due_at": "2030-01-01T12:00:00"},  # no time zone
        {"due_at": "tomorrow"},
        {"max_points": 0},
        {"max_points": 1001},
        {"max_points": "ten"},
        {"instructions": ""},
        {"allowed_file_kinds": ["exe"]},
        {"surprise": True},
    ):
        problem(
            await client.put(setting, json={**ASSIGNMENT, **bad}, headers=tutor),
            400,
            "invalid-request",
        )
    problem(
        await client.put(setting, json={**ASSIGNMENT, "instructions": "   "}, headers=tutor),
        422,
        "invalid-assignment",
    )
    # None of those changed it: students still see the helper's assignment.
    seen = (await client.get(f"{LESSONS}/{lesson}", headers=student)).json()
    assert seen["assignment"]["instructions"] == "Write a haiku."
    assert seen["assignment"]["max_points"] == 10
    assert seen["assignment"]["due_at"] is None
    assert seen["my_submission"] is None

    # A co-instructor may set it too.
    await add_co_instructor(client, tutor, str(course.id), cotutor)
    due = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    response = await client.put(
        setting, json={**ASSIGNMENT, "due_at": due.isoformat()}, headers=cotutor
    )
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["due_at"]) == due

    # ---- handing in: who may, and what is refused (leaving nothing in storage) -------------
    before = stored_files(settings)
    problem(await client.post(handing, files=form("hi")), 401)
    for not_a_student in (tutor, manager):
        problem(
            await client.post(handing, files=form("hi", pdf("a.pdf")), headers=not_a_student),
            403,
            "not-enrolled",
        )
    problem(
        await client.post(handing, files=form("hi", pdf("a.pdf")), headers=cotutor),
        403,
        "not-enrolled",
    )
    problem(
        await client.post(
            f"{LESSONS}/{course.text['id']}/submissions", files=form("hi"), headers=student
        ),
        404,
        "assignment-not-found",
    )
    problem(
        await client.post(handing, files=form("   "), headers=student), 422, "invalid-submission"
    )
    # A PNG where only PDFs are accepted: refused after storing, then removed, with its PDF.
    problem(
        await client.post(
            handing,
            files=[pdf("ok.pdf"), ("files", ("photo.png", png(), "image/png"))],
            headers=student,
        ),
        422,
        "invalid-submission",
    )
    problem(
        await client.post(handing, files=[pdf("fake.pdf", FAKE_PDF)], headers=student),
        415,
        "unsupported-media-type",
    )
    too_many = await client.post(
        handing, files=form(None, *(pdf(f"{n}.pdf") for n in range(6))), headers=student
    )
    assert [e["field"] for e in problem(too_many, 422, "invalid-input")["errors"]] == ["files"]
    unknown = await client.post(handing, files=form("hi", comment="sneaky"), headers=student)
    assert [e["field"] for e in problem(unknown, 422, "invalid-input")["errors"]] == ["comment"]
    assert stored_files(settings) == before
    seen = (await client.get(f"{LESSONS}/{lesson}", headers=student)).json()
    assert seen["my_submission"] is None

    # ---- text only, files only, both: each replaces the last ------------------------------
    first = await client.post(handing, files=form("  An old silent pond  "), headers=student)
    assert first.status_code == 201, first.text
    work = first.json()
    assert (work["text"], work["files"], work["submission_count"]) == ("An old silent pond", [], 1)
    assert work["late"] is False and work["points"] is None and work["max_points"] == 10

    second = await client.post(handing, files=[pdf("pond.pdf")], headers=student)
    assert second.status_code == 201, second.text
    work = second.json()
    assert work["id"] == first.json()["id"]
    assert (work["text"], work["submission_count"]) == (None, 2)
    assert [(f["filename"], f["content_type"], f["size"]) for f in work["files"]] == [
        ("pond.pdf", "application/pdf", len(PDF))
    ]
    (old_file,) = attachments(settings)

    third = await client.post(
        handing,
        files=form("A frog jumps in", pdf("frog.pdf"), pdf("splash.pdf", PDF + b"% splash\n")),
        headers=student,
    )
    assert third.status_code == 201, third.text
    work = third.json()
    assert work["submission_count"] == 3 and work["text"] == "A frog jumps in"
    assert [f["filename"] for f in work["files"]] == ["frog.pdf", "splash.pdf"]
    assert len(attachments(settings)) == 2
    assert not old_file.exists()  # the replaced file is gone from storage

    # The student sees it in the lesson and streams their files; nobody else can use the URLs.
    seen = (await client.get(f"{LESSONS}/{lesson}", headers=student)).json()
    mine = seen["my_submission"]
    assert mine["id"] == work["id"] and mine["submission_count"] == 3
    frog, splash = mine["files"]
    assert frog["url"].startswith("/api/v1/media/")
    streamed = await client.get(splash["url"], headers=student)
    assert streamed.status_code == 200
    assert streamed.content == PDF + b"% splash\n"
    assert streamed.headers["content-type"] == "application/pdf"
    problem(await client.get(frog["url"], headers=other), 403, "media-token-invalid")
    problem(await client.get(frog["url"], headers=tutor), 403, "media-token-invalid")
    other_view = (await client.get(f"{LESSONS}/{lesson}", headers=other)).json()
    assert other_view["my_submission"] is None

    # Two hand-ins at once by one student: one submission, the later one's file kept.
    racing = await asyncio.gather(
        *(
            in_parallel(client.post(handing, files=form(None, pdf(f"race{n}.pdf")), headers=other))
            for n in range(2)
        )
    )
    assert [r.status_code for r in racing] == [201, 201], [r.text for r in racing]
    assert {r.json()["id"] for r in racing} == {racing[0].json()["id"]}
    assert sorted(r.json()["submission_count"] for r in racing) == [1, 2]
    assert len(attachments(settings)) == 3  # the student's two, and one of the racers'
    listed = (await client.get(handing, headers=tutor)).json()["items"]
    assert sorted(s["submission_count"] for s in listed) == [2, 3]

    # ---- late: the due time passed ------------------------------------------------------------
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = await client.put(setting, json={**ASSIGNMENT, "due_at": past}, headers=tutor)
    assert response.status_code == 200, response.text
    late = await client.post(handing, files=form("Late haiku"), headers=other)
    assert late.status_code == 201, late.text
    assert late.json()["late"] is True
    again = await client.post(handing, files=form("Revised, still late"), headers=student)
    assert again.status_code == 201, again.text
    assert again.json()["late"] is True and again.json()["submission_count"] == 4
    late = await client.post(handing, files=form("Late, and text only"), headers=other)
    assert late.json()["submission_count"] == 4
    assert attachments(settings) == []  # text only now: every PDF went
    # The replaced file's link is dead.
    problem(await client.get(splash["url"], headers=student), 403, "media-token-invalid")

    # ---- graded: no more changes, and nothing left behind by the refused attempt -------------
    graded = await client.post(
        f"/api/v1/submissions/{work['id']}/grade", json={"points": 8}, headers=tutor
    )
    assert graded.status_code == 200, graded.text
    before = stored_files(settings)
    problem(
        await client.post(handing, files=form("One more go", pdf("x.pdf")), headers=student),
        409,
        "submission-graded",
    )
    assert stored_files(settings) == before
    seen = (await client.get(f"{LESSONS}/{lesson}", headers=student)).json()
    assert seen["my_submission"]["text"] == "Revised, still late"
    assert seen["my_submission"]["points"] == 8
    assert seen["my_submission"]["submission_count"] == 4


async def test_instructors_list_and_grade_work_and_the_student_is_emailed(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    await seed_accounts(
        settings, ("ann@catalog.test", Role.STUDENT), ("bob@catalog.test", Role.STUDENT)
    )
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student = await headers_of(client, "student")
    ann = await headers_of(client, "ann")
    bob = await headers_of(client, "bob")
    course = await learning_course(client, tutor, manager, title="Haiku Writing")
    lesson = course.assignment["id"]
    listing = f"{LESSONS}/{lesson}/submissions"
    submissions: dict[str, dict[str, Any]] = {}
    for name, headers in (("student", student), ("ann", ann), ("bob", bob)):
        await enroll(client, headers, course.id)
        handed = await client.post(
            listing, files=form(f"{name}'s haiku", pdf(f"{name}.pdf")), headers=headers
        )
        assert handed.status_code == 201, handed.text
        submissions[name] = handed.json()

    # ---- listing: instructors and staff, newest first, in pages ------------------------------
    first = await client.get(listing, params={"limit": 2}, headers=tutor)
    assert first.status_code == 200, first.text
    assert first.json()["next_cursor"]
    rest = await client.get(
        listing, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=tutor
    )
    assert rest.status_code == 200, rest.text
    assert rest.json()["next_cursor"] is None
    listed = first.json()["items"] + rest.json()["items"]
    assert [s["id"] for s in listed] == [submissions[n]["id"] for n in ("bob", "ann", "student")]
    assert [s["student_name"] for s in listed] == ["bob", "ann", "student"]
    # The tutor's own file links work for the tutor.
    streamed = await client.get(listed[0]["files"][0]["url"], headers=tutor)
    assert streamed.status_code == 200 and streamed.content == PDF
    for staff in (manager, admin):
        response = await client.get(listing, headers=staff)
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == 3
    problem(await client.get(listing), 401)
    for outsider in (student, cotutor):
        problem(await client.get(listing, headers=outsider), 403, "permission-denied")
    problem(await client.get(listing, params={"limit": 0}, headers=tutor), 400)

    # ---- grading: instructors only, within 0..max_points --------------------------------------
    grading = f"/api/v1/submissions/{submissions['student']['id']}/grade"
    problem(await client.post(grading, json={"points": 5}), 401)
    problem(
        await client.post(grading, json={"points": 5}, headers=student), 404, "submission-not-found"
    )
    problem(
        await client.post(grading, json={"points": 5}, headers=ann), 404, "submission-not-found"
    )
    problem(
        await client.post(grading, json={"points": 5}, headers=cotutor), 404, "submission-not-found"
    )
    problem(
        await client.post(grading, json={"points": 5}, headers=manager), 403, "permission-denied"
    )
    problem(await client.post(grading, json={"points": 11}, headers=tutor), 422, "invalid-grade")
    for bad in (
        {"points": -1},
        {"points": 7.5},
        {"points": "seven"},
        {"points": 1001},
        {},
        {"points": 5, "x": 1},
    ):
        problem(await client.post(grading, json=bad, headers=tutor), 400, "invalid-request")
    problem(
        await client.post(
            "/api/v1/submissions/00000000-0000-4000-8000-000000000000/grade",
            json={"points": 5},
            headers=tutor,
        ),
        404,
        "submission-not-found",
    )
    ungraded = (await client.get(listing, headers=tutor)).json()["items"]
    assert all(s["points"] is None and s["graded_at"] is None for s in ungraded)

    graded = await client.post(
        grading, json={"points": 7, "feedback": "  Good rhythm.  "}, headers=tutor
    )
    assert graded.status_code == 200, graded.text
    body = graded.json()
    assert (body["points"], body["max_points"], body["feedback"]) == (7, 10, "Good rhythm.")
    assert body["graded_at"] is not None
    (mail,) = await grade_mails(settings, "student@catalog.test", 1)
    assert "7 of 10 points" in mail
    assert "Good rhythm." in mail

    # Boundaries, by the owner: nothing and everything.
    for name, points in (("ann", 0), ("bob", 10)):
        response = await client.post(
            f"/api/v1/submissions/{submissions[name]['id']}/grade",
            json={"points": points},
            headers=tutor,
        )
        assert response.status_code == 200, response.text
        assert response.json()["points"] == points

    # A co-instructor corrects the grade; the student hears of it too.
    await add_co_instructor(client, tutor, str(course.id), cotutor)
    regraded = await client.post(
        grading, json={"points": 9, "feedback": "Better."}, headers=cotutor
    )
    assert regraded.status_code == 200, regraded.text
    assert (regraded.json()["points"], regraded.json()["feedback"]) == (9, "Better.")
    mails = await grade_mails(settings, "student@catalog.test", 2)
    assert "9 of 10 points" in mails[1]
    (ann_mail,) = await grade_mails(settings, "ann@catalog.test", 1)
    assert "0 of 10 points" in ann_mail

    seen = (await client.get(f"{LESSONS}/{lesson}", headers=student)).json()["my_submission"]
    assert (seen["points"], seen["feedback"]) == (9, "Better.")
    listed = {s["id"]: s for s in (await client.get(listing, headers=cotutor)).json()["items"]}
    assert [listed[submissions[n]["id"]]["points"] for n in ("student", "ann", "bob")] == [9, 0, 10]


async def test_a_grade_email_delivered_late_keeps_that_grade_s_feedback(
    client: Any, settings: Settings
) -> None:
    """Outbox delivery is at least once and may come late (the mail server was down, retries
    back off): the email for the first grade must still say what that grade said."""
    await seed_accounts(
        settings,
        ("tutor@catalog.test", Role.TUTOR),
        ("manager@catalog.test", Role.MANAGER),
        ("student@catalog.test", Role.STUDENT),
    )
    await approve_tutors(settings, "tutor@catalog.test")
    tutor = await headers_of(client, "tutor")
    student = await headers_of(client, "student")
    course = await learning_course(client, tutor, await headers_of(client, "manager"))
    await enroll(client, student, course.id)
    lesson = course.assignment["id"]
    handed = await client.post(
        f"{LESSONS}/{lesson}/submissions", files=form("A haiku"), headers=student
    )
    grading = f"/api/v1/submissions/{handed.json()['id']}/grade"
    for points, feedback in ((7, "Good rhythm."), (9, "Better.")):
        graded = await client.post(
            grading, json={"points": points, "feedback": feedback}, headers=tutor
        )
        assert graded.status_code == 200, graded.text
    await grade_mails(settings, "student@catalog.test", 2)

    # The first grade's event, delivered once more.
    container = bootstrap(settings)
    try:
        async with container.sessions() as session:
            rows = (
                await session.execute(
                    select(OutboxMessageRow).where(
                        OutboxMessageRow.event_type == AssignmentGraded.event_type
                    )
                )
            ).scalars()
            events = [container.codec.decode(row.event_type, row.payload) for row in rows]
        (first,) = [e for e in events if isinstance(e, AssignmentGraded) and e.points == 7]
        await SendGradeEmail(
            container.learning.deps, container.personal_mailer(), container.templates
        )(first)
    finally:
        await container.dispose()
    late = (await grade_mails(settings, "student@catalog.test", 3))[2]
    assert "7 of 10 points" in late
    assert "Good rhythm." in late and "Better." not in late
