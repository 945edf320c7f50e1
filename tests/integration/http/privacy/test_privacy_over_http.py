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

from tests.support.identity import PASSWORD, bearer, login, mails_to, problem, seed_accounts

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
