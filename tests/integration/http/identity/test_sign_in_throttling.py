"""Sign-in throttling that strangers cannot turn against the owner (issue 15, finding 3: ten
wrong passwords from ten addresses made the owner's right password answer 429 for 15 minutes,
and the per-address limit counted successful sign-ins, locking out a classroom behind NAT).

OWASP's device-cookie scheme: a successful sign-in gives the client a device token (in the
answer and as an HttpOnly cookie); failures from devices without one are limited per account,
so strangers lock out only other strangers; a known device presenting its token keeps working
(it has a failure budget of its own). The per-address limit counts failures only, IPv6 per /64.
Over HTTP on SQLite and PostgreSQL; the property over any sequence of strangers' failures,
on the in-memory and the Redis limiter, is in tests/unit/application/test_sign_in_throttle.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.identity import PASSWORD, bearer, problem, seed_accounts, token_from_mail

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

LOGIN = "/api/v1/auth/login"
OWNER = "owner@throttle.test"
PROXY = "10.1.2.3"
WRONG = "not the password at all"


def _behind_proxy(app: Any) -> Any:
    """Every request arrives from a trusted proxy that forwards the client's address."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "client": (PROXY, 40000)}
        await app(scope, receive, send)

    return asgi


@asynccontextmanager
async def signing_in(settings: Settings) -> AsyncIterator[Any]:
    async with AsyncTestClient(
        app=_behind_proxy(app_for(settings)), base_url="http://testserver.local"
    ) as client:
        yield client


def throttle_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "trusted_proxies": ["10.0.0.0/8"],
        "login_attempts_per_account": 5,
        "login_attempts_per_ip": 5,
    }
    values.update(overrides)
    return make_settings(tmp_path, database_url, **values)


async def attempt(
    client: Any,
    email: str,
    password: str,
    address: str,
    *,
    device_token: str | None = None,
    cookie: str | None = None,
) -> Any:
    body: dict[str, Any] = {"email": email, "password": password}
    if device_token is not None:
        body["device_token"] = device_token
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set("elearn_device", cookie)
    return await client.post(LOGIN, json=body, headers={"X-Forwarded-For": address})


async def known_device(client: Any, email: str = OWNER, address: str = "192.0.2.10") -> str:
    """Signs in once: the device token the answer carries (the cookie says the same)."""
    answer = await attempt(client, email, PASSWORD, address)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["device_token"]
    assert token and answer.cookies.get("elearn_device") == token
    return token


async def strangers_fail(client: Any, count: int, email: str = OWNER) -> None:
    for n in range(count):
        answer = await attempt(client, email, WRONG, f"198.51.100.{n + 1}")
        assert answer.status_code in (401, 429), answer.text


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return throttle_settings(tmp_path, database_url)


async def test_strangers_lock_out_strangers_but_not_the_owners_known_device(
    settings: Settings,
) -> None:
    await seed_accounts(settings, (OWNER, Role.STUDENT))
    async with signing_in(settings) as client:
        token = await known_device(client)
        await strangers_fail(client, 12)

        # An unknown device, even with the right password, waits: strangers used its budget.
        locked = await attempt(client, OWNER, PASSWORD, "203.0.113.50")
        assert int(problem(locked, 429, "rate-limited")["status"]) == 429
        assert int(locked.headers["retry-after"]) > 0

        # The owner's device signs in, by its cookie or by the token in the body.
        by_cookie = await attempt(client, OWNER, PASSWORD, "203.0.113.60", cookie=token)
        assert by_cookie.status_code == 200, by_cookie.text
        by_body = await attempt(client, OWNER, PASSWORD, "203.0.113.61", device_token=token)
        assert by_body.status_code == 200, by_body.text
        assert by_body.json()["device_token"]


async def test_the_cookie_is_httponly_strict_and_only_sent_to_sign_in(settings: Settings) -> None:
    await seed_accounts(settings, (OWNER, Role.STUDENT))
    async with signing_in(settings) as client:
        answer = await attempt(client, OWNER, PASSWORD, "192.0.2.10")
    header = answer.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header
    assert "path=/api/v1/auth/login" in header
    assert "max-age=" in header


async def test_a_forged_or_borrowed_device_token_counts_as_unknown(settings: Settings) -> None:
    await seed_accounts(settings, (OWNER, Role.STUDENT), ("mallory@throttle.test", Role.STUDENT))
    async with signing_in(settings) as client:
        owners = await known_device(client)
        mallorys = await known_device(client, "mallory@throttle.test", "203.0.113.9")
        await strangers_fail(client, 6)
        forged = owners[:-4] + ("AAAA" if not owners.endswith("AAAA") else "BBBB")
        for token in (forged, mallorys, "not-a-token"):
            answer = await attempt(client, OWNER, PASSWORD, "203.0.113.70", device_token=token)
            problem(answer, 429, "rate-limited")
        assert (await attempt(client, OWNER, PASSWORD, "203.0.113.71", cookie=owners)).is_success


