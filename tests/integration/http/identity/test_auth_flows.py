"""Registration, verification, sessions and passwords over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.identity import (
    PASSWORD,
    bearer,
    login,
    mails_to,
    register_student,
    token_from_mail,
)

from elearn.entrypoints.settings import Settings

ME = "/api/v1/me"


async def test_register_verify_login_refresh_logout(client: Any, settings: Settings) -> None:
    created = await register_student(client, "  Ada@Example.com ")
    assert created["email"] == "ada@example.com"
    assert created["role"] == "student"

    token = await token_from_mail(settings, "ada@example.com", "confirm")
    verified = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 204
    again = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 422 and again.json()["code"] == "invalid-token"

    session = await login(client, "ADA@example.com")
    assert session["token_type"] == "bearer" and session["expires_in"] == 900
    # The answer carries the account, exactly as /me shows it to the new session.
    me = await client.get(ME, headers=bearer(session))
    assert me.status_code == 200
    assert session["user"] == me.json()
    assert session["user"]["email"] == "ada@example.com" and session["user"]["email_verified"]
    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != session["refresh_token"]

    out = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": new["refresh_token"]}, headers=bearer(new)
    )
    assert out.status_code == 204
    refused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]}
    )
    assert refused.status_code == 401 and refused.json()["code"] == "invalid-refresh-token"


async def test_a_taken_email_answers_409_whatever_its_case(client: Any) -> None:
    await register_student(client, "taken@example.com")
    response = await client.post(
        "/api/v1/auth/register/student",
        json={"email": "TAKEN@example.com", "password": PASSWORD, "full_name": "Other"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email-taken"


async def test_weak_passwords_are_refused_with_reasons(client: Any) -> None:
    for password, reason in [
        ("short", "at least 10"),
        ("password1234", "most common"),
        ("my name is carol.smith!", "name of your email"),
    ]:
        response = await client.post(
            "/api/v1/auth/register/student",
            json={"email": "carol.smith@example.com", "password": password, "full_name": "C"},
        )
        assert response.status_code == 422, password
        assert response.json()["code"] == "weak-password"
        assert reason in response.json()["detail"]


async def test_self_service_cannot_set_role_or_verification(client: Any) -> None:
    for field, value in [
        ("role", "admin"),
        ("email_verified", True),
        ("tutor_approval", "approved"),
    ]:
        response = await client.post(
            "/api/v1/auth/register/student",
            json={
                "email": "sneaky@example.com",
                "password": PASSWORD,
                "full_name": "S",
                field: value,
            },
        )
        assert response.status_code == 400
        assert field in {e["field"] for e in response.json()["errors"]}


async def test_wrong_password_and_unknown_email_answer_identically(client: Any) -> None:
    await register_student(client, "known@example.com")
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": "known@example.com", "password": "not the password"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(wrong.json()) == strip(unknown.json())


async def test_reusing_a_rotated_refresh_token_ends_the_whole_session(client: Any) -> None:
    await register_student(client, "reuse@example.com")
    first = await login(client, "reuse@example.com")
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    stolen = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert stolen.status_code == 401
    # The legitimate holder's newer token is revoked too.
    after = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert after.status_code == 401


async def test_two_refreshes_racing_with_one_token_give_one_success(client: Any) -> None:
    await register_student(client, "race@example.com")
    session = await login(client, "race@example.com")
    results = await asyncio.gather(
        *(
            client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in results) == [200, 401]


async def test_access_token_refused_after_logout(client: Any) -> None:
    await register_student(client, "bye@example.com")
    session = await login(client, "bye@example.com")
    assert (await client.get(ME, headers=bearer(session))).status_code == 200
    await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": session["refresh_token"]},
        headers=bearer(session),
    )
    refused = await client.get(ME, headers=bearer(session))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


async def test_forgot_and_reset_password_end_to_end(client: Any, settings: Settings) -> None:
    await register_student(client, "reset@example.com")
    old_session = await login(client, "reset@example.com")
    unknown = await client.post("/api/v1/auth/password/forgot", json={"email": "ghost@example.com"})
    asked = await client.post("/api/v1/auth/password/forgot", json={"email": "reset@example.com"})
    assert unknown.status_code == asked.status_code == 202
    assert unknown.json() == asked.json()

    token = await token_from_mail(settings, "reset@example.com", "reset")
    wrong_purpose = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert wrong_purpose.status_code == 422
    reset = await client.post(
        "/api/v1/auth/password/reset",
        json={"token": token, "new_password": "brand new secret words"},
    )
    assert reset.status_code == 204
    used = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": "another new secret"}
    )
    assert used.status_code == 422

    assert (await client.get(ME, headers=bearer(old_session))).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": old_session["refresh_token"]}
    )
    assert refresh.status_code == 401
    await login(client, "reset@example.com", password="brand new secret words")


async def test_a_newer_verification_link_supersedes_the_older(
    client: Any, settings: Settings
) -> None:
    await register_student(client, "twice@example.com")
    first = await token_from_mail(settings, "twice@example.com", "confirm")
    assert (
        await client.post("/api/v1/auth/verify-email/resend", json={"email": "twice@example.com"})
    ).status_code == 202
    second = await token_from_mail(settings, "twice@example.com", "confirm", nth=2)
    assert (
        await client.post("/api/v1/auth/verify-email", json={"token": first})
    ).status_code == 422
    assert (
        await client.post("/api/v1/auth/verify-email", json={"token": second})
    ).status_code == 204


async def test_forged_tokens_are_refused(client: Any) -> None:
    for token in ["x", "0" * 43, "a" * 512]:
        response = await client.post("/api/v1/auth/verify-email", json={"token": token})
        assert response.status_code == 422
    for refresh in ["nonsense", "0" * 32 + ".abc", "g" * 32 + ".abc"]:
        response = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
        assert response.status_code == 401


async def test_change_password_ends_other_sessions(client: Any) -> None:
    await register_student(client, "change@example.com")
    other = await login(client, "change@example.com")
    mine = await login(client, "change@example.com")
    wrong = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "not it at all", "new_password": "fresh and long enough"},
        headers=bearer(mine),
    )
    assert wrong.status_code == 422
    changed = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "fresh and long enough"},
        headers=bearer(mine),
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(ME, headers=bearer(other))).status_code == 401
    assert (await client.get(ME, headers=bearer(mine))).status_code == 401
    assert (await client.get(ME, headers=bearer(changed.json()))).status_code == 200


async def test_login_is_rate_limited_per_account_with_retry_after(client: Any) -> None:
    await register_student(client, "limited@example.com")
    statuses = []
    for _ in range(12):
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": "limited@example.com", "password": "wrong password"},
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert int(response.headers["retry-after"]) > 0


async def test_mails_are_sent_by_the_worker(client: Any, settings: Settings) -> None:
    await register_student(client, "mailme@example.com")
    messages = await mails_to(settings, "mailme@example.com", count=2)
    subjects = sorted(m["Subject"] for m in messages)
    assert any("Confirm" in s for s in subjects)


async def test_reset_and_verification_emails_are_limited_per_account_alike_for_unknown_ones(
    client: Any,
) -> None:
    await register_student(client, "often@example.com")
    for address in ("often@example.com", "nobody-at-all@example.com"):
        for route in ("/api/v1/auth/password/forgot", "/api/v1/auth/verify-email/resend"):
            statuses = [
                (await client.post(route, json={"email": address})).status_code for _ in range(6)
            ]
            assert statuses == [202] * 5 + [429], (address, route)
            last = await client.post(route, json={"email": address})
            assert last.status_code == 429
            assert last.json()["code"] == "rate-limited"
            assert int(last.headers["retry-after"]) > 0
