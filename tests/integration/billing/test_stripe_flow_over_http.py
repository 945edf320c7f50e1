"""Paying by card on Stripe, end to end: the real app over HTTP on the real database, the real
stripe library talking to a fake Stripe API on loopback, and Stripe's webhooks signed as Stripe
signs them.

Each test is one scenario over several orders (seeding the accounts costs seconds): a checkout
and the webhooks that decide it, bad deliveries that must change nothing, every order in which
Stripe may deliver a payment's events, refunds reported by Stripe or made through it, and
payouts as transfers to a tutor's connected account.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import inspect
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import make_settings
from tests.integration.billing.fake_stripe import (
    FakeStripe,
    charge_refunded_event,
    checkout_completed_event,
    checkout_expired_event,
    payment_failed_event,
    payment_intent_succeeded_event,
    sign_webhook,
    stripe_error,
    stripe_event,
)
from tests.integration.billing.fake_stripe import _Refusal as StripeRefusal
from tests.support.apps import app_for
from tests.support.billing import (
    CHECKOUT,
    balance_of,
    books_balance,
    paid_course,
)
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem

from elearn.adapters.persistence.models.billing import JournalEntryRow, ProviderEventRow
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

SECRET_KEY = "sk_test_elearn_flow_0123456789abcdef"
WEBHOOK_SECRET = "whsec_elearn_flow_test_secret"
WEBHOOK = "/api/v1/webhooks/stripe"
PRICE, PLATFORM_FEE, TUTOR_SHARE = 4900, 735, 4165


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


TUTOR_EMAIL = "tutor@catalog.test"

T = TypeVar("T")


# ---- the shop: the app on Stripe, served on the test's loop ------------------------------------
class ShiftedClock:
    """The real time plus an offset the test moves: tokens and webhook timestamps are judged by
    it, and time still passes between requests (histories keep their order). ``stopped_at``
    holds it still, for checks to the second."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.stopped_at: datetime | None = None

    def now(self) -> datetime:
        return self.stopped_at or datetime.now(UTC) + self.offset

    @contextlib.contextmanager
    def stopped(self) -> Iterator[int]:
        """Stands still on a whole second (Unix seconds, as Stripe signs) while in the block."""
        second = int(self.now().timestamp())
        self.stopped_at = datetime.fromtimestamp(second, UTC)
        try:
            yield second
        finally:
            self.stopped_at = None


@pytest.fixture
def stripe_settings(tmp_path: Path, database_url: str, fake_stripe: FakeStripe) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        payments_backend="stripe",
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=fake_stripe.url,
    )


