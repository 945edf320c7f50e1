"""The billing journey as a new user tries it on the embedded default (sandbox payments,
in-process worker): buy by card, top up, buy with credits, earnings clear, withdraw, get paid
out, refund; the books balance at every step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tests.support.apps import app_for
from tests.support.billing import (
    CHECKOUT,
    balance_of,
    books_balance,
    paid_course,
    pay_by_sandbox_card,
)
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import mails_to, problem, text_of

from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


async def receipts(settings: Settings, address: str, count: int) -> dict[str, str]:
    """The receipts mailed to ``address`` once there are ``count``: subject to text."""
    for _ in range(300):
        found = {
            message["Subject"]: text_of(message)
            for message in await mails_to(settings, address, count=0)
            if message["Subject"].startswith("Your receipt")
        }
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(found)} receipts to {address}, expected {count}")


async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def test_buy_top_up_spend_earn_withdraw_refund(settings: Settings) -> None:
    await seed_people(settings)
    clock = MovableClock(datetime.now(UTC))
    container = bootstrap(settings, overrides={"clock": clock})
    app = app_for(settings, container=container)
    try:
        # Served on this loop (the container's engine belongs to it), background worker and all.
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as client,
        ):
            await _journey(client, container, clock)
    finally:
        await container.dispose()


async def _journey(client: Any, container: Any, clock: MovableClock) -> None:
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student = await headers_of(client, "student")
    tutor_id = await user_id(client, tutor)
    student_id = await user_id(client, student)
    physics = await paid_course(client, tutor, manager, 4900, title="Physics")
    chemistry = await paid_course(client, tutor, manager, 2000, title="Chemistry")

    # A paid course cannot be enrolled in for free: 402 points at checkout.
    response = await client.post(f"/api/v1/courses/{physics['id']}/enroll", headers=student)
    assert problem(response, 402)["checkout"]["item"] == {
        "kind": "course",
        "course_id": physics["id"],
    }

    # 1. Card through the sandbox: the course is the student's, the tutor has 85% pending.
    order = await pay_by_sandbox_card(
        client, student, {"kind": "course", "course_id": physics["id"]}
    )
    assert (order["status"], order["amount"], order["refunded"]) == ("succeeded", usd(4900), usd(0))
    assert order["course_id"] == physics["id"] and order["booking_id"] is None
    # The buyer sees what they paid, not how it was shared nor with whom.
    assert not {"platform_fee", "tutor_share", "payee_id"} & order.keys(), order
    mine = (await client.get("/api/v1/me/orders", headers=student)).json()
    assert mine == {"items": [order], "next_cursor": None}
    enrollments = (await client.get("/api/v1/me/enrollments", headers=student)).json()["items"]
    assert [(e["course"]["id"], e["source"]) for e in enrollments] == [(physics["id"], "purchase")]
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == 4165
    assert balance_of(trial, "platform_revenue", None) == 735
    assert balance_of(trial, "provider_clearing", None) == -4900
    # Owned now: a second checkout answers 409.
    response = await client.post(
        CHECKOUT, json={"item": {"kind": "course", "course_id": physics["id"]}}, headers=student
    )
    problem(response, 409, "already-owned")

    # 2. Credits: a top-up of 30.00, then chemistry bought with them.
    topup = await pay_by_sandbox_card(client, student, {"kind": "wallet_topup", "amount": 3000})
    assert topup["status"] == "succeeded"
    wallet = (await client.get("/api/v1/me/wallet", headers=student)).json()
    assert wallet == {"items": [usd(3000)], "next_cursor": None}
    # Staff see the real split of each kind: a sale's fee and share, a top-up's no fee at all.
    response = await client.get("/api/v1/admin/payments", headers=admin)
    assert response.status_code == 200, response.text
    payments = {p["id"]: p for p in response.json()["items"]}
    assert (payments[order["id"]]["platform_fee"], payments[order["id"]]["tutor_share"]) == (
        usd(735),
        usd(4165),
    )
    assert payments[order["id"]]["payee_id"] == tutor_id
    assert (payments[topup["id"]]["platform_fee"], payments[topup["id"]]["tutor_share"]) == (
        usd(0),
        None,
    )
    assert payments[topup["id"]]["payee_id"] is None
    clock.current += timedelta(seconds=1)  # histories are newest first
    response = await client.post(
        f"/api/v1/courses/{chemistry['id']}/purchase-with-credits", headers=student
    )
    assert response.status_code == 201, response.text
    credit_order = response.json()
    assert credit_order["amount"] == usd(2000)
    wallet = (await client.get("/api/v1/me/wallet", headers=student)).json()
    assert wallet["items"] == [usd(1000)]
    history = (await client.get("/api/v1/me/wallet/transactions", headers=student)).json()
    assert [(line["kind"], line["amount"]) for line in history["items"]] == [
        ("credit_purchase", usd(-2000)),
        ("wallet_topup", usd(3000)),
    ]
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_pending", tutor_id) == 4165 + 1700
    # Each payment brought the buyer a receipt, the amount written in its currency.
    sent = await receipts(container.settings, "student@catalog.test", 3)
    assert sorted(sent) == [
        "Your receipt: Course: Chemistry, 20.00 USD",
        "Your receipt: Course: Physics, 49.00 USD",
        "Your receipt: Wallet credits, 30.00 USD",
    ], sent
    assert "Paid with: card" in sent["Your receipt: Course: Physics, 49.00 USD"]
    assert f"Order: {order['id']}" in sent["Your receipt: Course: Physics, 49.00 USD"]
    assert "Paid with: wallet credits" in sent["Your receipt: Course: Chemistry, 20.00 USD"]
    assert "in your wallet" in sent["Your receipt: Wallet credits, 30.00 USD"]

    # 3. The clearing job moves shares paid 7+ days ago to available.
    clock.current += timedelta(days=7, minutes=1)
    assert await container.billing.release_cleared_earnings() == 2
    tutor, admin, student = [await headers_of(client, n) for n in ("tutor", "admin", "student")]
    response = await client.get("/api/v1/me/earnings", headers=tutor)
    assert response.status_code == 200, response.text
    earnings = response.json()
    assert earnings["balances"] == [
        {
            "pending": usd(0),
            "available": usd(5865),
            "on_hold": usd(0),
            "total_earned": usd(5865),
            "paid_out": usd(0),
        }
    ]
    released = [
        e["amount"] for e in earnings["entries"]["items"] if e["kind"] == "earnings_release"
    ]
    assert sorted(m["amount"] for m in released) == [-4165, -1700, 1700, 4165], released
    await books_balance(client, admin)

    # 4. Withdraw 50.00: payout account first, then the request, approval and the worker.
    response = await client.post("/api/v1/me/withdrawals", json={"amount": 5000}, headers=tutor)
    problem(response, 422, "payout-account-missing")
    response = await client.post("/api/v1/me/payout-account", headers=tutor)
    assert response.status_code == 200, response.text
    response = await client.post("/api/v1/me/withdrawals", json={"amount": 5000}, headers=tutor)
    assert response.status_code == 201, response.text
    withdrawal = response.json()
    assert (withdrawal["status"], withdrawal["amount"]) == ("requested", usd(5000))
    response = await client.post(
        f"/api/v1/admin/withdrawals/{withdrawal['id']}/approve", headers=admin
    )
    assert response.status_code == 200, response.text
    for _ in range(200):
        mine = (await client.get("/api/v1/me/withdrawals", headers=tutor)).json()["items"]
        if mine[0]["status"] == "paid":
            break
        await asyncio.sleep(0.05)
    assert mine[0]["status"] == "paid", mine
    assert mine[0]["transfer_id"]
    trial = await books_balance(client, admin)
    assert balance_of(trial, "payouts", None) == 5000
    assert balance_of(trial, "tutor_available", tutor_id) == 865

    # 5. An admin refunds the card purchase in full: the course is taken back; the tutor's
    # share comes from what is left (865 available), the rest is borne by the platform.
    response = await client.post(
        f"/api/v1/admin/payments/{order['id']}/refund",
        json={"reason": "asked within the guarantee"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    refund = response.json()
    assert (refund["status"], refund["amount"], refund["platform_covered"]) == (
        "succeeded",
        usd(4900),
        usd(4165 - 865),
    )
    # A sale refunded in full earned the tutor nothing: only chemistry's share counts.
    earnings = (await client.get("/api/v1/me/earnings", headers=tutor)).json()["balances"]
    assert earnings == [
        {
            "pending": usd(0),
            "available": usd(0),
            "on_hold": usd(0),
            "total_earned": usd(1700),
            "paid_out": usd(5000),
        }
    ]
    enrollments = (await client.get("/api/v1/me/enrollments", headers=student)).json()["items"]
    by_course = {e["course"]["id"]: e["status"] for e in enrollments}
    assert by_course[physics["id"]] == "revoked"
    trial = await books_balance(client, admin)
    assert balance_of(trial, "tutor_available", tutor_id) == 0
    assert balance_of(trial, "provider_clearing", None) == -3000
    assert balance_of(trial, "student_wallet", student_id) == 1000
    # Nothing is left to refund.
    response = await client.post(
        f"/api/v1/admin/payments/{order['id']}/refund", json={"reason": "again"}, headers=admin
    )
    problem(response, 409)
    assert credit_order["status"] == "succeeded"
