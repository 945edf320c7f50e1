"""Tutor sign-up and approval over HTTP, on SQLite and PostgreSQL: multipart registration with
sniffed documents, the staff decision, the emails it sends and the public profile it opens."""

from __future__ import annotations

import asyncio
import uuid
from email.message import Message
from pathlib import Path
from typing import Any

from tests.support.identity import (
    PASSWORD,
    PDF,
    bearer,
    login,
    mails_to,
    png,
    problem,
    register_student,
    seed_accounts,
)

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

REGISTER = "/api/v1/auth/register/tutor"
APPLY = "/api/v1/me/tutor-application"
APPLICATIONS = "/api/v1/admin/tutor-applications"

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def stored_files(settings: Settings) -> list[Path]:
    root = settings.effective_storage_dir
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def tutor_form(address: str, **fields: str) -> dict[str, str]:
    return {
        "email": address,
        "password": PASSWORD,
        "full_name": "Tu Tor",
        "headline": "Maths for everyone",
        "subjects": "algebra, geometry ,, calculus",
        **fields,
    }


def documents(
    cv: tuple[str, bytes, str] = ("cv.pdf", PDF, "application/pdf"),
    certificate: tuple[str, bytes, str] = ("diploma.png", png(), "image/png"),
) -> dict[str, tuple[str, bytes, str]]:
    return {"cv": cv, "certificate": certificate}


async def mail_with_subject(settings: Settings, address: str, subject: str) -> Message:
    for _ in range(300):
        for message in await mails_to(settings, address):
            if subject.lower() in message["Subject"].lower():
                return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"no email '{subject}' to {address}")


async def test_refused_documents_leave_nothing_behind(client: Any, settings: Settings) -> None:
    address = "svg@example.com"
    for files in [
        documents(cv=("cv.svg", SVG, "image/svg+xml")),
        documents(cv=("cv.pdf", HTML, "application/pdf")),  # the bytes decide, not the name
        documents(certificate=("diploma.png", SVG, "image/png")),  # the cv was stored first
        documents(certificate=("diploma.html", HTML, "text/html")),
    ]:
        response = await client.post(REGISTER, data=tutor_form(address), files=files)
        problem(response, 415, "unsupported-media-type")
    assert stored_files(settings) == []
    problem(
        await client.post(REGISTER, data=tutor_form(address), files=documents(cv=("cv", b"", ""))),
        422,
    )
    assert stored_files(settings) == []
    # No account was opened: the address is still free.
    problem(
        await client.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD}),
        401,
    )

    # Malformed forms are 400s and a JSON body is the wrong media type.
    missing_cv = {"certificate": documents()["certificate"]}
    problem(await client.post(REGISTER, data=tutor_form(address), files=missing_cv), 400)
    problem(
        await client.post(REGISTER, data=tutor_form(address, headline=""), files=documents()),
        400,
    )
    problem(await client.post(REGISTER, json=tutor_form(address)), 415)
    problem(
        await client.post(REGISTER, data=tutor_form(address, subjects=" , ,"), files=documents()),
        422,
    )
    assert stored_files(settings) == []