@dataclass
class Shop:
    client: httpx.AsyncClient
    container: Container
    clock: ShiftedClock
    fake: FakeStripe
    settings: Settings
    student: dict[str, str]
    tutor: dict[str, str]
    manager: dict[str, str]
    admin: dict[str, str]
    student_id: str = ""
    tutor_id: str = ""

    async def sign_in(self) -> None:
        """Everyone's tokens again (after the clock moved past their lifetime)."""
        self.student, self.tutor, self.manager, self.admin = [
            await headers_of(self.client, name) for name in ("student", "tutor", "manager", "admin")
        ]

    # ---- catalog and checkout --------------------------------------------------------------
    async def course(self, title: str, price: int = PRICE) -> str:
        course = await paid_course(self.client, self.tutor, self.manager, price, title=title)
        return str(course["id"])

    async def checkout(self, course_id: str, idempotency_key: str | None = None) -> str:
        """Starts a card checkout for the student; the order's id."""
        headers = dict(self.student)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        response = await self.client.post(
            CHECKOUT, json={"item": {"kind": "course", "course_id": course_id}}, headers=headers
        )
        assert response.status_code == 201, response.text
        return str(response.json()["order_id"])

    def session_of(self, order_id: str) -> dict[str, Any]:
        """The checkout session the fake opened for the order."""
        (session,) = [
            s
            for s in self.fake.created("checkout.session")
            if s["metadata"] == {"order_id": order_id}
        ]
        return session

    # ---- webhooks ------------------------------------------------------------------------
    async def post_webhook(self, body: bytes, signature: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        return await self.client.post(WEBHOOK, content=body, headers=headers)

    async def deliver(self, body: bytes) -> httpx.Response:
        """Sends the event as Stripe would, signed now by the app's clock."""
        signed_at = int(self.clock.now().timestamp())
        return await self.post_webhook(body, sign_webhook(body, WEBHOOK_SECRET, signed_at))

    async def accepted(self, body: bytes) -> None:
        response = await self.deliver(body)
        assert response.status_code == 200, response.text
        assert response.json() == {"received": True}

    async def captured(self, order_id: str, payment_intent: str) -> None:
        """Stripe reports the order's checkout as paid with ``payment_intent``."""
        session = self.session_of(order_id)
        await self.accepted(
            checkout_completed_event(
                f"evt_paid_{order_id}", order_id, session["id"], payment_intent, PRICE, "USD"
            )
        )

    # ---- reading back --------------------------------------------------------------------
    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/me/orders/{order_id}", headers=self.student)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def refunds(self, order_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/api/v1/admin/refunds",
            params={"order_id": order_id, "limit": 50},
            headers=self.admin,
        )
        assert response.status_code == 200, response.text
        return sorted(response.json()["items"], key=lambda refund: refund["created_at"])

    async def enrollment_status(self, course_id: str) -> str | None:
        response = await self.client.get(
            "/api/v1/me/enrollments", params={"limit": 50}, headers=self.student
        )
        assert response.status_code == 200, response.text
        found = [e for e in response.json()["items"] if e["course"]["id"] == course_id]
        assert len(found) <= 1, found
        return str(found[0]["status"]) if found else None

    async def trial(self) -> dict[str, Any]:
        """The trial balance, checked to balance."""
        return await books_balance(self.client, self.admin)

    async def ledger(self) -> dict[tuple[str, str | None, str], int]:
        """Every account's balance, accounts at zero left out."""
        trial = await self.trial()
        return {
            (a["kind"], a["owner_id"], a["balance"]["currency"]): a["balance"]["amount"]
            for a in trial["accounts"]
            if a["balance"]["amount"]
        }

    async def journal_entries_of(self, order_id: str) -> int:
        async with self.container.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(JournalEntryRow)
                .where(JournalEntryRow.reference_id == UUID(order_id))
            )
        return int(count or 0)

    async def provider_events_named(self, event_id: str) -> int:
        async with self.container.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(ProviderEventRow)
                .where(ProviderEventRow.id == event_id)
            )
        return int(count or 0)


@contextlib.asynccontextmanager
async def open_shop(settings: Settings, fake: FakeStripe) -> AsyncIterator[Shop]:
    """The app on Stripe (the fake), its in-process worker running, served on this loop."""
    await seed_people(settings)
    clock = ShiftedClock()
    container = bootstrap(settings, overrides={"clock": clock})
    app = app_for(settings, container=container)
    try:
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as client,
        ):
            shop = Shop(client, container, clock, fake, settings, {}, {}, {}, {})
            await shop.sign_in()
            shop.student_id = await user_id(client, shop.student)
            shop.tutor_id = await user_id(client, shop.tutor)
            yield shop
    finally:
        await container.dispose()


