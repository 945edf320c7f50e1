"""Certificates, on SQLite and PostgreSQL: a completed course gives one (issued by the worker),
whose PDF names the student, the course, the serial and the verification link; only its holder
and staff download it; anyone verifies its code, however it is typed; issuing is idempotent,
even when the completion is reported twice or handled concurrently."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select, text
from tests.integration.http.learning.helpers import (
    LESSONS,
    RIGHT_ANSWERS,
    LearningCourse,
    enroll,
    learning_course,
)
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem, seed_accounts

from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.models.learning import CertificateRow
from elearn.domain.identity.roles import Role
from elearn.domain.learning.enrollment import EnrollmentCompleted
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

CERTIFICATES = "/api/v1/certificates"


async def complete(client: Any, student: dict[str, str], course: LearningCourse) -> None:
    """Every required lesson done: the video watched, the text read, the quiz passed and the
    assignment handed in."""
    steps = [
        (course.video["id"], {"position_seconds": 90, "seconds_spent": 95}),
        (course.text["id"], {"completed": True}),
    ]
    for lesson_id, body in steps:
        response = await client.put(f"{LESSONS}/{lesson_id}/progress", json=body, headers=student)
        assert response.status_code == 200, response.text
    started = await client.post(f"{LESSONS}/{course.quiz['id']}/attempts", headers=student)
    assert started.status_code == 201, started.text
    passed = await client.post(
        f"/api/v1/attempts/{started.json()['id']}/submit",
        json={"answers": RIGHT_ANSWERS},
        headers=student,
    )
    assert passed.json()["passed"] is True, passed.text
    handed = await client.post(
        f"{LESSONS}/{course.assignment['id']}/submissions",
        files=[("text", (None, "An old silent pond"))],
        headers=student,
    )
    assert handed.status_code == 201, handed.text


async def my_certificates(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/me/certificates", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]  # type: ignore[no-any-return]


async def issued(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The student's one certificate, once the worker has issued it."""
    for _ in range(300):
        found = await my_certificates(client, headers)
        if found:
            (certificate,) = found
            return certificate
        await asyncio.sleep(0.05)
    raise AssertionError("no certificate was issued")


def certificate_pdfs(settings: Settings) -> list[Path]:
    root = settings.effective_storage_dir
    return sorted(p for p in (root / "certificate").rglob("*") if p.is_file())


@dataclass(frozen=True)
class Row:
    id: str
    enrollment_id: str
    pdf_key: str


