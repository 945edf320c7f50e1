"""Issue 15, findings 5, 6, 12 and 13 re-run as the probe did: a stolen access token cannot
guess the current password without limit, an ended session takes its live access tokens with
it, nobody logs another person out, and registration does not tell who has an account."""

from __future__ import annotations

from typing import Any

from tests.support.identity import (
    PASSWORD,
    bearer,
    login,
    mail_with_subject,
    mails_to,
    problem,
    register_student,
)

from elearn.entrypoints.settings import Settings

ME = "/api/v1/me"
CHANGE = "/api/v1/auth/password/change"
LOGOUT = "/api/v1/auth/logout"
REFRESH = "/api/v1/auth/refresh"


# ---- finding 5: password change is rate-limited per account ------------------------------------
async def test_guessing_the_current_password_is_limited_per_account(client: Any) -> None:
    await register_student(client, "guessed@example.com")
    stolen = await login(client, "guessed@example.com")
    other_session = await login(client, "guessed@example.com")
    wrong = {"current_password": "a wrong guess at it", "new_password": "fresh and long enough"}
    statuses = [
        (await client.post(CHANGE, json=wrong, headers=bearer(stolen))).status_code
        for _ in range(10)
    ]
    assert statuses == [422] * 10
    limited = await client.post(CHANGE, json=wrong, headers=bearer(stolen))
    problem(limited, 429, "rate-limited")
    assert int(limited.headers["retry-after"]) > 0
    # The limit is the account's, whichever of its sessions asks; even the right password waits.
    right = {"current_password": PASSWORD, "new_password": "fresh and long enough"}
    problem(await client.post(CHANGE, json=right, headers=bearer(other_session)), 429)
    # Nothing changed: the old password still signs in.
    await login(client, "guessed@example.com")


async def test_another_accounts_guesses_do_not_limit_mine(client: Any) -> None:
    await register_student(client, "guesser@example.com")
    await register_student(client, "bystander@example.com")
    guesser = await login(client, "guesser@example.com")
    bystander = await login(client, "bystander@example.com")
    wrong = {"current_password": "a wrong guess at it", "new_password": "fresh and long enough"}
    for _ in range(11):
        await client.post(CHANGE, json=wrong, headers=bearer(guesser))
    right = {"current_password": PASSWORD, "new_password": "fresh and long enough"}
    changed = await client.post(CHANGE, json=right, headers=bearer(bystander))
    assert changed.status_code == 200, changed.text


# ---- finding 6: an ended session's access tokens stop at once ----------------------------------
async def test_refresh_reuse_ends_the_sessions_live_access_tokens(client: Any) -> None:
    await register_student(client, "leaked@example.com")
    first = await login(client, "leaked@example.com")
    untouched = await login(client, "leaked@example.com")
    rotated = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()
    assert (await client.get(ME, headers=bearer(rotated))).status_code == 200

    reused = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    problem(reused, 401, "invalid-refresh-token")
    for session in (first, rotated):
        problem(await client.get(ME, headers=bearer(session)), 401, "invalid-token")
    # Only that sign-in ended: another session of the account goes on.
    assert (await client.get(ME, headers=bearer(untouched))).status_code == 200


async def test_logout_ends_every_access_token_of_that_session(client: Any) -> None:
    await register_student(client, "twodevices@example.com")
    phone = await login(client, "twodevices@example.com")
    laptop = await login(client, "twodevices@example.com")
    phone_again = (
        await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    ).json()
    # The laptop signs the phone out (both are the owner's).
    out = await client.post(
        LOGOUT, json={"refresh_token": phone_again["refresh_token"]}, headers=bearer(laptop)
    )
    assert out.status_code == 204
    for session in (phone, phone_again):
        problem(await client.get(ME, headers=bearer(session)), 401, "invalid-token")
    assert (await client.get(ME, headers=bearer(laptop))).status_code == 200