async def user_id(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def eventually(probe: Callable[[], Awaitable[T] | T], done: Callable[[T], bool]) -> T:
    """Polls ``probe`` until ``done`` holds of its answer (work done elsewhere: the background
    worker, a request in flight)."""
    for _ in range(300):
        answer = probe()
        value: T = await answer if inspect.isawaitable(answer) else answer  # type: ignore[assignment]
        if done(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {value!r}")


# ---- 1, 4, 5: a checkout, bad deliveries, and every way a payment ends ------------------------
async def test_checkout_by_card_is_decided_by_signed_webhooks(
    stripe_settings: Settings, fake_stripe: FakeStripe
) -> None:
    async with open_shop(stripe_settings, fake_stripe) as shop:
        await _checkout_and_bad_deliveries(shop)
        await _payments_that_end_otherwise(shop)


async def _checkout_and_bad_deliveries(shop: Shop) -> None:
    client, fake = shop.client, shop.fake
    physics = await shop.course("Physics")

    # Stripe is down (every attempt of the library's retries gets a 500): 503, try again.
    fake.fail_next(500, times=4)
    buy = {"item": {"kind": "course", "course_id": physics}}
    keyed = {**shop.student, "Idempotency-Key": "buy-physics"}
    response = await client.post(CHECKOUT, json=buy, headers=keyed)
    problem(response, 503, "payment-provider-unavailable")
    assert fake.created("checkout.session") == []

    # The same request again: the same order, and now one session at Stripe, keyed by the
    # order, carrying the order both on the session and on its payment intent (refunds and
    # intent events name only the intent).
    order_id = await shop.checkout(physics, idempotency_key="buy-physics")
    response = await client.post(CHECKOUT, json=buy, headers=keyed)
    assert response.status_code == 201, response.text
    started = response.json()
    assert started["order_id"] == order_id
    (session,) = fake.created("checkout.session")
    assert started["checkout_url"] == session["url"]
    attempts = fake.requests_to("POST", "/v1/checkout/sessions")
    assert [a.outcome for a in attempts] == ["fault"] * 4 + ["created"]  # the replay asked nothing
    assert {a.idempotency_key for a in attempts} == {f"checkout:{order_id}"}
    request = attempts[-1]
    assert request.api_key == SECRET_KEY
    assert request.params["mode"] == "payment"
    assert request.params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "usd",
                "unit_amount": str(PRICE),
                "product_data": {"name": "Course: Physics"},
            },
        }
    ]
    assert request.params["metadata"] == {"order_id": order_id}
    assert request.params["payment_intent_data"] == {"metadata": {"order_id": order_id}}
    assert request.params["client_reference_id"] == order_id
    assert request.params["customer_email"] == "student@catalog.test"
    # Without return URLs, Checkout leads back to the order in the API.
    own_order = f"{shop.container.settings.public_url.rstrip('/')}/api/v1/me/orders/{order_id}"
    assert (request.params["success_url"], request.params["cancel_url"]) == (own_order, own_order)
    assert (await shop.order(order_id))["status"] == "pending"
    before = await shop.ledger()

    # The shop's own return pages (on an allowed origin) go to Stripe with the session.
    base = shop.container.settings.public_url.rstrip("/")
    returning = await shop.course("Bought from the shop")
    response = await client.post(
        CHECKOUT,
        json={
            "item": {"kind": "course", "course_id": returning},
            "success_url": f"{base}/shop/thanks",
            "cancel_url": f"{base}/shop/cart",
        },
        headers=shop.student,
    )
    assert response.status_code == 201, response.text
    sent = fake.requests_to("POST", "/v1/checkout/sessions")[-1].params
    assert (sent["success_url"], sent["cancel_url"]) == (f"{base}/shop/thanks", f"{base}/shop/cart")

    # Deliveries that cannot be trusted answer 400 and store nothing, not even the event's id:
    # the same event, delivered properly afterwards, still takes effect.
    event_id = "evt_physics_paid"
    paid = checkout_completed_event(event_id, order_id, session["id"], "pi_physics", PRICE, "USD")
    tampered = paid.replace(b'"amount_total": 4900', b'"amount_total": 1')
    assert tampered != paid
    with shop.clock.stopped() as now:
        bad_deliveries = {
            "tampered body": (tampered, sign_webhook(paid, WEBHOOK_SECRET, now)),
            "wrong secret": (paid, sign_webhook(paid, "whsec_someone_else", now)),
            "no signature": (paid, None),
            "301 s old": (paid, sign_webhook(paid, WEBHOOK_SECRET, now - 301)),
            "301 s ahead": (paid, sign_webhook(paid, WEBHOOK_SECRET, now + 301)),
        }
        for what, (body, signature) in bad_deliveries.items():
            response = await shop.post_webhook(body, signature)
            assert response.status_code == 400, (what, response.text)
            problem(response, 400, "invalid-webhook")
        assert await shop.provider_events_named(event_id) == 0
        assert (await shop.order(order_id))["status"] == "pending"
        assert await shop.enrollment_status(physics) is None
        assert await shop.ledger() == before

        # Signed 299 s ago: within the tolerance, taken.
        response = await shop.post_webhook(paid, sign_webhook(paid, WEBHOOK_SECRET, now - 299))
        assert response.status_code == 200, response.text
    order = await shop.order(order_id)
    assert (order["status"], order["provider_payment_id"]) == ("succeeded", "pi_physics")
    assert not {"platform_fee", "tutor_share", "payee_id"} & order.keys(), order  # the buyer's
    response = await shop.client.get(
        "/api/v1/admin/orders", params={"buyer_id": shop.student_id}, headers=shop.admin
    )
    (staff_view,) = [o for o in response.json()["items"] if o["id"] == order_id]
    assert (staff_view["platform_fee"], staff_view["tutor_share"]) == (
        usd(PLATFORM_FEE),
        usd(TUTOR_SHARE),
    )
    assert await shop.enrollment_status(physics) == "active"
    trial = await shop.trial()
    assert balance_of(trial, "tutor_pending", shop.tutor_id) == TUTOR_SHARE  # 85%
    assert balance_of(trial, "platform_revenue", None) == PLATFORM_FEE
    assert balance_of(trial, "provider_clearing", None) == -PRICE
    assert await shop.journal_entries_of(order_id) == 1


