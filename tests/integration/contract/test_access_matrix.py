"""Who may act on whose objects: every operation of the OpenAPI document with an id in its path,
called on a real object of a seeded platform by its owner, by another person of the owner's role,
by every other role, and anonymously. One table says who is let through; a new route without a
row fails ``test_every_operation_with_an_id_has_a_row``.

Refused means 401, 403 or 404 (or 402 where access is sold); let through means anything else
(a 409 or 422 from a rule still means the caller was allowed to ask). Callers that must be
refused share one copy of the seeded database, as a refusal changes nothing; each caller that is
let through gets a fresh copy, so one caller's change (a deleted course) never hides another's
access."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.integration.contract.conftest import SeededPlatform
from tests.support.apps import app_for
from tests.support.contract import document_of, documented_app
from tests.support.identity import PDF, png

CALLERS = ("anonymous", "student", "classmate", "tutor", "cotutor", "manager", "admin")
EVERYONE = frozenset(CALLERS)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF = frozenset({"manager", "admin"})
ADMIN = frozenset({"admin"})
# The seeded objects belong to ``student`` (enrolled, booked, reviewed, attempted, submitted)
# and ``tutor`` (the course's instructor, the booked tutor); classmate and cotutor own nothing.
STUDENT = frozenset({"student"})
TUTOR = frozenset({"tutor"})
REFUSED = {401, 402, 403, 404}
# Who uses the seeded course's forum: its enrolled student, its instructor and staff.
FORUM = STUDENT | TUTOR | STAFF

Values = Mapping[str, str]


@dataclass(frozen=True)
class Access:
    allowed: frozenset[str]
    # Path parameters taken from another seeded object than the one named like them.
    use: Mapping[str, str] = field(default_factory=dict)
    json: Callable[[Values], Any] | None = None
    # Multipart parts: (filename, bytes, media type), or (None, bytes) for a plain field.
    files: Mapping[str, tuple[Any, ...]] | None = None
    query: Mapping[str, str] | Callable[[Values], Mapping[str, str]] | None = None


@dataclass(frozen=True)
class NotChecked:
    """An operation whose path parameter is not an object's id; why is the reason."""

    why: str


def _in_days(days: int) -> str:
    at = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return at.replace(hour=11).isoformat()


QUIZ_LESSON = {"lesson_id": "quiz_lesson_id"}
# The course tutor teaches with cotutor (an accepted invitation), and cotutor as its co-instructor.
TEAM_COURSE = {"course_key": "team_course_key", "user_id": "co_instructor_id"}
ASSIGNMENT_LESSON = {"lesson_id": "assignment_lesson_id"}