async def test_a_known_device_has_its_own_budget_of_failures(
    tmp_path: Path, database_url: str
) -> None:
    settings = throttle_settings(tmp_path, database_url, login_attempts_per_device=3)
    await seed_accounts(settings, (OWNER, Role.STUDENT))
    async with signing_in(settings) as client:
        laptop = await known_device(client, address="192.0.2.10")
        phone = await known_device(client, address="192.0.2.11")
        for n in range(3):
            wrong = await attempt(client, OWNER, WRONG, f"192.0.2.{20 + n}", cookie=laptop)
            problem(wrong, 401, "invalid-credentials")
        # The laptop (or whoever took it) spent its three; the phone did not.
        problem(await attempt(client, OWNER, PASSWORD, "192.0.2.30", cookie=laptop), 429)
        assert (await attempt(client, OWNER, PASSWORD, "192.0.2.31", cookie=phone)).is_success


async def test_the_address_limit_counts_failures_only(settings: Settings) -> None:
    classroom = [f"pupil{n}@throttle.test" for n in range(8)]
    await seed_accounts(settings, *((email, Role.STUDENT) for email in classroom))
    async with signing_in(settings) as client:
        # Eight pupils behind one NAT address sign in, more than the limit of five: all pass.
        for email in classroom:
            answer = await attempt(client, email, PASSWORD, "203.0.113.1")
            assert answer.status_code == 200, answer.text
        # Five mistakes from that address (none repeating an account)...
        for email in classroom[:5]:
            problem(await attempt(client, email, WRONG, "203.0.113.1"), 401)
        # ...and the address waits, whoever signs in from it without a known device.
        problem(await attempt(client, classroom[5], PASSWORD, "203.0.113.1"), 429)
        # Another address does not.
        assert (await attempt(client, classroom[6], PASSWORD, "203.0.113.2")).is_success


async def test_ipv6_addresses_are_counted_per_64(settings: Settings) -> None:
    await seed_accounts(settings, ("ann@throttle.test", Role.STUDENT))
    async with signing_in(settings) as client:
        # Five addresses of one /64, each failing once for a different (unknown) account.
        for n in range(5):
            answer = await attempt(client, f"x{n}@throttle.test", WRONG, f"2001:db8:1:2::{n + 1}")
            problem(answer, 401)
        problem(await attempt(client, "ann@throttle.test", PASSWORD, "2001:db8:1:2:ffff::9"), 429)
        # The next /64 is another network.
        assert (await attempt(client, "ann@throttle.test", PASSWORD, "2001:db8:1:3::1")).is_success


NEW_PASSWORD = "a brand new passphrase"


async def test_a_password_reset_forgets_every_known_device(settings: Settings) -> None:
    """A thief who signed in (or copied the device cookie) keeps no trusted device once the
    owner resets the password; a device signed in afterwards is known again."""
    await seed_accounts(settings, (OWNER, Role.STUDENT))
    async with signing_in(settings) as client:
        thiefs = await known_device(client, address="203.0.113.66")
        asked = await client.post(
            "/api/v1/auth/password/forgot",
            json={"email": OWNER},
            headers={"X-Forwarded-For": "192.0.2.10"},
        )
        assert asked.status_code == 202, asked.text
        token = await token_from_mail(settings, OWNER, "reset")
        reset = await client.post(
            "/api/v1/auth/password/reset",
            json={"token": token, "new_password": NEW_PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.10"},
        )
        assert reset.status_code == 204, reset.text
        owners = (await attempt(client, OWNER, NEW_PASSWORD, "192.0.2.11")).json()["device_token"]
        await strangers_fail(client, 6)

        # The old device is a stranger now, even with the new password...
        problem(
            await attempt(client, OWNER, NEW_PASSWORD, "203.0.113.67", cookie=thiefs),
            429,
            "rate-limited",
        )
        # ...while the device that signed in after the reset is known.
        after = await attempt(client, OWNER, NEW_PASSWORD, "192.0.2.12", cookie=owners)
        assert after.status_code == 200, after.text


async def test_a_password_change_forgets_every_known_device(settings: Settings) -> None:
    await seed_accounts(settings, (OWNER, Role.STUDENT))
    async with signing_in(settings) as client:
        signed_in = await attempt(client, OWNER, PASSWORD, "192.0.2.10")
        old_device = signed_in.json()["device_token"]
        changed = await client.post(
            "/api/v1/auth/password/change",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers={**bearer(signed_in.json()), "X-Forwarded-For": "192.0.2.10"},
        )
        assert changed.status_code == 200, changed.text
        await strangers_fail(client, 6)
        problem(
            await attempt(client, OWNER, NEW_PASSWORD, "192.0.2.13", cookie=old_device),
            429,
            "rate-limited",
        )