async def certificate_rows(settings: Settings) -> list[Row]:
    engine = create_engine(settings.effective_database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(select(CertificateRow))
            return [Row(str(r.id), str(r.enrollment_id), r.pdf_key) for r in result.all()]
    finally:
        await engine.dispose()


async def run_sql(settings: Settings, statement: str) -> None:
    engine = create_engine(settings.effective_database_url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def test_a_completed_course_gives_a_certificate_to_download_and_verify(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student = await headers_of(client, "student")
    stranger = await headers_of(client, "cotutor")
    renamed = await client.patch("/api/v1/me", json={"full_name": "Ada Lovelace"}, headers=student)
    assert renamed.status_code == 200, renamed.text
    me = (await client.get("/api/v1/me", headers=student)).json()
    assert me["full_name"] == "Ada Lovelace"
    course = await learning_course(client, tutor, manager, title="Analytical Engines")
    enrollment = await enroll(client, student, course.id)
    assert await my_certificates(client, student) == []

    await complete(client, student, course)
    certificate = await issued(client, student)
    assert certificate["course_id"] == course.id
    assert certificate["course_title"] == "Analytical Engines"
    assert certificate["serial"].startswith(f"EL-{datetime.now(UTC).year}-")
    code = certificate["verification_code"]
    assert len(code) == 16 and code.isalnum() and code.isupper()
    (mine,) = (await client.get("/api/v1/me/enrollments", headers=student)).json()["items"]
    assert mine["id"] == enrollment["id"]
    assert (mine["status"], mine["certificate_id"]) == ("completed", certificate["id"])

    # ---- the PDF: its holder and staff; names, serial and link in its text -------------------
    address = f"{CERTIFICATES}/{certificate['id']}.pdf"
    downloaded = await client.get(address, headers=student)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.content.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(downloaded.content))
    words = " ".join(page.extract_text() for page in reader.pages)
    flat = "".join(words.split())  # long lines may wrap
    assert "Ada Lovelace" in words
    assert "Analytical Engines" in words
    assert certificate["serial"] in words
    assert f"{settings.public_url}/api/v1/certificates/verify/{code}" in flat
    for staff in (manager, admin):
        response = await client.get(address, headers=staff)
        assert response.status_code == 200, response.text
        assert response.content == downloaded.content
    for other in (stranger, tutor):  # not even the course's own instructor
        problem(await client.get(address, headers=other), 404, "certificate-not-found")
    problem(await client.get(address), 401)
    for wrong in (
        f"{CERTIFICATES}/nonsense.pdf",
        f"{CERTIFICATES}/{certificate['id']}.txt",
        f"{CERTIFICATES}/{certificate['id']}",
        f"{CERTIFICATES}/{certificate['id']}.PDF",
        f"{CERTIFICATES}/{uuid.uuid4()}.pdf",
    ):
        problem(await client.get(wrong, headers=student), 404)

    # ---- verification: public, by code however typed, revealing only five fields --------------
    expected = {
        "valid": True,
        "serial": certificate["serial"],
        "student_name": "Ada Lovelace",
        "course_title": "Analytical Engines",
    }
    dashed = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    for typed in (code, code.lower(), dashed, dashed.lower(), f" {code[:8]} {code[8:]} "):
        response = await client.get(f"{CERTIFICATES}/verify/{typed}")
        assert response.status_code == 200, (typed, response.text)
        body = response.json()
        assert set(body) == {*expected, "issued_at"}, body
        assert {k: body[k] for k in expected} == expected
        assert datetime.fromisoformat(body["issued_at"]) == datetime.fromisoformat(
            certificate["issued_at"]
        )
    # The certificate states the name as it was: a later rename leaves it.
    await client.patch("/api/v1/me", json={"full_name": "Augusta King"}, headers=student)
    later = (await client.get(f"{CERTIFICATES}/verify/{code}")).json()
    assert later["student_name"] == "Ada Lovelace"

    problem(await client.get(f"{CERTIFICATES}/verify/{code[:-1]}"), 404, "certificate-not-found")
    problem(
        await client.get(f"{CERTIFICATES}/verify/23456789ABCDEFGH"), 404, "certificate-not-found"
    )
    problem(await client.get(f"{CERTIFICATES}/verify/----"), 404, "certificate-not-found")
    # Refunded is not earned: revoking the enrollment invalidates it; granting it back restores.
    revoked = await client.post(
        f"/api/v1/admin/enrollments/{enrollment['id']}/revoke", json={}, headers=admin
    )
    assert revoked.status_code == 200, revoked.text
    after = (await client.get(f"{CERTIFICATES}/verify/{code}")).json()
    assert after == {**later, "valid": False}
    granted = await client.post(
        "/api/v1/admin/enrollments",
        json={"user_id": me["id"], "course_id": course.id},
        headers=admin,
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["status"] == "completed"
    assert (await client.get(f"{CERTIFICATES}/verify/{code}")).json() == later
    assert [c["id"] for c in await my_certificates(client, student)] == [certificate["id"]]

    for absurd in ("A" * 65, code + "A" * 49, "A" * 5000, "%00" * 100):
        response = await client.get(f"{CERTIFICATES}/verify/{absurd}")
        assert response.status_code in (400, 404), response.text
        problem(response, response.status_code)


async def test_issuing_twice_or_concurrently_gives_one_certificate(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    await seed_accounts(settings, ("idle@catalog.test", Role.STUDENT))
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    idle = await headers_of(client, "idle")
    course = await learning_course(client, tutor, manager, title="Once Only")
    enrollment_id = uuid.UUID((await enroll(client, student, course.id))["id"])
    idle_enrollment_id = uuid.UUID((await enroll(client, idle, course.id))["id"])
    student_id = uuid.UUID((await client.get("/api/v1/me", headers=student)).json()["id"])
    idle_id = uuid.UUID((await client.get("/api/v1/me", headers=idle)).json()["id"])

    def completed(enrollment: uuid.UUID, user: uuid.UUID) -> EnrollmentCompleted:
        return EnrollmentCompleted(
            event_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            enrollment_id=enrollment,
            course_id=uuid.UUID(course.id),
            user_id=user,
        )

    container = bootstrap(settings)
    try:
        issuer = container.learning.issue_certificate
        # Not completed (yet): nothing to issue, by either door; nor for an unknown enrollment.
        assert await issuer.issue(enrollment_id) is None
        assert await issuer.issue(idle_enrollment_id) is None
        assert await issuer.issue(uuid.uuid4()) is None
        await issuer(completed(idle_enrollment_id, idle_id))
        assert await certificate_rows(settings) == []
        assert certificate_pdfs(settings) == []

        # Completed: the app's worker and four more callers race to issue it.
        await complete(client, student, course)
        event = completed(enrollment_id, student_id)
        results = await asyncio.gather(
            issuer.issue(enrollment_id), issuer.issue(enrollment_id), issuer(event), issuer(event)
        )
        certificate = await issued(client, student)
        assert {str(r.id) for r in results if r is not None} <= {certificate["id"]}
        assert [row.id for row in await certificate_rows(settings)] == [certificate["id"]]
        assert len(certificate_pdfs(settings)) == 1
        # Later deliveries find it there.
        again = await issuer.issue(enrollment_id)
        assert again is not None and str(again.id) == certificate["id"]
        await issuer(event)
        assert [row.id for row in await certificate_rows(settings)] == [certificate["id"]]
        assert len(certificate_pdfs(settings)) == 1

        # With no certificate yet (as before the worker ran), concurrent callers issue one.
        await run_sql(settings, "DELETE FROM certificates")
        for path in certificate_pdfs(settings):
            path.unlink()
        results = await asyncio.gather(
            *(issuer.issue(enrollment_id) for _ in range(3)), issuer(event), issuer(event)
        )
        (row,) = await certificate_rows(settings)
        assert row.id != certificate["id"]
        assert row.enrollment_id == str(enrollment_id)
        assert {str(r.id) for r in results if r is not None} == {row.id}
        (pdf,) = certificate_pdfs(settings)
        assert pdf.as_posix().endswith(row.pdf_key)
        (mine,) = await my_certificates(client, student)
        assert mine["id"] == row.id
        download = await client.get(f"{CERTIFICATES}/{row.id}.pdf", headers=student)
        assert download.status_code == 200
        assert download.content == pdf.read_bytes()
        assert await my_certificates(client, idle) == []
    finally:
        await container.dispose()