MATRIX: dict[tuple[str, str], Access | NotChecked] = {
    # ---- identity ---------------------------------------------------------------------------
    ("GET", "/api/v1/tutors/{tutor_id}"): Access(EVERYONE),
    ("POST", "/api/v1/admin/tutor-applications/{application_id}/approve"): Access(STAFF),
    # The link was signed for the manager: the admin holding it is refused like anyone else.
    ("GET", "/api/v1/admin/tutor-applications/{application_id}/documents/{document}"): Access(
        frozenset({"manager"}),
        query=lambda v: {"expires": v["document_expires"], "signature": v["document_signature"]},
    ),
    ("POST", "/api/v1/admin/tutor-applications/{application_id}/reject"): Access(
        STAFF, json=lambda v: {"reason": "Please add a diploma."}
    ),
    ("PATCH", "/api/v1/admin/users/{user_id}"): Access(ADMIN, json=lambda v: {"suspended": False}),
    ("PATCH", "/api/v1/admin/institutions/{institution_id}"): Access(
        STAFF, json=lambda v: {"name": "Universidade de São Paulo (USP)"}
    ),
    # ---- catalog ----------------------------------------------------------------------------
    ("DELETE", "/api/v1/categories/{category_id}"): Access(ADMIN),
    ("PATCH", "/api/v1/categories/{category_id}"): Access(
        ADMIN, json=lambda v: {"description": "Code."}
    ),
    ("GET", "/api/v1/courses/{course_key}"): Access(EVERYONE),
    ("PATCH", "/api/v1/courses/{course_key}"): Access(TUTOR, json=lambda v: {"subtitle": "New"}),
    ("DELETE", "/api/v1/courses/{course_key}"): Access(TUTOR),
    ("POST", "/api/v1/courses/{course_key}/sections"): Access(
        TUTOR, json=lambda v: {"title": "More"}
    ),
    ("PUT", "/api/v1/courses/{course_key}/outline"): Access(
        TUTOR,
        json=lambda v: {
            "sections": [
                {
                    "section_id": v["section_id"],
                    "lesson_ids": [
                        v["lesson_id"],
                        v["quiz_lesson_id"],
                        v["assignment_lesson_id"],
                    ],
                }
            ]
        },
    ),
    ("PUT", "/api/v1/courses/{course_key}/thumbnail"): Access(
        TUTOR, files={"file": ("cover.png", png(), "image/png")}
    ),
    ("POST", "/api/v1/courses/{course_key}/submit"): Access(TUTOR),
    # ---- communication ------------------------------------------------------------------
    ("POST", "/api/v1/courses/{course_key}/announcements"): Access(
        TUTOR | STAFF, json=lambda v: {"title": "Week 2", "body": "The quiz opens on Monday."}
    ),
    ("GET", "/api/v1/courses/{course_key}/announcements"): Access(STUDENT | TUTOR | STAFF),
    ("POST", "/api/v1/courses/{course_key}/approve"): Access(STAFF),
    ("POST", "/api/v1/courses/{course_key}/reject"): Access(
        STAFF, json=lambda v: {"reason": "Too short."}
    ),
    ("POST", "/api/v1/courses/{course_key}/publish"): Access(STAFF),
    ("POST", "/api/v1/courses/{course_key}/unpublish"): Access(STAFF),
    ("POST", "/api/v1/courses/{course_key}/archive"): Access(TUTOR | STAFF),
    ("POST", "/api/v1/sections/{section_id}/lessons"): Access(
        TUTOR, json=lambda v: {"kind": "text", "title": "More", "text": "More."}
    ),
    ("PATCH", "/api/v1/sections/{section_id}"): Access(TUTOR, json=lambda v: {"title": "Renamed"}),
    ("DELETE", "/api/v1/sections/{section_id}"): Access(TUTOR),
    ("GET", "/api/v1/lessons/{lesson_id}"): Access(STUDENT | TUTOR | STAFF),
    ("PATCH", "/api/v1/lessons/{lesson_id}"): Access(TUTOR, json=lambda v: {"title": "Renamed"}),
    ("DELETE", "/api/v1/lessons/{lesson_id}"): Access(TUTOR),
    ("PUT", "/api/v1/lessons/{lesson_id}/file"): Access(
        TUTOR, files={"file": ("notes.pdf", PDF, "application/pdf")}
    ),
    # The course's staged revision (a changed subtitle) and its review.
    ("GET", "/api/v1/courses/{course_key}/revision"): Access(TUTOR | STAFF),
    ("DELETE", "/api/v1/courses/{course_key}/revision"): Access(TUTOR),
    ("POST", "/api/v1/courses/{course_key}/revision/submit"): Access(TUTOR),
    ("POST", "/api/v1/courses/{course_key}/revision/approve"): Access(STAFF),
    ("POST", "/api/v1/courses/{course_key}/revision/reject"): Access(
        STAFF, json=lambda v: {"reason": "Keep the old subtitle."}
    ),
    # Co-instructors: invited by the owner, answering their own invitation, leaving or removed.
    ("POST", "/api/v1/courses/{course_key}/invitations"): Access(
        TUTOR, json=lambda v: {"user_id": v["co_instructor_id"]}
    ),
    ("GET", "/api/v1/courses/{course_key}/invitations"): Access(
        TUTOR | {"cotutor"} | STAFF, use=TEAM_COURSE
    ),
    ("POST", "/api/v1/course-invitations/{invitation_id}/accept"): Access(frozenset({"cotutor"})),
    ("POST", "/api/v1/course-invitations/{invitation_id}/decline"): Access(frozenset({"cotutor"})),
    ("DELETE", "/api/v1/course-invitations/{invitation_id}"): Access(TUTOR),
    ("DELETE", "/api/v1/courses/{course_key}/co-instructors/{user_id}"): Access(
        TUTOR | {"cotutor"}, use=TEAM_COURSE
    ),
    ("GET", "/api/v1/images/{key}"): NotChecked(
        "a content-addressed key of a public image, not an object someone owns"
    ),
    # ---- learning ---------------------------------------------------------------------------
    ("POST", "/api/v1/courses/{course_key}/enroll"): Access(SIGNED_IN),
    ("DELETE", "/api/v1/courses/{course_key}/enroll"): Access(STUDENT),
    ("GET", "/api/v1/courses/{course_key}/reviews"): Access(EVERYONE),
    ("POST", "/api/v1/courses/{course_key}/reviews"): Access(
        STUDENT, json=lambda v: {"rating": 4, "text": "Good."}
    ),
    ("GET", "/api/v1/courses/{course_key}/students"): Access(TUTOR | STAFF),
    ("PUT", "/api/v1/lessons/{lesson_id}/progress"): Access(
        STUDENT, json=lambda v: {"position_seconds": 1}
    ),
    ("PUT", "/api/v1/lessons/{lesson_id}/assignment"): Access(
        TUTOR, use=ASSIGNMENT_LESSON, json=lambda v: {"instructions": "Two pages."}
    ),
    ("PUT", "/api/v1/lessons/{lesson_id}/quiz"): Access(
        TUTOR,
        use=QUIZ_LESSON,
        json=lambda v: {
            "questions": [
                {"id": "q1", "kind": "true_false", "prompt": "Sure?", "correct_boolean": True}
            ]
        },
    ),
    ("POST", "/api/v1/lessons/{lesson_id}/attempts"): Access(STUDENT, use=QUIZ_LESSON),
    ("GET", "/api/v1/lessons/{lesson_id}/submissions"): Access(
        TUTOR | STAFF, use=ASSIGNMENT_LESSON
    ),
    ("POST", "/api/v1/lessons/{lesson_id}/submissions"): Access(
        STUDENT, use=ASSIGNMENT_LESSON, files={"text": (None, b"Another page.")}
    ),
    ("GET", "/api/v1/attempts/{attempt_id}"): Access(STUDENT | TUTOR | STAFF),
    ("POST", "/api/v1/attempts/{attempt_id}/submit"): Access(
        STUDENT, json=lambda v: {"answers": {"q1": True}}
    ),
    ("POST", "/api/v1/submissions/{submission_id}/grade"): Access(
        TUTOR, json=lambda v: {"points": 80}
    ),
    ("PATCH", "/api/v1/reviews/{review_id}"): Access(STUDENT, json=lambda v: {"text": "Edited."}),
    ("DELETE", "/api/v1/reviews/{review_id}"): Access(STUDENT | STAFF),
    ("POST", "/api/v1/reviews/{review_id}/hide"): Access(STAFF, json=lambda v: {"hidden": True}),
    ("POST", "/api/v1/reviews/{review_id}/reply"): Access(
        TUTOR, json=lambda v: {"text": "Thanks!"}
    ),
    ("GET", "/api/v1/media/{token}"): NotChecked(
        "the signed token is the credential (learning's media tests cover who gets one)"
    ),
    ("POST", "/api/v1/media/{token}/one-time-link"): NotChecked(
        "the signed token is bound to its holder (learning's integrity tests: only the holder,"
        " signed in, exchanges it)"
    ),
    ("GET", "/api/v1/certificates/{certificate_file}"): NotChecked(
        "no certificate in the seeded platform yet: learning's certificate tests cover owners"
    ),
    ("GET", "/api/v1/certificates/verify/{code}"): NotChecked(
        "a public verification code printed on the certificate, not an object id"
    ),
    ("POST", "/api/v1/admin/enrollments/{enrollment_id}/revoke"): Access(
        STAFF, json=lambda v: {"reason": "Chargeback."}
    ),
    # ---- community --------------------------------------------------------------------------
    # The course's forum: its enrolled student, its instructor and staff (classmate is enrolled
    # in another course, cotutor teaches another). The question is the student's, the reply
    # the tutor's; moderating is the instructor's and staff's.
    ("GET", "/api/v1/courses/{course_key}/discussions"): Access(FORUM),
    ("POST", "/api/v1/courses/{course_key}/discussions"): Access(
        FORUM, json=lambda v: {"title": "Another", "body": "Question?"}
    ),
    ("GET", "/api/v1/discussions/{discussion_id}"): Access(FORUM),
    ("PATCH", "/api/v1/discussions/{discussion_id}"): Access(
        STUDENT | TUTOR | STAFF, json=lambda v: {"body": "Edited."}
    ),
    ("DELETE", "/api/v1/discussions/{discussion_id}"): Access(STUDENT | TUTOR | STAFF),
    ("GET", "/api/v1/discussions/{discussion_id}/edits"): Access(FORUM),
    ("GET", "/api/v1/discussions/{discussion_id}/replies"): Access(FORUM),
    ("POST", "/api/v1/discussions/{discussion_id}/replies"): Access(
        FORUM, json=lambda v: {"body": "Me too."}
    ),
    ("POST", "/api/v1/discussions/{discussion_id}/vote"): Access(FORUM),
    ("DELETE", "/api/v1/discussions/{discussion_id}/vote"): Access(FORUM),
    ("POST", "/api/v1/discussions/{discussion_id}/accept"): Access(
        STUDENT | TUTOR | STAFF, json=lambda v: {"reply_id": v["reply_id"]}
    ),
    ("POST", "/api/v1/discussions/{discussion_id}/subscribe"): Access(FORUM),
    ("POST", "/api/v1/discussions/{discussion_id}/unsubscribe"): Access(FORUM),
    **{
        ("POST", f"/api/v1/discussions/{{discussion_id}}/{action}"): Access(TUTOR | STAFF)
        for action in ("pin", "unpin", "lock", "unlock", "resolve", "reopen")
    },
    ("PATCH", "/api/v1/replies/{reply_id}"): Access(TUTOR | STAFF, json=lambda v: {"body": "Fix."}),
    ("POST", "/api/v1/replies/{reply_id}/vote"): Access(FORUM),
    ("DELETE", "/api/v1/replies/{reply_id}/vote"): Access(FORUM),
    ("GET", "/api/v1/lessons/{lesson_id}/comments"): Access(FORUM),
    ("POST", "/api/v1/lessons/{lesson_id}/comments"): Access(
        FORUM, json=lambda v: {"body": "Nice lesson."}
    ),
    ("POST", "/api/v1/admin/content-reports/{content_report_id}/resolve"): Access(
        STAFF, json=lambda v: {"action": "dismiss"}
    ),
    # ---- privacy ----------------------------------------------------------------------------
    ("GET", "/api/v1/me/exports/{export_id}/archive"): Access(STUDENT | ADMIN),
    ("POST", "/api/v1/admin/users/{user_id}/export"): Access(ADMIN),
    ("POST", "/api/v1/admin/users/{user_id}/erasure"): Access(ADMIN, json=lambda v: {}),
    # ---- reporting --------------------------------------------------------------------------
    # The admin's report of accounts: staff who may run that kind see it; its download link
    # was signed for the admin, so anyone else holding it is refused.
    ("GET", "/api/v1/admin/reports/{staff_report_id}"): Access(STAFF),
    ("GET", "/api/v1/admin/reports/{staff_report_id}/file"): Access(
        ADMIN,
        query=lambda v: {
            "expires": v["staff_report_expires"],
            "signature": v["staff_report_signature"],
        },
    ),
    # ---- conversations ----------------------------------------------------------------------
    # Between student and tutor (a booking ties them); staff read them only through reports.
    ("GET", "/api/v1/conversations/{conversation_id}"): Access(STUDENT | TUTOR),
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): Access(STUDENT | TUTOR),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): Access(
        STUDENT | TUTOR, json=lambda v: {"body": "Still on for Thursday?"}
    ),
    # The student sent the message: only they change it (the tutor gets 403 not-your-message).
    ("PATCH", "/api/v1/conversations/{conversation_id}/messages/{message_id}"): Access(
        STUDENT, json=lambda v: {"body": "Hello again!"}
    ),
    ("DELETE", "/api/v1/conversations/{conversation_id}/messages/{message_id}"): Access(STUDENT),
    ("POST", "/api/v1/conversations/{conversation_id}/read"): Access(
        STUDENT | TUTOR, json=lambda v: {"up_to_message_id": v["message_id"]}
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/block"): Access(STUDENT | TUTOR),
    ("POST", "/api/v1/conversations/{conversation_id}/unblock"): Access(STUDENT | TUTOR),
    ("POST", "/api/v1/conversations/{conversation_id}/report"): Access(
        STUDENT | TUTOR, json=lambda v: {"reason": "Spam."}
    ),
    ("GET", "/api/v1/admin/conversation-reports/{report_id}"): Access(STAFF),
    ("POST", "/api/v1/conversations/{conversation_id}/attachments"): Access(
        STUDENT | TUTOR, files={"file": ("notes.pdf", PDF, "application/pdf")}
    ),
    # The link was signed for the student: anyone else holding it is refused.
    ("GET", "/api/v1/conversations/{conversation_id}/attachments/{attachment_id}"): Access(
        STUDENT,
        query=lambda v: {
            "expires": v["attachment_expires"],
            "signature": v["attachment_signature"],
        },
    ),
    # ---- support ----------------------------------------------------------------------------
    # The ticket is the student's; agents are staff. A move the ticket's state refuses (409)
    # still lets the caller through.
    ("GET", "/api/v1/support/tickets/{ticket_id}"): Access(STUDENT | STAFF),
    ("POST", "/api/v1/support/tickets/{ticket_id}/messages"): Access(
        STUDENT | STAFF, json=lambda v: {"body": "Any news?"}
    ),
    ("POST", "/api/v1/support/tickets/{ticket_id}/internal-notes"): Access(
        STAFF, json=lambda v: {"body": "Checked the ledger."}
    ),
    ("POST", "/api/v1/support/tickets/{ticket_id}/assign"): Access(
        STAFF, json=lambda v: {"agent_id": v["agent_id"]}
    ),
    ("POST", "/api/v1/support/tickets/{ticket_id}/status"): Access(
        STUDENT | STAFF, json=lambda v: {"status": "closed"}
    ),
    ("POST", "/api/v1/support/tickets/{ticket_id}/priority"): Access(
        STAFF, json=lambda v: {"priority": "high"}
    ),
    ("POST", "/api/v1/support/tickets/{ticket_id}/rating"): Access(
        STUDENT, json=lambda v: {"score": 5}
    ),
    # The link was signed for the customer: an agent holding it is refused too (their own
    # links come with the ticket they read).
    ("GET", "/api/v1/support/tickets/{ticket_id}/attachments/{ticket_attachment_id}"): Access(
        STUDENT,
        query=lambda v: {
            "expires": v["attachment_expires"],
            "signature": v["ticket_attachment_signature"],
        },
    ),
    # ---- billing ----------------------------------------------------------------------------
    # Admins read any order (support), at the buyer's own address too.
    ("GET", "/api/v1/me/orders/{order_id}"): Access(STUDENT | ADMIN),
    ("POST", "/api/v1/courses/{course_key}/purchase-with-credits"): Access(SIGNED_IN - TUTOR),
    ("POST", "/api/v1/admin/payments/{order_id}/refund"): Access(
        ADMIN, json=lambda v: {"reason": "Asked for it."}
    ),
    ("POST", "/api/v1/admin/withdrawals/{withdrawal_id}/approve"): Access(ADMIN),
    ("POST", "/api/v1/admin/withdrawals/{withdrawal_id}/reject"): Access(
        ADMIN, json=lambda v: {"reason": "Payout details do not match."}
    ),
    # ---- tutoring ---------------------------------------------------------------------------
    ("DELETE", "/api/v1/me/availability/exceptions/{exception_id}"): Access(TUTOR),
    ("GET", "/api/v1/tutors/{tutor_id}/slots"): Access(
        EVERYONE, query={"from": _in_days(2), "to": _in_days(4), "duration": "60"}
    ),
    ("GET", "/api/v1/tutors/{tutor_id}/testimonials"): Access(EVERYONE),
    ("GET", "/api/v1/bookings/{booking_id}"): Access(STUDENT | TUTOR | STAFF),
    ("POST", "/api/v1/bookings/{booking_id}/pay"): Access(
        STUDENT, json=lambda v: {"method": "credits"}
    ),
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): Access(STUDENT | TUTOR),
    ("POST", "/api/v1/bookings/{booking_id}/reschedule"): Access(
        STUDENT, json=lambda v: {"starts_at": _in_days(4)}
    ),
    ("POST", "/api/v1/bookings/{booking_id}/complete"): Access(TUTOR | STAFF),
    ("POST", "/api/v1/bookings/{booking_id}/no-show"): Access(
        TUTOR | STAFF, json=lambda v: {"who": "student"}
    ),
    ("POST", "/api/v1/bookings/{booking_id}/testimonial"): Access(
        STUDENT, json=lambda v: {"rating": 5, "text": "Patient and clear."}
    ),
}