async def _payments_that_end_otherwise(shop: Shop) -> None:
    chemistry, biology = await shop.course("Chemistry"), await shop.course("Biology")

    # A session that expired unpaid: the order is expired, nothing is granted.
    expiring = await shop.checkout(chemistry)
    session = shop.session_of(expiring)
    await shop.accepted(
        checkout_expired_event("evt_expired", expiring, session["id"], PRICE, "USD")
    )
    order = await shop.order(expiring)
    assert order["status"] == "expired"
    assert await shop.enrollment_status(chemistry) is None

    # A declined card fails the order; the buyer then pays with another card in the same
    # session: the capture wins.
    declined = await shop.checkout(biology)
    await shop.accepted(payment_failed_event("evt_declined", declined, "pi_biology", PRICE, "USD"))
    order = await shop.order(declined)
    assert (order["status"], order["failure_reason"]) == ("failed", "Your card was declined.")
    assert await shop.enrollment_status(biology) is None
    books = await shop.ledger()
    await shop.captured(declined, "pi_biology")
    order = await shop.order(declined)
    assert (order["status"], order["failure_reason"]) == ("succeeded", None)
    assert await shop.enrollment_status(biology) == "active"
    after = await shop.ledger()
    clearing = ("provider_clearing", None, "USD")
    assert after[("tutor_pending", shop.tutor_id, "USD")] == 2 * TUTOR_SHARE
    assert after[clearing] == books[clearing] - PRICE

    # Events of types billing does not handle, or about orders that are not ours, are
    # acknowledged (Stripe stops sending them) and change nothing.
    ignored = [
        stripe_event("evt_customer", "customer.created", {"id": "cus_1", "object": "customer"}),
        checkout_completed_event("evt_not_ours", str(uuid4()), "cs_other", "pi_other", 100, "USD"),
        checkout_completed_event("evt_no_uuid", "order-42", "cs_other2", "pi_other2", 100, "USD"),
        charge_refunded_event("evt_other_refund", None, "pi_unknown", 100, 100, "USD"),
        payment_failed_event("evt_other_fail", str(uuid4()), "pi_unknown2", 100, "USD"),
    ]
    for body in ignored:
        await shop.accepted(body)
    assert await shop.ledger() == after
    assert [(await shop.order(o))["status"] for o in (expiring, declined)] == [
        "expired",
        "succeeded",
    ]


# ---- 2: one event delivered again and again, at once ------------------------------------------
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_one_webhook_delivered_many_times_at_once_takes_effect_once(
    stripe_settings: Settings, fake_stripe: FakeStripe
) -> None:
    async with open_shop(stripe_settings, fake_stripe) as shop:
        physics, chemistry = await shop.course("Physics"), await shop.course("Chemistry")
        order_id = await shop.checkout(physics)
        session = shop.session_of(order_id)
        paid = checkout_completed_event(
            "evt_paid_often", order_id, session["id"], "pi_often", PRICE, "USD"
        )

        # Five at once, then five more one after the other.
        answers = list(await asyncio.gather(*(shop.deliver(paid) for _ in range(5))))
        answers += [await shop.deliver(paid) for _ in range(5)]
        assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
        assert (await shop.order(order_id))["status"] == "succeeded"
        assert await shop.journal_entries_of(order_id) == 1
        assert await shop.enrollment_status(physics) == "active"
        trial = await shop.trial()
        assert balance_of(trial, "tutor_pending", shop.tutor_id) == TUTOR_SHARE
        assert balance_of(trial, "platform_revenue", None) == PLATFORM_FEE
        assert balance_of(trial, "provider_clearing", None) == -PRICE

        # A payment's three events, each three times, all at once: one capture, one refund.
        order_id = await shop.checkout(chemistry)
        session = shop.session_of(order_id)
        events = [
            checkout_completed_event("evt_c", order_id, session["id"], "pi_c", PRICE, "USD"),
            payment_intent_succeeded_event("evt_pi", order_id, "pi_c", PRICE, "USD"),
            charge_refunded_event("evt_r", order_id, "pi_c", PRICE, PRICE, "USD"),
        ]
        answers = await asyncio.gather(*(shop.deliver(e) for e in events * 3))
        assert [a.status_code for a in answers] == [200] * 9, [a.text for a in answers]
        order = await shop.order(order_id)
        assert (order["status"], order["refunded"]) == ("refunded", usd(PRICE))
        assert [r["amount"]["amount"] for r in await shop.refunds(order_id)] == [PRICE]
        assert await shop.journal_entries_of(order_id) == 2  # the capture and the refund
        assert await shop.enrollment_status(chemistry) == "revoked"
        trial = await shop.trial()
        assert balance_of(trial, "tutor_pending", shop.tutor_id) == TUTOR_SHARE
        assert balance_of(trial, "provider_clearing", None) == -PRICE


