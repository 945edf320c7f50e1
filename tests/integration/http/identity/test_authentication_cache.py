"""Authentication keeps each account's session facts in the process (no database read per
request); every use case that changes them must reach the very next request, on SQLite and
PostgreSQL, in the process that made the change and, with Redis, in another API process.

Each test first makes a few requests with the token it watches, so the account is cached, and
then expects the change at once: no sleeps, no second try."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.billing import CHECKOUT
from tests.support.identity import (
    PASSWORD,
    bearer,
    login,
    problem,
    register_student,
    seed_accounts,
    token_from_mail,
)

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

ME = "/api/v1/me"
USERS = "/api/v1/admin/users"
TOP_UP = {"item": {"kind": "wallet_topup", "amount": 5000}}


@asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[Any]:
    """One API process: its own app and container (its own cache of accounts)."""
    async with AsyncTestClient(app=app_for(settings), base_url="http://testserver.local") as c:
        yield c


async def cached(client: Any, headers: dict[str, str], url: str = ME, status: int = 200) -> None:
    """Requests with the token until its account is surely in the process's cache."""
    for _ in range(2):
        assert (await client.get(url, headers=headers)).status_code == status


async def test_a_suspended_account_is_refused_at_once_and_a_reactivated_one_signs_in_again(
    client: Any, settings: Settings
) -> None:
    _, student_id = await seed_accounts(
        settings, ("admin@cache.test", Role.ADMIN), ("student@cache.test", Role.STUDENT)
    )
    admin = bearer(await login(client, "admin@cache.test"))
    student = bearer(await login(client, "student@cache.test"))
    await cached(client, student)

    suspended = await client.patch(f"{USERS}/{student_id}", json={"suspended": True}, headers=admin)

    assert suspended.status_code == 200, suspended.text
    problem(await client.get(ME, headers=student), 401, "invalid-token")
    await client.patch(f"{USERS}/{student_id}", json={"suspended": False}, headers=admin)
    problem(await client.get(ME, headers=student), 401, "invalid-token")  # its sessions ended
    again = bearer(await login(client, "student@cache.test"))
    assert (await client.get(ME, headers=again)).status_code == 200


async def test_a_demoted_admin_loses_the_staff_routes_at_once(
    client: Any, settings: Settings
) -> None:
    _, demoted_id = await seed_accounts(
        settings, ("first@cache.test", Role.ADMIN), ("second@cache.test", Role.ADMIN)
    )
    first = bearer(await login(client, "first@cache.test"))
    second = bearer(await login(client, "second@cache.test"))
    await cached(client, second, USERS)

    changed = await client.patch(f"{USERS}/{demoted_id}", json={"role": "student"}, headers=first)

    assert changed.status_code == 200, changed.text
    problem(await client.get(USERS, headers=second), 401, "invalid-token")
    as_student = bearer(await login(client, "second@cache.test"))
    problem(await client.get(USERS, headers=as_student), 403)


async def test_a_password_change_ends_the_other_sessions_at_once(
    client: Any, settings: Settings
) -> None:
    await seed_accounts(settings, ("student@cache.test", Role.STUDENT))
    phone = bearer(await login(client, "student@cache.test"))
    laptop = bearer(await login(client, "student@cache.test"))
    await cached(client, phone)

    changed = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "a new and longer passphrase 42"},
        headers=laptop,
    )

    assert changed.status_code == 200, changed.text
    problem(await client.get(ME, headers=phone), 401, "invalid-token")
    problem(await client.get(ME, headers=laptop), 401, "invalid-token")
    assert (await client.get(ME, headers=bearer(changed.json()))).status_code == 200


async def test_a_verified_address_counts_from_the_next_request(
    client: Any, settings: Settings
) -> None:
    await register_student(client, "new@cache.test")
    student = bearer(await login(client, "new@cache.test"))
    for _ in range(2):
        problem(
            await client.post(CHECKOUT, json=TOP_UP, headers=student), 403, "email-not-verified"
        )
    token = await token_from_mail(settings, "new@cache.test", "confirm")

    verified = await client.post("/api/v1/auth/verify-email", json={"token": token})

    assert verified.status_code in (200, 204), verified.text
    paying = await client.post(CHECKOUT, json=TOP_UP, headers=student)
    assert paying.status_code in (200, 201), paying.text


async def test_an_erased_account_is_refused_at_once(client: Any, settings: Settings) -> None:
    _, student_id = await seed_accounts(
        settings, ("admin@cache.test", Role.ADMIN), ("student@cache.test", Role.STUDENT)
    )
    admin = bearer(await login(client, "admin@cache.test"))
    student = bearer(await login(client, "student@cache.test"))
    await cached(client, student)

    erased = await client.post(
        f"{USERS}/{student_id}/erasure", json={"immediately": True}, headers=admin
    )

    assert erased.status_code == 202 and erased.json()["status"] == "done", erased.text
    problem(await client.get(ME, headers=student), 401, "invalid-token")


async def test_staff_may_use_their_powers_from_the_request_after_turning_on_two_factor(
    tmp_path: Path, database_url: str
) -> None:
    from tests.integration.http.identity.test_two_factor_over_http import enable_two_factor

    settings = make_settings(tmp_path, database_url, require_2fa_for_staff=True)
    await seed_accounts(settings, ("manager@cache.test", Role.MANAGER))
    async with api(settings) as client:
        session = await login(client, "manager@cache.test")
        for _ in range(2):
            problem(await client.get(USERS, headers=bearer(session)), 403)

        totp, _codes = await enable_two_factor(client, session)

        assert (await client.get(USERS, headers=bearer(session))).status_code == 200
        disabled = await client.post(
            "/api/v1/me/2fa/disable",
            json={"password": PASSWORD, "code": totp.now()},
            headers=bearer(session),
        )
        assert disabled.status_code in (200, 204), disabled.text
        problem(await client.get(USERS, headers=bearer(session)), 403)


async def test_with_redis_a_change_made_through_one_api_process_reaches_another_at_once(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_url=redis_url)
    _, student_id, tutor_id = await seed_accounts(
        settings,
        ("admin@cache.test", Role.ADMIN),
        ("student@cache.test", Role.STUDENT),
        ("tutor@cache.test", Role.TUTOR),
    )
    async with api(settings) as first, api(settings) as second:
        admin = bearer(await login(first, "admin@cache.test"))
        student = bearer(await login(second, "student@cache.test"))
        tutor = bearer(await login(second, "tutor@cache.test"))
        for watched in (student, tutor, admin):
            await cached(second, watched)
        await cached(first, student)

        await first.patch(f"{USERS}/{student_id}", json={"suspended": True}, headers=admin)
        await first.patch(f"{USERS}/{tutor_id}", json={"role": "student"}, headers=admin)

        problem(await second.get(ME, headers=student), 401, "invalid-token")
        problem(await second.get(ME, headers=tutor), 401, "invalid-token")
        # The process that made the change knows too, and the untouched admin still works.
        problem(await first.get(ME, headers=student), 401, "invalid-token")
        assert (await second.get(USERS, headers=admin)).status_code == 200