def _operations_with_an_id() -> set[tuple[str, str]]:
    document = document_of(documented_app())
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if "{" in path
        for method in operations
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_every_operation_with_an_id_has_a_row() -> None:
    operations = _operations_with_an_id()
    assert sorted(operations - MATRIX.keys()) == [], "add these operations to MATRIX"
    assert sorted(MATRIX.keys() - operations) == [], "these rows name no operation any more"


CHECKED = sorted(key for key, row in MATRIX.items() if isinstance(row, Access))


@pytest.mark.parametrize(("method", "path"), CHECKED, ids=[f"{m} {p}" for m, p in CHECKED])
async def test_only_the_allowed_callers_are_let_through(
    method: str, path: str, seeded_platform: SeededPlatform
) -> None:
    row = MATRIX[(method, path)]
    assert isinstance(row, Access)
    world = seeded_platform.world
    values = world.path_values
    url = path.format(**{name: values[row.use.get(name, name)] for name in _parameters(path)})
    wrong: list[str] = []

    async def call_as(caller: str, copy_name: str, callers: list[str]) -> None:
        var_dir, database_url = seeded_platform.copy(copy_name)
        settings = make_settings(var_dir, database_url)
        async with AsyncTestClient(
            app=app_for(settings, run_background=False), base_url="http://testserver.local"
        ) as client:
            for who in callers:
                headers = {} if who == "anonymous" else world.bearer(who)
                response = await client.request(
                    method,
                    url,
                    headers=headers,
                    json=row.json(values) if row.json else None,
                    files=row.files,
                    params=row.query(values) if callable(row.query) else row.query,
                )
                refused = response.status_code in REFUSED
                if refused == (who in row.allowed):
                    verdict = "refused" if refused else "let through"
                    wrong.append(f"{who}: {verdict} with {response.status_code} {response.text}")

    refused_callers = [caller for caller in CALLERS if caller not in row.allowed]
    await call_as("refused", "refused", refused_callers)
    for caller in sorted(row.allowed):
        await call_as(caller, f"allowed-{caller}", [caller])
    assert wrong == [], f"{method} {path}:\n" + "\n".join(wrong)


def _parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