# ---- 3, 6: refunds reported by Stripe, and refunds made through it ----------------------------
async def test_refunds_reported_by_stripe_and_made_through_it(
    stripe_settings: Settings, fake_stripe: FakeStripe
) -> None:
    async with open_shop(stripe_settings, fake_stripe) as shop:
        await _every_order_of_a_refunded_payments_events(shop)
        books = await _partial_refunds_at_stripe(shop)
        await _refunds_through_the_gateway(shop, books)


async def _every_order_of_a_refunded_payments_events(shop: Shop) -> None:
    """Stripe does not promise the order of its events: a payment captured and refunded in full
    at Stripe ends the same, whichever of its three events comes first."""
    names = ("completed", "intent_succeeded", "refunded")
    outcomes: list[Any] = []
    for number, permutation in enumerate(itertools.permutations(names)):
        course_id = await shop.course(f"Course {number}")
        order_id = await shop.checkout(course_id)
        session = shop.session_of(order_id)
        intent = f"pi_perm_{number}"
        events = {
            "completed": checkout_completed_event(
                f"evt_{number}_c", order_id, session["id"], intent, PRICE, "USD"
            ),
            "intent_succeeded": payment_intent_succeeded_event(
                f"evt_{number}_pi", order_id, intent, PRICE, "USD"
            ),
            "refunded": charge_refunded_event(
                f"evt_{number}_r", order_id, intent, PRICE, PRICE, "USD"
            ),
        }
        for name in permutation:
            await shop.accepted(events[name])
        order = await shop.order(order_id)
        refunds = await shop.refunds(order_id)
        trial = await shop.trial()
        outcomes.append(
            {
                "order": (
                    order["status"],
                    order["refunded"]["amount"],
                    order["provider_payment_id"],
                ),
                "enrollment": await shop.enrollment_status(course_id),
                "refunds": [
                    (
                        r["amount"]["amount"],
                        r["status"],
                        r["requested_by"],
                        r["platform_covered"]["amount"],
                    )
                    for r in refunds
                ],
                "entries": await shop.journal_entries_of(order_id),
                # Each payment went and came back whole: the books are where they started.
                "accounts": trial["accounts"],
            }
        )
        assert outcomes[-1]["order"] == ("refunded", PRICE, intent), permutation
        outcomes[-1]["order"] = outcomes[-1]["order"][:2]
    first = outcomes[0]
    assert first["enrollment"] == "revoked"
    assert first["refunds"] == [(PRICE, "succeeded", None, 0)]
    assert first["entries"] == 2
    assert all(a["balance"]["amount"] == 0 for a in first["accounts"]), first["accounts"]
    for permutation, outcome in zip(itertools.permutations(names), outcomes, strict=True):
        assert outcome == first, permutation


async def _partial_refunds_at_stripe(shop: Shop) -> dict[tuple[str, str | None, str], int]:
    """``charge.refunded`` carries what was refunded so far: only the difference is new."""
    course_id = await shop.course("Partly refunded")
    order_id = await shop.checkout(course_id)
    await shop.captured(order_id, "pi_partial")

    def refunded_so_far(event_id: str, amount: int) -> bytes:
        return charge_refunded_event(event_id, order_id, "pi_partial", PRICE, amount, "USD")

    await shop.accepted(refunded_so_far("evt_partial_1", 1000))
    order = await shop.order(order_id)
    assert (order["status"], order["refunded"]) == ("partially_refunded", usd(1000))
    assert await shop.enrollment_status(course_id) == "active"
    await shop.accepted(refunded_so_far("evt_partial_2", 3000))
    # A late event reporting less than is known (Stripe's order is not ours) changes nothing.
    await shop.accepted(refunded_so_far("evt_partial_late", 1000))
    order = await shop.order(order_id)
    assert (order["status"], order["refunded"]) == ("partially_refunded", usd(3000))
    assert [r["amount"]["amount"] for r in await shop.refunds(order_id)] == [1000, 2000]
    assert await shop.enrollment_status(course_id) == "active"
    books = await shop.ledger()
    # The tutor gives back 85% of what was refunded (2550 of 3000), the platform the rest.
    assert books == {
        ("tutor_pending", shop.tutor_id, "USD"): TUTOR_SHARE - 2550,
        ("platform_revenue", None, "USD"): PLATFORM_FEE - 450,
        ("provider_clearing", None, "USD"): -(PRICE - 3000),
    }
    return books


