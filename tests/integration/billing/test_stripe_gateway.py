"""The Stripe adapters with the real stripe library, against a fake Stripe API on loopback:
what the gateway asks Stripe for, that its retries never create a second object, how failures
map to GatewayUnavailable / GatewayRejected, and which webhooks the verifier trusts."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from tests.fakes import FixedClock
from tests.integration.billing.fake_stripe import (
    FakeStripe,
    charge_refunded_event,
    checkout_completed_event,
    checkout_expired_event,
    payment_failed_event,
    payment_intent_succeeded_event,
    sign_webhook,
    stripe_event,
)

from elearn.adapters.payments.stripe_gateway import StripePaymentGateway
from elearn.adapters.payments.stripe_webhooks import StripeWebhookVerifier
from elearn.application.billing.ports import (
    CHARGE_REFUNDED,
    CHECKOUT_COMPLETED,
    CHECKOUT_EXPIRED,
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    CheckoutRequest,
    GatewayRejected,
    GatewayUnavailable,
    InvalidWebhook,
    ProviderEvent,
)
from elearn.domain.shared.money import Money

SECRET_KEY = "sk_test_elearn_0123456789abcdef"
WEBHOOK_SECRET = "whsec_elearn_test_secret"
ORDER_ID = UUID("0b6f3c4e-9a57-4c1e-8f0e-2d9a7c1b5e11")


MakeGateway = Callable[..., StripePaymentGateway]


@pytest.fixture
async def make_gateway(fake_stripe: FakeStripe) -> AsyncIterator[MakeGateway]:
    """Gateways on the fake (keyword arguments: the constructor's), closed after the test."""
    made: list[StripePaymentGateway] = []

    def make(**options: Any) -> StripePaymentGateway:
        made.append(StripePaymentGateway(SECRET_KEY, api_base=fake_stripe.url, **options))
        return made[-1]

    yield make
    for gateway in made:
        await gateway.aclose()


def checkout_request(order_id: UUID = ORDER_ID) -> CheckoutRequest:
    return CheckoutRequest(
        order_id=order_id,
        amount=Money(4999, "USD"),
        description="Python for data analysis",
        buyer_email="student@example.com",
        success_url="https://elearn.test/orders/ok",
        cancel_url="https://elearn.test/orders/cancel",
    )


# ---- the gateway: what it asks for --------------------------------------------------------------
async def test_checkout_creates_one_session_per_order(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway()

    first = await gateway.create_checkout(checkout_request())
    again = await gateway.create_checkout(checkout_request())

    assert again == first
    assert first.url.startswith("https://checkout.stripe.com/")
    [session] = fake_stripe.created("checkout.session")
    assert session["id"] == first.session_id
    assert session["amount_total"] == 4999 and session["currency"] == "usd"
    sent, replayed = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert (sent.outcome, replayed.outcome) == ("created", "replayed")
    assert sent.idempotency_key == replayed.idempotency_key == f"checkout:{ORDER_ID}"
    assert sent.api_key == SECRET_KEY
    order = str(ORDER_ID)
    assert sent.params == {
        "mode": "payment",
        "line_items": [
            {
                "quantity": "1",
                "price_data": {
                    "currency": "usd",
                    "unit_amount": "4999",
                    "product_data": {"name": "Python for data analysis"},
                },
            }
        ],
        "customer_email": "student@example.com",
        "success_url": "https://elearn.test/orders/ok",
        "cancel_url": "https://elearn.test/orders/cancel",
        "client_reference_id": order,
        "metadata": {"order_id": order},
        "payment_intent_data": {"metadata": {"order_id": order}},
    }


async def test_refund_is_idempotent_and_reports_the_providers_status(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway()
    refund_id = uuid4()

    done = await gateway.refund(
        payment_id="pi_123",
        amount=Money(1500, "USD"),
        idempotency_key=f"refund:{refund_id}",
        order_id=ORDER_ID,
    )
    again = await gateway.refund(
        payment_id="pi_123",
        amount=Money(1500, "USD"),
        idempotency_key=f"refund:{refund_id}",
        order_id=ORDER_ID,
    )
    fake_stripe.refund_status = "pending"
    later = await gateway.refund(
        payment_id="pi_123",
        amount=Money(500, "USD"),
        idempotency_key=f"refund:{uuid4()}",
        order_id=ORDER_ID,
    )

    assert done.status == "succeeded" and again == done
    assert later.status == "pending" and later.refund_id != done.refund_id
    assert len(fake_stripe.created("refund")) == 2
    first = fake_stripe.requests_to("POST", "/v1/refunds")[0]
    assert first.idempotency_key == f"refund:{refund_id}"
    assert first.params == {
        "payment_intent": "pi_123",
        "amount": "1500",
        "metadata": {"order_id": str(ORDER_ID)},
    }


async def test_payout_account_onboarding_and_transfers(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway()
    tutor_id = uuid4()

    account = await gateway.create_payout_account(user_id=tutor_id, email="tutor@example.com")
    same_account = await gateway.create_payout_account(user_id=tutor_id, email="tutor@example.com")
    link = await gateway.onboarding_link(
        account, return_url="https://elearn.test/back", refresh_url="https://elearn.test/again"
    )
    before = await gateway.find_transfer(group="withdrawal:w1")
    transfer = await gateway.transfer(
        destination=account,
        amount=Money(12000, "EUR"),
        idempotency_key="payout:w1",
        group="withdrawal:w1",
    )
    found = await gateway.find_transfer(group="withdrawal:w1")
    other_group = await gateway.find_transfer(group="withdrawal:w2")

    assert same_account == account and len(fake_stripe.created("account")) == 1
    opened = fake_stripe.requests_to("POST", "/v1/accounts")[0]
    assert opened.idempotency_key == f"payout-account:{tutor_id}"
    assert opened.params == {
        "type": "express",
        "email": "tutor@example.com",
        "capabilities": {"transfers": {"requested": "true"}},
        "metadata": {"user_id": str(tutor_id)},
    }
    assert link.startswith("https://connect.stripe.com/")
    [link_request] = fake_stripe.requests_to("POST", "/v1/account_links")
    assert link_request.params == {
        "account": account,
        "type": "account_onboarding",
        "return_url": "https://elearn.test/back",
        "refresh_url": "https://elearn.test/again",
    }
    assert (before, found, other_group) == (None, transfer, None)
    [sent] = fake_stripe.requests_to("POST", "/v1/transfers")
    assert sent.idempotency_key == "payout:w1"
    assert sent.params == {
        "amount": "12000",
        "currency": "eur",
        "destination": account,
        "transfer_group": "withdrawal:w1",
        "metadata": {"transfer_group": "withdrawal:w1"},
    }
    lookup = fake_stripe.requests_to("GET", "/v1/transfers")[0]
    assert lookup.params == {"transfer_group": "withdrawal:w1", "limit": "1"}


# ---- the gateway: failures --------------------------------------------------------------------
async def test_retries_after_a_500_and_a_timeout_create_one_session(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    # A timeout generous enough for a loaded CI machine; the hung answer comes far later.
    gateway = make_gateway(timeout_seconds=1.0, max_network_retries=3)
    fake_stripe.fail_next(status=500)
    # Stripe does the work but its answer never arrives in time: only the key saves us.
    fake_stripe.hang_next(5.0)

    session = await gateway.create_checkout(checkout_request())

    [created] = fake_stripe.created("checkout.session")
    assert created["id"] == session.session_id
    attempts = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert [a.outcome for a in attempts] == ["fault", "hung", "replayed"]
    assert {a.idempotency_key for a in attempts} == {f"checkout:{ORDER_ID}"}


async def test_a_409_conflict_is_retried(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    # Stripe answers 409 while another request with the same key is still running.
    fake_stripe.fail_next(status=409, error_type="idempotency_error")

    await make_gateway().create_checkout(checkout_request())

    attempts = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert [a.outcome for a in attempts] == ["fault", "created"]


async def test_stripe_that_stays_down_is_unavailable(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway(max_network_retries=2)
    fake_stripe.fail_next(status=500, times=3)

    with pytest.raises(GatewayUnavailable, match="HTTP 500"):
        await gateway.create_checkout(checkout_request())

    assert len(fake_stripe.requests) == 3  # the first attempt and two retries
    assert fake_stripe.created("checkout.session") == []


async def test_rate_limit_is_unavailable_without_retrying(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    fake_stripe.fail_next(status=429, error_type="invalid_request_error", code="rate_limit")

    with pytest.raises(GatewayUnavailable, match="RateLimitError"):
        await make_gateway().find_transfer(group="withdrawal:w1")

    assert len(fake_stripe.requests) == 1


async def test_no_route_to_stripe_is_unavailable(fast_stripe_retries: None) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gateway = StripePaymentGateway(
        SECRET_KEY, api_base=f"http://127.0.0.1:{closed_port}", max_network_retries=1
    )

    with pytest.raises(GatewayUnavailable, match="APIConnectionError"):
        await gateway.transfer(
            destination="acct_1", amount=Money(100, "USD"), idempotency_key="k", group="g"
        )
    await gateway.aclose()


@pytest.mark.parametrize(
    ("status", "error_type", "raised_by_stripe"),
    [
        (400, "invalid_request_error", "InvalidRequestError"),
        (402, "card_error", "CardError"),
        (403, "invalid_request_error", "PermissionError"),
        (400, "idempotency_error", "IdempotencyError"),
    ],
)
async def test_refusals_are_rejected_without_retrying(
    fake_stripe: FakeStripe,
    make_gateway: MakeGateway,
    status: int,
    error_type: str,
    raised_by_stripe: str,
) -> None:
    fake_stripe.reject_next(status, error_type=error_type, message="No such payment_intent")

    with pytest.raises(GatewayRejected, match=raised_by_stripe):
        await make_gateway().refund(
            payment_id="pi_missing",
            amount=Money(100, "USD"),
            idempotency_key="refund:r1",
            order_id=ORDER_ID,
        )

    assert len(fake_stripe.requests) == 1
    assert fake_stripe.created("refund") == []


async def test_a_refused_key_never_shows_in_the_error(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    fake_stripe.reject_next(401, message=f"Invalid API Key provided: {SECRET_KEY}")

    with pytest.raises(GatewayRejected) as refused:
        await make_gateway().create_checkout(checkout_request())

    assert "AuthenticationError" in str(refused.value)
    assert SECRET_KEY not in str(refused.value)


async def test_a_key_reused_for_another_request_is_rejected(
    fake_stripe: FakeStripe, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway()
    account = await gateway.create_payout_account(user_id=uuid4(), email="t@example.com")
    await gateway.transfer(
        destination=account, amount=Money(100, "USD"), idempotency_key="payout:w9", group="g"
    )

    with pytest.raises(GatewayRejected, match="IdempotencyError"):
        await gateway.transfer(
            destination=account, amount=Money(999, "USD"), idempotency_key="payout:w9", group="g"
        )
    assert len(fake_stripe.created("transfer")) == 1


def test_one_gateway_serves_successive_event_loops(fake_stripe: FakeStripe) -> None:
    # CLI commands and tests each run their own loop; the gateway outlives them.
    gateway = StripePaymentGateway(SECRET_KEY, api_base=fake_stripe.url)

    async def look_up(then_close: bool) -> str | None:
        found = await gateway.find_transfer(group="nothing")
        if then_close:
            await gateway.aclose()
        return found

    # The first loop ends without closing, as a careless caller's would.
    assert asyncio.run(look_up(then_close=False)) is None
    assert asyncio.run(look_up(then_close=True)) is None

    assert len(fake_stripe.requests) == 2


# ---- the webhook verifier -----------------------------------------------------------------------
def verifier_at(now: float) -> StripeWebhookVerifier:
    return StripeWebhookVerifier(WEBHOOK_SECRET, FixedClock(datetime.fromtimestamp(now, UTC)))


PI = "pi_3Pxyz"
SESSION = "cs_test_a1"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            checkout_completed_event("evt_1", ORDER_ID, SESSION, PI, 4999, "usd"),
            ProviderEvent(
                id="evt_1",
                type=CHECKOUT_COMPLETED,
                order_id=ORDER_ID,
                session_id=SESSION,
                payment_id=PI,
                amount=4999,
                currency="USD",
            ),
        ),
        (
            checkout_expired_event("evt_2", ORDER_ID, SESSION, 4999, "usd"),
            ProviderEvent(
                id="evt_2",
                type=CHECKOUT_EXPIRED,
                order_id=ORDER_ID,
                session_id=SESSION,
                amount=4999,
                currency="USD",
                paid=False,
            ),
        ),
        (
            payment_intent_succeeded_event("evt_3", ORDER_ID, PI, 4999, "usd"),
            ProviderEvent(
                id="evt_3",
                type=PAYMENT_SUCCEEDED,
                order_id=ORDER_ID,
                payment_id=PI,
                amount=4999,
                currency="USD",
            ),
        ),
        (
            payment_failed_event("evt_4", ORDER_ID, PI, 4999, "jpy", "Insufficient funds."),
            ProviderEvent(
                id="evt_4",
                type=PAYMENT_FAILED,
                order_id=ORDER_ID,
                payment_id=PI,
                amount=4999,
                currency="JPY",
                failure="Insufficient funds.",
            ),
        ),
        (
            charge_refunded_event("evt_5", ORDER_ID, PI, 4999, 1500, "usd"),
            ProviderEvent(
                id="evt_5",
                type=CHARGE_REFUNDED,
                order_id=ORDER_ID,
                payment_id=PI,
                amount=4999,
                amount_refunded=1500,
                currency="USD",
            ),
        ),
        (
            stripe_event("evt_6", "customer.created", {"id": "cus_1", "object": "customer"}),
            ProviderEvent(id="evt_6", type="customer.created"),
        ),
        (
            checkout_completed_event("evt_7", "order-42", SESSION, PI, 100, "usd"),
            ProviderEvent(
                id="evt_7",
                type=CHECKOUT_COMPLETED,
                order_id=None,
                session_id=SESSION,
                payment_id=PI,
                amount=100,
                currency="USD",
            ),
        ),
    ],
    ids=["completed", "expired", "succeeded", "failed", "refunded", "other", "foreign-order"],
)
def test_a_signed_event_is_read(payload: bytes, expected: ProviderEvent) -> None:
    now = int(time.time())

    event = verifier_at(now).verify(payload, sign_webhook(payload, WEBHOOK_SECRET, now))

    assert event == expected


def test_the_order_comes_from_client_reference_id_without_metadata() -> None:
    now = int(time.time())
    payload = stripe_event(
        "evt_8",
        CHECKOUT_COMPLETED,
        {"id": SESSION, "client_reference_id": str(ORDER_ID), "metadata": {}},
    )

    event = verifier_at(now).verify(payload, sign_webhook(payload, WEBHOOK_SECRET, now))

    assert event.order_id == ORDER_ID


EVENT = checkout_completed_event("evt_1", ORDER_ID, SESSION, PI, 4999, "usd")


def _tampered(now: int) -> tuple[bytes, str | None]:
    return EVENT.replace(b"4999", b"4900"), sign_webhook(EVENT, WEBHOOK_SECRET, now)


@pytest.mark.parametrize(
    "forge",
    [
        _tampered,
        lambda now: (EVENT, sign_webhook(EVENT, "whsec_someone_else", now)),
        lambda now: (EVENT, None),
        lambda now: (EVENT, ""),
        lambda now: (EVENT, "v1=" + sign_webhook(EVENT, WEBHOOK_SECRET, now).split("v1=")[1]),
        lambda now: (EVENT, f"t={now},v0=abc"),
        lambda now: (EVENT, sign_webhook(EVENT, WEBHOOK_SECRET, now - 301)),
        lambda now: (EVENT, sign_webhook(EVENT, WEBHOOK_SECRET, now + 301)),
        lambda now: (b"not json", sign_webhook(b"not json", WEBHOOK_SECRET, now)),
        lambda now: (b"[1, 2]", sign_webhook(b"[1, 2]", WEBHOOK_SECRET, now)),
        lambda now: (b'{"type": "x"}', sign_webhook(b'{"type": "x"}', WEBHOOK_SECRET, now)),
        lambda now: (b"\xff\xfe", f"t={now},v1=00"),
        lambda now: _signed(stripe_event("evt_9", CHECKOUT_COMPLETED, {"amount_total": "1"}), now),
        lambda now: _signed(stripe_event("evt_9", PAYMENT_SUCCEEDED, {"amount": -1}), now),
        lambda now: _signed(b'{"id": "evt_9", "type": "charge.refunded", "data": 1}', now),
    ],
    ids=[
        "tampered-body",
        "wrong-secret",
        "no-header",
        "empty-header",
        "no-timestamp",
        "other-scheme",
        "301s-old",
        "301s-ahead",
        "not-json",
        "not-an-object",
        "no-id",
        "not-utf8",
        "amount-not-int",
        "negative-amount",
        "no-data-object",
    ],
)
def test_an_untrustworthy_webhook_is_refused(
    forge: Callable[[int], tuple[bytes, str | None]],
) -> None:
    now = int(time.time())
    payload, signature = forge(now)

    with pytest.raises(InvalidWebhook):
        verifier_at(now).verify(payload, signature)


def _signed(payload: bytes, now: int) -> tuple[bytes, str]:
    return payload, sign_webhook(payload, WEBHOOK_SECRET, now)


@pytest.mark.parametrize("skew", [-299, -300, 299, 300])
def test_a_timestamp_within_tolerance_either_way_is_accepted(skew: int) -> None:
    now = int(time.time())

    event = verifier_at(now).verify(EVENT, sign_webhook(EVENT, WEBHOOK_SECRET, now + skew))

    assert event.id == "evt_1"


def test_the_clock_not_the_machine_judges_the_age() -> None:
    # A clock three days behind the machine: the library's own check (time.time()) would call
    # the first event stale; by the clock it is fresh and the second comes from the future.
    earlier = int(time.time()) - int(timedelta(days=3).total_seconds())
    verifier = verifier_at(earlier)

    accepted = verifier.verify(EVENT, sign_webhook(EVENT, WEBHOOK_SECRET, earlier - 10))
    with pytest.raises(InvalidWebhook):
        verifier.verify(EVENT, sign_webhook(EVENT, WEBHOOK_SECRET, int(time.time())))

    assert accepted.id == "evt_1"