async def test_tutor_registration_and_approval(client: Any, settings: Settings) -> None:
    await seed_accounts(settings, ("admin@example.com", Role.ADMIN))
    admin = await login(client, "admin@example.com")
    registered = await client.post(
        REGISTER, data=tutor_form("tutor@example.com"), files=documents()
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["role"] == "tutor" and body["tutor_approval"] == "pending"
    tutor_id = body["user_id"]
    assert len(stored_files(settings)) == 2
    taken = await client.post(REGISTER, data=tutor_form("TUTOR@example.com"), files=documents())
    problem(taken, 409, "email-taken")
    assert len(stored_files(settings)) == 2

    tutor = await login(client, "tutor@example.com")
    me = (await client.get("/api/v1/me", headers=bearer(tutor))).json()
    assert me["role"] == "tutor" and me["tutor_approval"] == "pending"
    assert me["tutor_profile"] is not None
    problem(await client.get(f"/api/v1/tutors/{tutor_id}"), 404)

    listed = await client.get(APPLICATIONS, params={"status": "pending"}, headers=bearer(admin))
    assert listed.status_code == 200, listed.text
    [application] = listed.json()["items"]
    assert application["user_id"] == tutor_id
    assert application["subjects"] == ["algebra", "geometry", "calculus"]
    application_id = application["id"]

    for reason in ["", "   "]:
        refused = await client.post(
            f"{APPLICATIONS}/{application_id}/reject",
            json={"reason": reason},
            headers=bearer(admin),
        )
        assert refused.status_code in (400, 422), refused.text
        problem(refused, refused.status_code)
    problem(await client.post(f"{APPLICATIONS}/{uuid.uuid4()}/approve", headers=bearer(admin)), 404)
    problem(await client.post(f"{APPLICATIONS}/not-a-uuid/approve", headers=bearer(admin)), 404)
    problem(
        await client.post(f"{APPLICATIONS}/{application_id}/approve", headers=bearer(tutor)), 403
    )

    approved = await client.post(f"{APPLICATIONS}/{application_id}/approve", headers=bearer(admin))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    await mail_with_subject(settings, "tutor@example.com", "You can now teach")

    public = await client.get(f"/api/v1/tutors/{tutor_id}")
    assert public.status_code == 200, public.text
    assert public.json()["headline"] == "Maths for everyone"
    assert public.json()["full_name"] == "Tu Tor"
    me = (await client.get("/api/v1/me", headers=bearer(tutor))).json()
    assert me["tutor_approval"] == "approved"

    problem(
        await client.post(
            f"{APPLICATIONS}/{application_id}/reject",
            json={"reason": "late"},
            headers=bearer(admin),
        ),
        409,
    )
    problem(
        await client.post(f"{APPLICATIONS}/{application_id}/approve", headers=bearer(admin)), 409
    )
    still = await client.get(APPLICATIONS, params={"status": "pending"}, headers=bearer(admin))
    assert still.json()["items"] == []
    problem(await client.get(APPLICATIONS, params={"status": "maybe"}, headers=bearer(admin)), 400)


async def test_students_apply_to_teach(client: Any, settings: Settings) -> None:
    await seed_accounts(
        settings, ("manager@example.com", Role.MANAGER), ("verified@example.com", Role.STUDENT)
    )
    manager = await login(client, "manager@example.com")
    form = {"headline": "Chemistry", "subjects": "organic chemistry"}

    await register_student(client, "unverified@example.com")
    unverified = await login(client, "unverified@example.com")
    response = await client.post(APPLY, data=form, files=documents(), headers=bearer(unverified))
    problem(response, 403, "email-not-verified")
    assert stored_files(settings) == []
    problem(await client.post(APPLY, data=form, files=documents()), 401)

    student = await login(client, "verified@example.com")
    svg = await client.post(
        APPLY,
        data=form,
        files=documents(certificate=("c.svg", SVG, "image/svg+xml")),
        headers=bearer(student),
    )
    problem(svg, 415)
    assert stored_files(settings) == []
    applied = await client.post(APPLY, data=form, files=documents(), headers=bearer(student))
    assert applied.status_code == 201, applied.text
    assert applied.json()["status"] == "pending"
    again = await client.post(APPLY, data=form, files=documents(), headers=bearer(student))
    problem(again, 409)
    assert len(stored_files(settings)) == 2
    me = (await client.get("/api/v1/me", headers=bearer(student))).json()
    assert me["role"] == "student" and me["tutor_approval"] == "pending"
    problem(await client.post(APPLY, data=form, files=documents(), headers=bearer(manager)), 403)

    # A manager rejects with a reason the applicant is told; the applicant may apply again.
    application_id = applied.json()["application_id"]
    rejected = await client.post(
        f"{APPLICATIONS}/{application_id}/reject",
        json={"reason": "Please attach a certificate in chemistry."},
        headers=bearer(manager),
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    message = await mail_with_subject(settings, "verified@example.com", "tutor application")
    assert "certificate in chemistry" in message.as_string()
    reapplied = await client.post(APPLY, data=form, files=documents(), headers=bearer(student))
    assert reapplied.status_code == 201, reapplied.text

    # Approval makes the student a tutor and ends the student's sessions.
    approved = await client.post(
        f"{APPLICATIONS}/{reapplied.json()['application_id']}/approve", headers=bearer(manager)
    )
    assert approved.status_code == 200, approved.text
    problem(await client.get("/api/v1/me", headers=bearer(student)), 401)
    tutor = await login(client, "verified@example.com")
    me = (await client.get("/api/v1/me", headers=bearer(tutor))).json()
    assert me["role"] == "tutor" and me["tutor_approval"] == "approved"