async def _refunds_through_the_gateway(
    shop: Shop, books: dict[tuple[str, str | None, str], int]
) -> None:
    client, fake = shop.client, shop.fake
    course_id = await shop.course("Refunded by an admin")
    order_id = await shop.checkout(course_id)
    await shop.captured(order_id, "pi_admin")
    refund_url = f"/api/v1/admin/payments/{order_id}/refund"

    # An admin refunds 15.00. Stripe makes the refund and reports it by webhook before its API
    # answer reaches us: the webhook finds it pending and records nothing of its own.
    fake.hang_next(0.6)
    asked = asyncio.ensure_future(
        client.post(
            refund_url,
            json={"reason": "asked nicely", "amount": {"amount": 1500, "currency": "USD"}},
            headers=shop.admin,
        )
    )
    await eventually(lambda: fake.created("refund"), lambda made: len(made) == 1)
    await shop.accepted(
        charge_refunded_event("evt_admin_1", order_id, "pi_admin", PRICE, 1500, "USD")
    )
    response = await asked
    assert response.status_code == 201, response.text
    refund = response.json()
    assert (refund["status"], refund["amount"], refund["platform_covered"]) == (
        "succeeded",
        usd(1500),
        usd(0),
    )
    (stripe_refund,) = fake.created("refund")
    (request,) = fake.requests_to("POST", "/v1/refunds")
    assert request.idempotency_key == f"refund:{refund['id']}"
    assert request.params == {
        "payment_intent": "pi_admin",
        "amount": "1500",
        "metadata": {"order_id": order_id},
    }
    assert stripe_refund["payment_intent"] == (await shop.order(order_id))["provider_payment_id"]
    # The same total reported again, as Stripe resends: still nothing new.
    await shop.accepted(
        charge_refunded_event("evt_admin_1_again", order_id, "pi_admin", PRICE, 1500, "USD")
    )
    assert [r["amount"]["amount"] for r in await shop.refunds(order_id)] == [1500]
    order = await shop.order(order_id)
    assert (order["status"], order["refunded"]) == ("partially_refunded", usd(1500))

    # Stripe refuses the rest: the refund fails and the books are back where they were.
    before = await shop.trial()
    fake.reject_next(message="Charge ch_x has been disputed.", code="charge_disputed")
    response = await client.post(refund_url, json={"reason": "the rest"}, headers=shop.admin)
    assert response.status_code == 201, response.text
    refused = response.json()
    assert (refused["status"], refused["amount"]) == ("failed", usd(PRICE - 1500))
    assert "charge_disputed" in refused["failure_reason"]
    assert (await shop.trial())["accounts"] == before["accounts"]
    order = await shop.order(order_id)
    assert (order["status"], order["refunded"]) == ("partially_refunded", usd(1500))
    assert await shop.enrollment_status(course_id) == "active"

    # Asked again, the rest goes back: the course is taken back; Stripe's report of the full
    # amount then adds nothing.
    response = await client.post(refund_url, json={"reason": "the rest"}, headers=shop.admin)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "succeeded"
    await shop.accepted(
        charge_refunded_event("evt_admin_all", order_id, "pi_admin", PRICE, PRICE, "USD")
    )
    order = await shop.order(order_id)
    assert (order["status"], order["refunded"]) == ("refunded", usd(PRICE))
    assert await shop.enrollment_status(course_id) == "revoked"
    assert [(r["amount"]["amount"], r["status"]) for r in await shop.refunds(order_id)] == [
        (1500, "succeeded"),
        (PRICE - 1500, "failed"),
        (PRICE - 1500, "succeeded"),
    ]
    assert len(fake.created("refund")) == 2
    # This payment came back whole: the books are those of the earlier, partial refunds.
    assert await shop.ledger() == books


# ---- 7: payouts are transfers to the tutor's connected account --------------------------------
def refuse_next_request_to(fake: FakeStripe, method: str, path: str, **error: Any) -> None:
    """Stripe refuses the next request to this one endpoint with a 400 in its format.
    (``reject_next`` takes the next request of any kind: a payout first looks for a transfer
    an earlier attempt made.)"""
    key = (method, path)
    endpoint = fake._routes[key]
    refusal = stripe_error(**error)

    def refuse(params: dict[str, Any]) -> dict[str, Any]:
        fake._routes[key] = endpoint
        raise StripeRefusal(400, refusal)

    fake._routes[key] = refuse