# ---- finding 13: logout needs the caller's own refresh token -----------------------------------
async def test_another_persons_refresh_token_does_not_log_them_out(client: Any) -> None:
    await register_student(client, "victim@example.com")
    await register_student(client, "prober@example.com")
    victim = await login(client, "victim@example.com")
    prober = await login(client, "prober@example.com")

    refused = await client.post(
        LOGOUT, json={"refresh_token": victim["refresh_token"]}, headers=bearer(prober)
    )
    problem(refused, 403, "not-your-session")
    # Nothing was revoked: neither the victim's session nor the prober's own access token.
    assert (await client.get(ME, headers=bearer(victim))).status_code == 200
    assert (await client.get(ME, headers=bearer(prober))).status_code == 200
    rotated = await client.post(REFRESH, json={"refresh_token": victim["refresh_token"]})
    assert rotated.status_code == 200, rotated.text


async def test_logout_without_an_access_token_needs_the_sessions_current_refresh_token(
    client: Any,
) -> None:
    await register_student(client, "anon-out@example.com")
    session = await login(client, "anon-out@example.com")
    rotated = (await client.post(REFRESH, json={"refresh_token": session["refresh_token"]})).json()
    # An old token of the family proves nothing (and is not reuse: nothing is rotated).
    stale = await client.post(LOGOUT, json={"refresh_token": session["refresh_token"]})
    problem(stale, 401, "invalid-refresh-token")
    assert (await client.get(ME, headers=bearer(rotated))).status_code == 200
    # The current one is the session: holding it is enough to end it.
    out = await client.post(LOGOUT, json={"refresh_token": rotated["refresh_token"]})
    assert out.status_code == 204
    problem(await client.get(ME, headers=bearer(rotated)), 401, "invalid-token")
    problem(
        await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )


# ---- finding 12: registration does not tell who has an account ---------------------------------
REGISTER_STUDENT = "/api/v1/auth/register/student"


async def test_registering_a_taken_address_answers_as_a_new_one_and_tells_its_owner(
    client: Any, settings: Settings
) -> None:
    new = await client.post(
        REGISTER_STUDENT,
        json={"email": "owner@example.com", "password": PASSWORD, "full_name": "Owner"},
    )
    taken = await client.post(
        REGISTER_STUDENT,
        json={
            "email": "OWNER@example.com",
            "password": "somebody else's long secret",
            "full_name": "Somebody Else",
        },
    )
    assert new.status_code == taken.status_code == 202, taken.text
    assert new.json() == taken.json() == {"status": "accepted"}

    warning = await mail_with_subject(settings, "owner@example.com", "tried to register")
    text = warning.as_string()
    assert "Owner" in text and settings.front_end.login() in text
    assert "Somebody Else" not in text
    # The account is the owner's as before: their password signs in, the newcomer's does not.
    await login(client, "owner@example.com")
    wrong = await client.post(
        "/api/v1/auth/login",
        json={"email": "owner@example.com", "password": "somebody else's long secret"},
    )
    problem(wrong, 401, "invalid-credentials")


async def test_invalid_registrations_are_refused_alike_for_taken_and_new_addresses(
    client: Any,
) -> None:
    await register_student(client, "held@example.com")
    for address in ("held@example.com", "free@example.com"):
        weak = await client.post(
            REGISTER_STUDENT,
            json={"email": address, "password": "password1234", "full_name": "W"},
        )
        problem(weak, 422, "weak-password")
    login_free = await client.post(
        "/api/v1/auth/login", json={"email": "free@example.com", "password": "password1234"}
    )
    problem(login_free, 401)  # nothing was created for the refused one


async def test_repeated_registrations_of_a_taken_address_do_not_flood_its_inbox(
    client: Any, settings: Settings
) -> None:
    await register_student(client, "flooded@example.com")
    body = {"email": "flooded@example.com", "password": PASSWORD, "full_name": "F"}
    statuses = {(await client.post(REGISTER_STUDENT, json=body)).status_code for _ in range(8)}
    assert statuses == {202}
    warnings = [
        m
        for m in await mails_to(settings, "flooded@example.com", count=2 + 5)
        if "tried to register" in m["Subject"]
    ]
    assert len(warnings) == 5  # ELEARN_EMAILS_PER_ACCOUNT_PER_HOUR
