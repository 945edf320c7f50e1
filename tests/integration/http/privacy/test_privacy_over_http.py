"""A person's data over HTTP, on SQLite and PostgreSQL: the export built by the app's own worker
and emailed, listed and downloaded; erasure asked for, shown and cancelled; an admin running
both for a person; and every bad path answering a problem that names what is wrong."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from email.message import Message
from typing import Any

from tests.support.catalog import (
    COURSES,
    add_co_instructor,
    create_course,
    headers_of,
    published_course,
    seed_people,
)
from tests.support.identity import (
    PASSWORD,
    bearer,
    login,
    mail_with_subject,
    mails_to,
    problem,
    seed_accounts,
)

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

EXPORT = "/api/v1/me/export"
EXPORTS = "/api/v1/me/exports"
ME = "/api/v1/me"
ERASURE = "/api/v1/me/erasure"
USERS = "/api/v1/admin/users"
STUDENT = "student@privacy.test"


async def export_mail(settings: Settings, address: str) -> Message:
    """The export-ready email (the account's welcome email comes first)."""
    mails = await mails_to(settings, address, count=2)
    (ready,) = [m for m in mails if "ready" in (m["Subject"] or "")]
    return ready


async def _people(settings: Settings) -> dict[str, uuid.UUID]:
    names = ("admin", "manager", "student", "other")
    roles = (Role.ADMIN, Role.MANAGER, Role.STUDENT, Role.STUDENT)
    ids = await seed_accounts(
        settings, *((f"{name}@privacy.test", role) for name, role in zip(names, roles, strict=True))
    )
    return dict(zip(names, ids, strict=True))


async def test_an_export_is_built_in_the_background_emailed_listed_and_downloaded(
    client: Any, settings: Settings
) -> None:
    await _people(settings)
    student = bearer(await login(client, STUDENT))

    asked = await client.post(EXPORT, headers=bearer(await login(client, STUDENT)))
    assert asked.status_code == 202, asked.text
    export = asked.json()
    assert (export["status"], export["download_url"]) == ("pending", None)

    mail = await export_mail(settings, STUDENT)
    (body,) = [
        part.get_payload(decode=True)
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    ]
    # A page of the front end: an API link needs a token a mail client does not have.
    assert settings.front_end.data_exports().encode() in body
    listed = (await client.get(EXPORTS, headers=student)).json()
    assert listed["next_cursor"] is None
    (item,) = listed["items"]
    assert (item["id"], item["status"]) == (export["id"], "ready")
    assert item["download_url"] == f"{EXPORTS}/{export['id']}/archive"
    assert item["expires_at"].endswith("+00:00") or item["expires_at"].endswith("Z")

    download = await client.get(item["download_url"], headers=student)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["cache-control"] == "private, no-store"
    assert download.headers["content-disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    account = json.loads(archive.read("identity.json"))["account"]
    assert account["email"] == STUDENT


async def test_export_routes_refuse_strangers_and_bad_input(
    client: Any, settings: Settings
) -> None:
    people = await _people(settings)
    student = bearer(await login(client, STUDENT))
    other = bearer(await login(client, "other@privacy.test"))
    manager = bearer(await login(client, "manager@privacy.test"))
    export = (await client.post(EXPORT, headers=student)).json()
    await export_mail(settings, STUDENT)
    archive = f"{EXPORTS}/{export['id']}/archive"

    problem(await client.post(EXPORT), 401)
    problem(await client.get(EXPORTS), 401)
    problem(await client.get(archive), 401)
    problem(await client.get(archive, headers=other), 404, "export-not-found")
    problem(await client.get(archive, headers=manager), 404, "export-not-found")
    problem(await client.get(f"{EXPORTS}/{uuid.uuid4()}/archive", headers=student), 404)
    assert (await client.get(f"{EXPORTS}/not-a-uuid/archive", headers=student)).status_code in (
        400,
        404,
    )
    problem(await client.get(EXPORTS, params={"limit": 0}, headers=student), 400)
    problem(await client.get(EXPORTS, params={"cursor": "nonsense"}, headers=student), 400)
    assert (await client.get(EXPORTS, headers=other)).json() == {"items": [], "next_cursor": None}

    for caller in (student, other, manager):
        response = await client.post(f"{USERS}/{people['student']}/export", headers=caller)
        problem(response, 403)
    admin = bearer(await login(client, "admin@privacy.test"))
    nobody = await client.post(f"{USERS}/{uuid.uuid4()}/export", headers=admin)
    problem(nobody, 404, "user-not-found")
    by_admin = await client.post(f"{USERS}/{people['student']}/export", headers=admin)
    assert by_admin.status_code == 202, by_admin.text
    assert (await client.get(archive, headers=admin)).status_code == 200


async def test_a_person_asks_to_be_erased_sees_it_and_cancels_it(
    client: Any, settings: Settings
) -> None:
    await _people(settings)
    student = bearer(await login(client, STUDENT))

    problem(await client.delete(ME), 401)
    problem(await client.get(ERASURE, headers=student), 404, "erasure-not-found")
    wrong = problem(
        await client.request("DELETE", ME, json={"password": "wrong"}, headers=student),
        422,
        "invalid-input",
    )
    assert [e["field"] for e in wrong["errors"]] == ["password"]
    unknown = problem(
        await client.request("DELETE", ME, json={"pasword": PASSWORD}, headers=student), 400
    )
    assert unknown["errors"][0]["field"] == "pasword"
    problem(await client.request("DELETE", ME, json={"password": 7}, headers=student), 400)

    asked = await client.request("DELETE", ME, json={"password": PASSWORD}, headers=student)
    assert asked.status_code == 202, asked.text
    erasure = asked.json()
    assert erasure["status"] == "scheduled" and erasure["due_at"] > erasure["requested_at"]
    # Signed in moments ago: no password needed, and the same erasure answers.
    again = await client.delete(ME, headers=student)
    assert again.status_code == 202 and again.json()["id"] == erasure["id"]
    assert (await client.get(ERASURE, headers=student)).json()["id"] == erasure["id"]

    cancelled = await client.post(f"{ERASURE}/cancel", headers=student)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    problem(await client.post(f"{ERASURE}/cancel", headers=student), 404, "erasure-not-found")
    assert (await client.get(ME, headers=student)).status_code == 200


async def test_an_admin_erases_a_person_at_once_who_then_cannot_sign_in(
    client: Any, settings: Settings
) -> None:
    people = await _people(settings)
    admin = bearer(await login(client, "admin@privacy.test"))
    manager = bearer(await login(client, "manager@privacy.test"))
    student = bearer(await login(client, STUDENT))
    target = f"{USERS}/{people['student']}/erasure"

    problem(await client.post(target, json={"immediately": True}, headers=manager), 403)
    problem(await client.post(target, json={"immediately": "yes"}, headers=admin), 400)
    problem(await client.post(f"{USERS}/{uuid.uuid4()}/erasure", headers=admin), 404)

    done = await client.post(target, json={"immediately": True}, headers=admin)

    assert done.status_code == 202, done.text
    assert done.json()["status"] == "done"
    assert done.json()["summary"]["identity"]["accounts"] == 1
    problem(await client.get(ME, headers=student), 401)
    failed = await client.post("/api/v1/auth/login", json={"email": STUDENT, "password": PASSWORD})
    problem(failed, 401)
    problem(await client.post(target, headers=admin), 409, "already-erased")
    users = (await client.get(USERS, params={"status": "erased"}, headers=admin)).json()
    assert [u["id"] for u in users["items"]] == [str(people["student"])]
    assert STUDENT not in json.dumps(users)


async def _archive(client: Any, settings: Settings, address: str, export_id: str) -> Any:
    """The archive of a finished export (its email says it is ready), as an admin fetches it."""
    await mail_with_subject(settings, address, "ready")
    admin = bearer(await login(client, "admin@catalog.test"))
    download = await client.get(f"{EXPORTS}/{export_id}/archive", headers=admin)
    assert download.status_code == 200, download.text
    return zipfile.ZipFile(io.BytesIO(download.content))


async def test_what_the_catalog_holds_about_a_tutor_is_exported_and_erased(
    client: Any, settings: Settings
) -> None:
    """Courses taught (owned or co-taught) and their revisions, invitations sent and received,
    and the moves of the review workflow (a tutor's submission, a reviewer's decisions)."""
    await seed_people(settings)
    tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    tutor_id = (await client.get(ME, headers=tutor)).json()["id"]
    cotutor_id = (await client.get(ME, headers=cotutor)).json()["id"]
    manager_id = (await client.get(ME, headers=manager)).json()["id"]
    owned = await published_course(client, tutor, manager, title="Owned by the tutor")
    co_taught = await create_course(client, cotutor, title="Co-taught")
    await add_co_instructor(client, cotutor, co_taught["id"], tutor)
    invited_to = await create_course(client, cotutor, title="Invited to")
    received = await client.post(
        f"{COURSES}/{invited_to['id']}/invitations", json={"user_id": tutor_id}, headers=cotutor
    )
    sent = await client.post(
        f"{COURSES}/{owned['id']}/invitations", json={"user_id": cotutor_id}, headers=tutor
    )
    assert received.status_code == sent.status_code == 201, (received.text, sent.text)

    tutors_export = (await client.post(EXPORT, headers=tutor)).json()
    catalog = json.loads(
        (await _archive(client, settings, "tutor@catalog.test", tutors_export["id"])).read(
            "catalog.json"
        )
    )
    assert {(c["title"], c["role"]) for c in catalog["courses"]} == {
        ("Owned by the tutor", "owner"),
        ("Co-taught", "co_instructor"),
    }
    invitations = {i["id"]: i for i in catalog["co_instructor_invitations"]}
    assert invitations[sent.json()["id"]]["sent_by_you"] is True
    assert invitations[received.json()["id"]]["received_by_you"] is True
    assert len(invitations) == 3  # and the accepted one to co-teach
    assert [m["action"] for m in catalog["course_workflow_moves"]] == ["submit"]

    by_admin = await client.post(f"{USERS}/{manager_id}/export", headers=admin)
    assert by_admin.status_code == 202, by_admin.text
    managers = json.loads(
        (await _archive(client, settings, "manager@catalog.test", by_admin.json()["id"])).read(
            "catalog.json"
        )
    )
    assert [(m["course_id"], m["action"]) for m in managers["course_workflow_moves"]] == [
        (owned["id"], "approve"),
        (owned["id"], "publish"),
    ]
    assert managers["courses"] == []

    erased = await client.post(
        f"{USERS}/{tutor_id}/erasure", json={"immediately": True}, headers=admin
    )

    assert erased.status_code == 202, erased.text
    assert erased.json()["summary"]["catalog"] == {
        "invitations_withdrawn": 1,
        "invitations_declined": 1,
        "co_instructor_places_left": 1,
    }
    # The course students bought stays, under the pseudonym; the co-taught one lost them.
    still = await client.get(f"{COURSES}/{owned['id']}")
    assert still.status_code == 200, still.text
    (owner,) = still.json()["instructors"]
    assert owner["id"] == tutor_id and owner["name"].startswith("Erased user"), owner
    left = await client.get(f"{COURSES}/{co_taught['id']}", headers=cotutor)
    assert [p["id"] for p in left.json()["instructors"]] == [cotutor_id]
    mine = (await client.get("/api/v1/course-invitations/received", headers=cotutor)).json()
    assert mine["items"] == []  # only pending invitations are listed: it was withdrawn
    problem(
        await client.post(
            f"/api/v1/course-invitations/{sent.json()['id']}/accept", headers=cotutor
        ),
        409,
        "invitation-not-pending",
    )