async def test_payouts_are_transfers_to_the_tutors_connected_account(
    stripe_settings: Settings, fake_stripe: FakeStripe
) -> None:
    async with open_shop(stripe_settings, fake_stripe) as shop:
        client, fake = shop.client, fake_stripe

        # The tutor's Express account at Stripe, and the link to finish setting it up.
        response = await client.post("/api/v1/me/payout-account", headers=shop.tutor)
        assert response.status_code == 200, response.text
        link = response.json()
        (account,) = fake.created("account")
        assert link == {
            "account_id": account["id"],
            "onboarding_url": fake.created("account_link")[0]["url"],
        }
        (request,) = fake.requests_to("POST", "/v1/accounts")
        assert request.idempotency_key == f"payout-account:{shop.tutor_id}"
        assert (request.params["type"], request.params["email"]) == ("express", TUTOR_EMAIL)
        assert request.params["capabilities"] == {"transfers": {"requested": "true"}}
        # Asked again: the same account, a fresh link.
        response = await client.post("/api/v1/me/payout-account", headers=shop.tutor)
        assert response.status_code == 200, response.text
        assert response.json()["account_id"] == account["id"]
        assert (len(fake.created("account")), len(fake.created("account_link"))) == (1, 2)

        # A sale clears after 7 days: 41.65 available.
        order_id = await shop.checkout(await shop.course("Physics"))
        await shop.captured(order_id, "pi_payout")
        shop.clock.offset += timedelta(days=8)
        assert await shop.container.billing.release_cleared_earnings() == 1
        await shop.sign_in()
        assert await _available(shop) == TUTOR_SHARE

        # 20.00 withdrawn, approved, paid by the worker with one transfer keyed by the
        # withdrawal.
        paid = await _withdraw(shop, 2000)
        assert paid["status"] == "paid", paid
        (transfer,) = fake.created("transfer")
        assert paid["transfer_id"] == transfer["id"]
        (request,) = fake.requests_to("POST", "/v1/transfers")
        assert request.idempotency_key == f"payout:{paid['id']}"
        assert request.params == {
            "amount": "2000",
            "currency": "usd",
            "destination": account["id"],
            "transfer_group": f"payout:{paid['id']}",
            "metadata": {"transfer_group": f"payout:{paid['id']}"},
        }
        # Before paying, the worker looked for a transfer an earlier attempt may have made.
        (lookup,) = fake.requests_to("GET", "/v1/transfers")
        assert lookup.params == {"transfer_group": f"payout:{paid['id']}", "limit": "1"}
        trial = await shop.trial()
        assert balance_of(trial, "payouts", None) == 2000
        assert balance_of(trial, "tutor_available", shop.tutor_id) == TUTOR_SHARE - 2000
        available = TUTOR_SHARE - 2000

        # A refused lookup of an earlier attempt's transfer is no verdict on the payout (an
        # earlier attempt may have paid): the job is retried and pays, once.
        fake.reject_next(message="Your account cannot make transfers.")
        retried = await _withdraw(shop, 1000)
        assert retried["status"] == "paid", retried
        assert fake.requests_to("GET", "/v1/transfers")[-2].outcome == "fault"
        assert len(fake.created("transfer")) == 2
        available -= 1000
        assert await _available(shop) == available
        # Stripe refuses the transfer itself for good: the withdrawal fails, the hold goes back,
        # and the tutor is told.
        refuse_next_request_to(
            fake,
            "POST",
            "/v1/transfers",
            message="You have insufficient funds in your Stripe account.",
            code="balance_insufficient",
        )
        failed = await _withdraw(shop, 1000)
        assert failed["status"] == "failed", failed
        assert "balance_insufficient" in failed["failure_reason"]
        assert await _available(shop) == available
        assert len(fake.created("transfer")) == 2
        trial = await shop.trial()
        assert balance_of(trial, "tutor_hold", shop.tutor_id) == 0
        assert balance_of(trial, "payouts", None) == 3000
        mails = await eventually(
            lambda: _payout_failure_mails(shop.settings), lambda found: len(found) >= 1
        )
        assert len(mails) == 1, mails


async def _available(shop: Shop) -> int:
    response = await shop.client.get("/api/v1/me/earnings", headers=shop.tutor)
    assert response.status_code == 200, response.text
    (balance,) = response.json()["balances"]
    assert balance["on_hold"] == usd(0), balance
    assert balance["available"]["currency"] == "USD", balance
    return int(balance["available"]["amount"])


