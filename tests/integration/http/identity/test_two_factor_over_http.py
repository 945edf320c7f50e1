"""Two-factor sign-in over HTTP, on SQLite and PostgreSQL: setup, confirmation, sign-in with a
code, replay, recovery codes and turning it off."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
from tests.support.identity import (
    PASSWORD,
    bearer,
    login,
    problem,
    register_student,
)

LOGIN = "/api/v1/auth/login"


def wrong_code(totp: pyotp.TOTP) -> str:
    """A six-digit code valid in no step the server accepts (now, and one either side)."""
    now = time.time()
    taken = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in taken)


def previous_step(totp: pyotp.TOTP) -> str:
    """The code of the step before this one: still accepted (clock drift), and it leaves the
    current step unused, so no test has to wait for the next one."""
    return totp.at(time.time() - totp.interval)


async def enable_two_factor(client: Any, session: dict[str, Any]) -> tuple[pyotp.TOTP, list[str]]:
    setup = await client.post("/api/v1/me/2fa/setup", headers=bearer(session))
    assert setup.status_code == 200, setup.text
    totp = pyotp.TOTP(setup.json()["secret"])
    confirmed = await client.post(
        "/api/v1/me/2fa/confirm", json={"code": previous_step(totp)}, headers=bearer(session)
    )
    assert confirmed.status_code == 200, confirmed.text
    return totp, confirmed.json()["codes"]


async def test_two_factor_setup_and_confirmation(client: Any) -> None:
    await register_student(client, "otp@example.com")
    session = await login(client, "otp@example.com")
    me = "/api/v1/me"

    # Nothing to confirm before a setup.
    early = await client.post(
        "/api/v1/me/2fa/confirm", json={"code": "123456"}, headers=bearer(session)
    )
    problem(early, 409)

    setup = await client.post("/api/v1/me/2fa/setup", headers=bearer(session))
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    uri = urlparse(setup.json()["provisioning_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [secret]
    assert "otp%40example.com" in uri.path or "otp@example.com" in uri.path
    totp = pyotp.TOTP(secret)
    # Set up but not confirmed: sign-in still needs only the password.
    assert (await client.get(me, headers=bearer(session))).json()["two_factor_enabled"] is False
    await login(client, "otp@example.com")

    for code, status in [(wrong_code(totp), 422), ("12345", 400), ("abcdef", 422)]:
        refused = await client.post(
            "/api/v1/me/2fa/confirm", json={"code": code}, headers=bearer(session)
        )
        problem(refused, status)
    assert (await client.get(me, headers=bearer(session))).json()["two_factor_enabled"] is False

    confirmed = await client.post(
        "/api/v1/me/2fa/confirm", json={"code": previous_step(totp)}, headers=bearer(session)
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert (await client.get(me, headers=bearer(session))).json()["two_factor_enabled"] is True
    # Confirming twice, or starting over while it is on, is refused.
    again = await client.post(
        "/api/v1/me/2fa/confirm", json={"code": totp.now()}, headers=bearer(session)
    )
    problem(again, 409)
    anonymous = await client.post("/api/v1/me/2fa/setup")
    problem(anonymous, 401)


async def test_sign_in_with_two_factor(client: Any) -> None:
    await register_student(client, "second@example.com")
    session = await login(client, "second@example.com")
    totp, recovery = await enable_two_factor(client, session)
    credentials = {"email": "second@example.com", "password": PASSWORD}

    problem(await client.post(LOGIN, json=credentials), 401, "otp-required")
    problem(await client.post(LOGIN, json={**credentials, "otp": wrong_code(totp)}), 401)
    # A wrong password with a right code tells nothing about the code.
    wrong_password = await client.post(
        LOGIN, json={"email": "second@example.com", "password": "not it at all", "otp": totp.now()}
    )
    problem(wrong_password, 401, "invalid-credentials")

    # The current code works once; the same code again is a replay.
    code = totp.now()
    signed_in = await client.post(LOGIN, json={**credentials, "otp": code})
    assert signed_in.status_code == 200, signed_in.text
    replayed = await client.post(LOGIN, json={**credentials, "otp": code})
    problem(replayed, 401)

    # A recovery code works once, in any spelling.
    first = recovery[0]
    spelled = first.upper().replace("-", " ")
    assert (await client.post(LOGIN, json={**credentials, "otp": spelled})).status_code == 200
    problem(await client.post(LOGIN, json={**credentials, "otp": first}), 401)
    assert (await client.post(LOGIN, json={**credentials, "otp": recovery[1]})).status_code == 200


async def test_disabling_two_factor_needs_password_and_code(client: Any) -> None:
    await register_student(client, "off@example.com")
    session = await login(client, "off@example.com")
    _, recovery = await enable_two_factor(client, session)
    disable = "/api/v1/me/2fa/disable"

    problem(
        await client.post(
            disable,
            json={"password": "not the password", "code": recovery[0]},
            headers=bearer(session),
        ),
        422,
    )
    problem(
        await client.post(
            disable, json={"password": PASSWORD, "code": "000000"}, headers=bearer(session)
        ),
        422,
    )
    problem(await client.post(disable, json={"password": PASSWORD}, headers=bearer(session)), 400)
    problem(await client.post(disable, json={"password": PASSWORD, "code": recovery[0]}), 401)

    done = await client.post(
        disable, json={"password": PASSWORD, "code": recovery[0]}, headers=bearer(session)
    )
    assert done.status_code == 204, done.text
    assert (await client.get("/api/v1/me", headers=bearer(session))).json()[
        "two_factor_enabled"
    ] is False
    await login(client, "off@example.com")  # the password alone again
    problem(
        await client.post(
            disable, json={"password": PASSWORD, "code": recovery[1]}, headers=bearer(session)
        ),
        409,
    )
