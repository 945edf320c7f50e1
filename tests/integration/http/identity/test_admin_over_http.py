"""Staff routes over HTTP, on SQLite and PostgreSQL: who may call them, what managers and admins
may each do, suspension, the users list (filters, cursors, limits) and the audit log."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pyotp
from tests.support.identity import (
    PASSWORD,
    PDF,
    bearer,
    login,
    problem,
    register_student,
    seed_accounts,
    token_from_mail,
)

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

USERS = "/api/v1/admin/users"
APPLICATIONS = "/api/v1/admin/tutor-applications"
AUDIT = "/api/v1/admin/audit-log"


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "request_id"}


async def test_staff_routes_refuse_everyone_else(client: Any, settings: Settings) -> None:
    admin_id, _, _, student_id = await seed_accounts(
        settings,
        ("admin@example.com", Role.ADMIN),
        ("manager@example.com", Role.MANAGER),
        ("tutor@example.com", Role.TUTOR),
        ("student@example.com", Role.STUDENT),
    )
    some_id = uuid.uuid4()
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", USERS, {}),
        ("GET", USERS, {"params": {"role": "admin"}}),
        ("PATCH", f"{USERS}/{admin_id}", {"json": {"role": "student"}}),
        ("PATCH", f"{USERS}/{student_id}", {"json": {"role": "admin"}}),
        ("GET", APPLICATIONS, {}),
        ("POST", f"{APPLICATIONS}/{some_id}/approve", {}),
        ("POST", f"{APPLICATIONS}/{some_id}/reject", {"json": {"reason": "no"}}),
        ("GET", AUDIT, {}),
    ]
    for address in ("student@example.com", "tutor@example.com"):
        session = await login(client, address)
        for method, url, options in calls:
            response = await client.request(method, url, headers=bearer(session), **options)
            problem(response, 403)
    for method, url, options in calls:
        response = await client.request(method, url, **options)
        problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    manager = await login(client, "manager@example.com")
    for url in (USERS, APPLICATIONS, AUDIT):
        assert (await client.get(url, headers=bearer(manager))).status_code == 200, url
    for change in ({"role": "admin"}, {"suspended": True}, {"role": "tutor"}):
        response = await client.patch(f"{USERS}/{student_id}", json=change, headers=bearer(manager))
        problem(response, 403)

    admin = await login(client, "admin@example.com")
    for change in ({"role": "student"}, {"suspended": True}, {"role": "admin"}):
        problem(await client.patch(f"{USERS}/{admin_id}", json=change, headers=bearer(admin)), 403)
    for change, status in [
        ({"role": "root"}, 400),
        ({"suspended": "yes"}, 400),
        ({"email_verified": True}, 400),
        ({"status": "active"}, 400),
    ]:
        response = await client.patch(f"{USERS}/{student_id}", json=change, headers=bearer(admin))
        problem(response, status)
    problem(
        await client.patch(f"{USERS}/{some_id}", json={"suspended": True}, headers=bearer(admin)),
        404,
    )
    me = (await client.get("/api/v1/me", headers=bearer(admin))).json()
    assert me["role"] == "admin" and me["status"] == "active"


async def test_suspended_accounts_cannot_sign_in_until_reactivated(
    client: Any, settings: Settings
) -> None:
    [_, student_id] = await seed_accounts(
        settings, ("admin@example.com", Role.ADMIN), ("paused@example.com", Role.STUDENT)
    )
    admin = await login(client, "admin@example.com")
    target = f"{USERS}/{student_id}"

    suspended = await client.patch(target, json={"suspended": True}, headers=bearer(admin))
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    problem(await client.patch(target, json={"suspended": True}, headers=bearer(admin)), 409)

    right = await client.post(
        "/api/v1/auth/login", json={"email": "paused@example.com", "password": PASSWORD}
    )
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": "paused@example.com", "password": "not the password"}
    )
    problem(right, 401, "invalid-credentials")
    assert without_request_id(right.json()) == without_request_id(wrong.json())
    forgot = await client.post("/api/v1/auth/password/forgot", json={"email": "paused@example.com"})
    assert forgot.status_code == 202

    listed = await client.get(USERS, params={"status": "suspended"}, headers=bearer(admin))
    assert [user["id"] for user in listed.json()["items"]] == [str(student_id)]

    reactivated = await client.patch(target, json={"suspended": False}, headers=bearer(admin))
    assert reactivated.status_code == 200 and reactivated.json()["status"] == "active"
    problem(await client.patch(target, json={"suspended": False}, headers=bearer(admin)), 409)
    session = await login(client, "paused@example.com")
    assert (await client.get("/api/v1/me", headers=bearer(session))).status_code == 200


async def _all_pages(client: Any, admin: dict[str, Any], **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(USERS, params=query, headers=bearer(admin))
        assert response.status_code == 200, response.text
        pages.append([user["email"] for user in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 10


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


async def test_users_list_filters_and_pages(client: Any, settings: Settings) -> None:
    students = [f"learner{n}@example.com" for n in range(6)]
    await seed_accounts(
        settings,
        ("admin@example.com", Role.ADMIN),
        ("teacher@example.com", Role.TUTOR),
        *((address, Role.STUDENT) for address in students),
    )
    await register_student(client, "Unverified.Person@example.com")
    admin = await login(client, "admin@example.com")

    pages = await _all_pages(client, admin, limit=3)
    assert [len(page) for page in pages] == [3, 3, 3]
    everyone = [email for page in pages for email in page]
    assert len(set(everyone)) == len(everyone) == 9
    assert everyone[0] == "unverified.person@example.com"  # newest first
    assert everyone[-1] == "admin@example.com"

    by_role = await _all_pages(client, admin, role="student", limit=4)
    assert [len(page) for page in by_role] == [4, 3]
    assert sorted(e for page in by_role for e in page) == sorted(
        [*students, "unverified.person@example.com"]
    )
    assert await _all_pages(client, admin, role="tutor") == [["teacher@example.com"]]
    assert await _all_pages(client, admin, email_verified="false") == [
        ["unverified.person@example.com"]
    ]
    assert len((await _all_pages(client, admin, email_verified="true"))[0]) == 8
    assert await _all_pages(client, admin, search="UNVERIFIED.p") == [
        ["unverified.person@example.com"]
    ]
    assert await _all_pages(client, admin, search="learner3") == [["learner3@example.com"]]
    # `q`, as every searchable list names it (`search` was its first name, and still works).
    assert await _all_pages(client, admin, q="learner3") == [["learner3@example.com"]]
    assert await _all_pages(client, admin, search="%") == [[]]
    assert await _all_pages(client, admin, search="_") == [[]]
    assert await _all_pages(client, admin, status="suspended") == [[]]
    combined = await _all_pages(client, admin, role="student", email_verified="true", search="1")
    assert combined == [["learner1@example.com"]]

    for params in [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"role": "emperor"},
        {"status": "gone"},
        {"email_verified": "perhaps"},
        {"search": "x" * 101},
        {"q": "x" * 101},
        {"cursor": "c" * 201},
    ]:
        problem(await client.get(USERS, params=params, headers=bearer(admin)), 400)
    for cursor in [
        "not a cursor!",
        "%%%",
        "abc",
        _cursor("yesterday", str(uuid.uuid4())),
        _cursor("2024-01-01T00:00:00", str(uuid.uuid4())),  # no offset
        _cursor("2024-01-01T00:00:00+00:00", "not-a-uuid"),
        _cursor("2024-01-01T00:00:00+00:00"),
        _cursor(1, 2),
        _cursor({"a": 1}, None),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        base64.urlsafe_b64encode(b'{"at": 1, "id": 2}').decode(),
    ]:
        response = await client.get(USERS, params={"cursor": cursor}, headers=bearer(admin))
        body = problem(response, 400, "invalid-parameter")
        assert body["errors"][0]["field"] == "cursor"
    # Instants that leave datetime's range once in UTC.
    for instant in ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]:
        response = await client.get(
            USERS, params={"cursor": _cursor(instant, str(uuid.uuid4()))}, headers=bearer(admin)
        )
        problem(response, 400, "invalid-parameter")
    # Well-formed cursors at the edges of time are no error: an empty page or a full one.
    for instant, count in [("0001-01-01T00:00:00+00:00", 0), ("9999-12-31T23:59:59+00:00", 9)]:
        response = await client.get(
            USERS, params={"cursor": _cursor(instant, str(uuid.uuid4()))}, headers=bearer(admin)
        )
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == count


async def test_the_audit_log_tells_what_happened(client: Any, settings: Settings) -> None:
    [admin_id] = await seed_accounts(settings, ("admin@example.com", Role.ADMIN))
    since = {"since": datetime.now(UTC).isoformat()}  # after whatever seeding recorded
    address = "audited@example.com"
    await register_student(client, address)
    token = await token_from_mail(settings, address, "confirm")
    assert (
        await client.post("/api/v1/auth/verify-email", json={"token": token})
    ).status_code == 204
    failed = await client.post(
        "/api/v1/auth/login", json={"email": address, "password": "not the password"}
    )
    assert failed.status_code == 401
    first = await login(client, address)
    user_id = (await client.get("/api/v1/me", headers=bearer(first))).json()["id"]
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401 and second["refresh_token"]
    await client.post("/api/v1/auth/password/forgot", json={"email": address})
    reset_token = await token_from_mail(settings, address, "reset")
    reset = await client.post(
        "/api/v1/auth/password/reset",
        json={"token": reset_token, "new_password": "another long unusual secret"},
    )
    assert reset.status_code == 204
    session = await login(client, address, password="another long unusual secret")
    setup = (await client.post("/api/v1/me/2fa/setup", headers=bearer(session))).json()
    totp = pyotp.TOTP(setup["secret"])
    confirmed = await client.post(
        "/api/v1/me/2fa/confirm",
        json={"code": totp.at(time.time() - 30)},
        headers=bearer(session),
    )
    assert confirmed.status_code == 200, confirmed.text
    applied = await client.post(
        "/api/v1/me/tutor-application",
        data={"headline": "History", "subjects": "history"},
        files={"cv": ("cv.pdf", PDF, "application/pdf"), "certificate": ("c.pdf", PDF, "x/y")},
        headers=bearer(session),
    )
    assert applied.status_code == 201, applied.text
    admin = await login(client, "admin@example.com")
    approved = await client.post(
        f"{APPLICATIONS}/{applied.json()['application_id']}/approve", headers=bearer(admin)
    )
    assert approved.status_code == 200
    suspended = await client.patch(
        f"{USERS}/{user_id}", json={"suspended": True}, headers=bearer(admin)
    )
    assert suspended.status_code == 200

    log = await client.get(AUDIT, params={"limit": 100, **since}, headers=bearer(admin))
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert log.json()["next_cursor"] is None
    instants = [entry["at"] for entry in entries]
    assert instants == sorted(instants, reverse=True)  # newest first
    actions = [entry["action"] for entry in reversed(entries)]  # oldest first
    expected = [
        "user.registered",
        "user.email_verified",
        "auth.login_failed",
        "auth.login_succeeded",
        "auth.refresh_reuse_detected",
        "auth.password_reset",
        "auth.login_succeeded",
        "auth.2fa_enabled",
        "tutor.applied",
        "auth.login_succeeded",  # the admin
        "tutor.approved",
        "user.suspended",
    ]
    assert actions == expected, actions
    for entry in entries:
        assert entry["ip"] == "testclient" and entry["user_agent"] == "testclient", entry
    by_action = {entry["action"]: entry for entry in entries}
    assert by_action["auth.login_failed"]["details"] == {"reason": "wrong_password"}
    assert by_action["auth.login_failed"]["target_id"] == user_id
    assert by_action["user.suspended"]["actor_id"] == str(admin_id)
    assert by_action["user.suspended"]["target_id"] == user_id
    assert by_action["tutor.approved"]["actor_id"] == str(admin_id)

    only = await client.get(
        AUDIT, params={"action": "auth.login_succeeded", **since}, headers=bearer(admin)
    )
    assert [e["action"] for e in only.json()["items"]] == ["auth.login_succeeded"] * 3
    mine = await client.get(
        AUDIT, params={"actor_id": str(admin_id), **since}, headers=bearer(admin)
    )
    assert [e["action"] for e in mine.json()["items"]] == [
        "user.suspended",
        "tutor.approved",
        "auth.login_succeeded",
    ]
    theirs = await client.get(
        AUDIT, params={"actor_id": user_id, "action": "auth.2fa_enabled"}, headers=bearer(admin)
    )
    assert len(theirs.json()["items"]) == 1
    targeted = await client.get(
        AUDIT, params={"target_id": user_id, "limit": 2}, headers=bearer(admin)
    )
    assert len(targeted.json()["items"]) == 2 and targeted.json()["next_cursor"]
    following = await client.get(
        AUDIT,
        params={"target_id": user_id, "limit": 2, "cursor": targeted.json()["next_cursor"]},
        headers=bearer(admin),
    )
    assert following.status_code == 200
    assert not {e["id"] for e in following.json()["items"]} & {
        e["id"] for e in targeted.json()["items"]
    }

    for params in [
        {"action": "user.exploded"},
        {"actor_id": "me"},
        {"since": "yesterday"},
        {"limit": 0},
        {"limit": 101},
    ]:
        problem(await client.get(AUDIT, params=params, headers=bearer(admin)), 400)
    empty_range = {"since": "2024-01-02T00:00:00Z", "until": "2024-01-01T00:00:00Z"}
    problem(await client.get(AUDIT, params=empty_range, headers=bearer(admin)), 422)
    problem(await client.get(AUDIT, params={"cursor": "garbage"}, headers=bearer(admin)), 400)