async def _withdraw(shop: Shop, amount: int) -> dict[str, Any]:
    """Requests a withdrawal, has an admin approve it, and waits for the worker's verdict."""
    client = shop.client
    response = await client.post(
        "/api/v1/me/withdrawals",
        json={"amount": amount},
        headers={**shop.tutor, "Idempotency-Key": f"withdraw-{uuid4()}"},
    )
    assert response.status_code == 201, response.text
    withdrawal_id = response.json()["id"]
    response = await client.post(
        f"/api/v1/admin/withdrawals/{withdrawal_id}/approve", headers=shop.admin
    )
    assert response.status_code == 200, response.text

    async def mine() -> dict[str, Any]:
        response = await client.get("/api/v1/me/withdrawals", headers=shop.tutor)
        assert response.status_code == 200, response.text
        (found,) = [w for w in response.json()["items"] if w["id"] == withdrawal_id]
        return found  # type: ignore[no-any-return]

    return await eventually(mine, lambda w: w["status"] not in ("requested", "approved"))


def _payout_failure_mails(settings: Settings) -> list[str]:
    """Subjects of the "payout could not be made" emails to the tutor in the outbox."""
    outbox = settings.effective_mail_outbox_dir
    subjects = []
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        message = email.message_from_bytes(path.read_bytes())
        if TUTOR_EMAIL in (message["To"] or "") and "could not be made" in (
            message["Subject"] or ""
        ):
            subjects.append(str(message["Subject"]))
    return subjects


# ---- what Stripe may report that the books do not take yet ------------------------------------
def unpaid_checkout_completed_event(
    event_id: str, order_id: str, session_id: str, payment_intent: str, amount: int
) -> bytes:
    """``checkout.session.completed`` of a delayed payment method (SEPA debit, ACH, Boleto...):
    the buyer finished the checkout, the money is not in (``payment_status: unpaid``); it comes
    later with ``payment_intent.succeeded`` or ``checkout.session.async_payment_succeeded``."""
    return stripe_event(
        event_id,
        "checkout.session.completed",
        {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "unpaid",
            "payment_intent": payment_intent,
            "amount_total": amount,
            "currency": "usd",
            "client_reference_id": order_id,
            "metadata": {"order_id": order_id},
            "livemode": False,
        },
    )


# The bugs below are in the application layer, whatever the database: SQLite only, to save time.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_completed_checkout_whose_money_is_not_in_yet_grants_nothing(
    stripe_settings: Settings, fake_stripe: FakeStripe
) -> None:
    async with open_shop(stripe_settings, fake_stripe) as shop:
        course_id = await shop.course("Paid by bank debit")
        order_id = await shop.checkout(course_id)
        session = shop.session_of(order_id)
        await shop.accepted(
            unpaid_checkout_completed_event("evt_unpaid", order_id, session["id"], "pi_sepa", PRICE)
        )
        assert (await shop.order(order_id))["status"] == "pending"
        assert await shop.enrollment_status(course_id) is None
        assert await shop.ledger() == {}
        # The debit clears days later: now it is paid.
        await shop.accepted(
            payment_intent_succeeded_event("evt_sepa_paid", order_id, "pi_sepa", PRICE, "USD")
        )
        assert (await shop.order(order_id))["status"] == "succeeded"
        assert await shop.enrollment_status(course_id) == "active"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_top_up_refunded_at_stripe_after_its_credits_were_spent_is_recorded(
    stripe_settings: Settings, fake_stripe: FakeStripe
) -> None:
    async with open_shop(stripe_settings, fake_stripe) as shop:
        response = await shop.client.post(
            CHECKOUT, json={"item": {"kind": "wallet_topup", "amount": 3000}}, headers=shop.student
        )
        assert response.status_code == 201, response.text
        topup = response.json()["order_id"]
        session = shop.session_of(topup)
        await shop.accepted(
            checkout_completed_event("evt_topup", topup, session["id"], "pi_topup", 3000, "USD")
        )
        course_id = await shop.course("Bought with credits", price=2000)
        response = await shop.client.post(
            f"/api/v1/courses/{course_id}/purchase-with-credits", headers=shop.student
        )
        assert response.status_code == 201, response.text

        # The card payment is refunded in Stripe's dashboard (or lost in a dispute): the money
        # is gone back; the books have to say so, whatever the wallet still holds.
        response = await shop.deliver(
            charge_refunded_event("evt_topup_refunded", topup, "pi_topup", 3000, 3000, "USD")
        )
        assert response.status_code == 200, response.text
        order = await shop.order(topup)
        assert (order["status"], order["refunded"]) == ("refunded", usd(3000))
        assert [r["amount"]["amount"] for r in await shop.refunds(topup)] == [3000]
        trial = await shop.trial()
        assert balance_of(trial, "provider_clearing", None) == 0  # all 30.00 went back
