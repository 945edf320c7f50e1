"""Where the platform asks staff for a second factor, every staff power asks for it, on SQLite and
PostgreSQL: staff who had slipped past it (reading someone else's booking or order, completing a
lesson or reporting a no-show for someone else) and a refund are refused until they turn
two-factor sign-in on, and allowed once they have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    BERLIN,
    BOOKINGS,
    at,
    book_and_pay,
    get_booking,
    make_tutor,
    next_weekday,
    served,
    top_up,
    tutoring_settings,
    user_id,
)
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import bearer, login, problem

from elearn.entrypoints.settings import Settings

TWO_FACTOR_REQUIRED = "two-factor-required"


async def turn_on_two_factor(client: Any, clock: FixedClock, name: str) -> dict[str, str]:
    """Sets up and confirms two-factor sign-in on the app's clock; answers the headers of a
    session signed in with a second factor."""
    headers = await headers_of(client, name)
    setup = await client.post("/api/v1/me/2fa/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    totp = pyotp.TOTP(setup.json()["secret"])
    confirmed = await client.post(
        "/api/v1/me/2fa/confirm",
        json={"code": totp.at(clock.now() - timedelta(seconds=totp.interval))},
        headers=headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    session = await login(client, f"{name}@catalog.test", otp=totp.at(clock.now()))
    return bearer(session)


async def test_staff_without_a_second_factor_are_refused_every_staff_power(
    settings: Settings,
) -> None:
    settings = tutoring_settings(settings, require_2fa_for_staff=True)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock) as (client, _container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor)
        monday = next_weekday(clock.now(), 0, days_ahead=2, zone=BERLIN)
        lesson = await book_and_pay(client, student, tutor_id, at(monday, "10:00"))
        missed = await book_and_pay(client, student, tutor_id, at(monday, "11:00"))
        await top_up(client, student, 5000)
        top_up_order = (await client.get("/api/v1/me/orders", headers=student)).json()["items"]
        top_up_id = next(o["id"] for o in top_up_order if o["kind"] == "wallet_topup")

        # Both lessons are over; everyone signs in again on the moved clock.
        clock.set(at(monday, "14:00"))
        student = await headers_of(client, "student")
        manager = await headers_of(client, "manager")
        admin = await headers_of(client, "admin")

        refusals = [
            await client.get(f"{BOOKINGS}/{lesson['id']}", headers=manager),
            await client.post(f"{BOOKINGS}/{lesson['id']}/complete", headers=manager),
            await client.post(
                f"{BOOKINGS}/{missed['id']}/no-show", json={"who": "tutor"}, headers=manager
            ),
            await client.get(f"/api/v1/me/orders/{lesson['order_id']}", headers=admin),
            await client.post(
                f"/api/v1/admin/payments/{top_up_id}/refund",
                json={"reason": "asked for it back"},
                headers=admin,
            ),
        ]
        for refused in refusals:
            problem(refused, 403, TWO_FACTOR_REQUIRED)
        assert (await get_booking(client, student, lesson["id"]))["status"] == "confirmed"
        assert (await get_booking(client, student, missed["id"]))["status"] == "confirmed"

        manager = await turn_on_two_factor(client, clock, "manager")
        admin = await turn_on_two_factor(client, clock, "admin")

        seen = await client.get(f"{BOOKINGS}/{lesson['id']}", headers=manager)
        assert seen.status_code == 200, seen.text
        completed = await client.post(f"{BOOKINGS}/{lesson['id']}/complete", headers=manager)
        assert completed.status_code == 200, completed.text
        assert completed.json()["status"] == "completed"
        reported = await client.post(
            f"{BOOKINGS}/{missed['id']}/no-show", json={"who": "tutor"}, headers=manager
        )
        assert reported.status_code == 200, reported.text
        assert reported.json()["status"] == "no_show_tutor"
        order = await client.get(f"/api/v1/me/orders/{lesson['order_id']}", headers=admin)
        assert order.status_code == 200, order.text
        refund = await client.post(
            f"/api/v1/admin/payments/{top_up_id}/refund",
            json={"reason": "asked for it back"},
            headers=admin,
        )
        assert refund.status_code == 201, refund.text


async def test_without_the_setting_staff_act_without_a_second_factor(settings: Settings) -> None:
    settings = tutoring_settings(settings)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock) as (client, _container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        tutor_id = await user_id(client, tutor)
        await make_tutor(client, tutor)
        monday = next_weekday(clock.now(), 0, days_ahead=2, zone=BERLIN)
        lesson = await book_and_pay(client, student, tutor_id, at(monday, "10:00"))
        clock.set(at(monday, "14:00"))
        manager = await headers_of(client, "manager")
        admin = await headers_of(client, "admin")

        assert (await get_booking(client, manager, lesson["id"]))["id"] == lesson["id"]
        completed = await client.post(f"{BOOKINGS}/{lesson['id']}/complete", headers=manager)
        assert completed.status_code == 200, completed.text
        order = await client.get(f"/api/v1/me/orders/{lesson['order_id']}", headers=admin)
        assert order.status_code == 200, order.text
        # Others are still told the booking is not there.
        other = await headers_of(client, "cotutor")
        problem(await client.get(f"{BOOKINGS}/{lesson['id']}", headers=other), 404)
