"""The payment gateway on Stripe: hosted Checkout for one-time payments, refunds, and payouts to
tutors through Connect Express accounts and transfers.

Every call that creates money or an account sends an idempotency key built from our own ids.
The stripe library retries network errors, timeouts, 409 conflicts and 5xx answers itself
(``max_network_retries``, exponential backoff from 0.5 s) and sends the request's idempotency
key again on every attempt, so Stripe answers a retry with whatever the first attempt made. What
still fails after those retries becomes ``GatewayUnavailable`` (the caller may try again later,
with the same key); a refusal becomes ``GatewayRejected``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from typing import Any, Final, TypeVar
from uuid import UUID

import stripe

from elearn.application.billing.ports import (
    CheckoutRequest,
    CheckoutSession,
    GatewayRejected,
    GatewayUnavailable,
    ProviderRefund,
)
from elearn.domain.shared.money import Money

__all__ = ["StripePaymentGateway"]

T = TypeVar("T")

# Worth trying again later with the same key: the network, Stripe's own trouble (5xx, and 409
# for a request with the same key still in flight) and its rate limit. The library has already
# retried all of these but 429, which it only retries when Stripe says so.
_TRANSIENT_ERRORS: Final = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)

# Stripe's refund states reduced to the three billing knows. "requires_action" and any state
# Stripe adds later are still on their way; a canceled refund will never pay out.
_REFUND_STATUSES: Final = {
    "succeeded": "succeeded",
    "pending": "pending",
    "failed": "failed",
    "canceled": "failed",
}


class StripePaymentGateway:
    """``PaymentGateway`` on Stripe's API.

    ``api_base`` points every Stripe host (api, connect, files) elsewhere, for a fake server in
    tests. ``timeout_seconds`` bounds each HTTP attempt; ``max_network_retries`` is how many
    more attempts the library makes after a transient failure. The HTTP client belongs to one
    event loop, so a gateway used from another loop (a CLI command, a test) builds its own.
    """

    __slots__ = ("_api_base", "_bound", "_max_network_retries", "_secret_key", "_timeout")

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 3,
        timeout_seconds: float = 20.0,
    ) -> None:
        if not secret_key:
            raise ValueError("StripePaymentGateway needs a secret key")
        if max_network_retries < 0:
            raise ValueError("max_network_retries cannot be negative")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._secret_key = secret_key
        self._api_base = api_base.rstrip("/") if api_base else None
        self._max_network_retries = max_network_retries
        self._timeout = timeout_seconds
        self._bound: (
            tuple[weakref.ref[asyncio.AbstractEventLoop], stripe.StripeClient, stripe.HTTPXClient]
            | None
        ) = None

    # ---- PaymentGateway ---------------------------------------------------------------------
    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        order_id = str(request.order_id)
        session = await self._call(
            "checkout",
            self._client().v1.checkout.sessions.create_async(
                params={
                    "mode": "payment",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": request.amount.currency.lower(),
                                "unit_amount": request.amount.amount,
                                "product_data": {"name": request.description},
                            },
                        }
                    ],
                    "customer_email": request.buyer_email,
                    "success_url": request.success_url,
                    "cancel_url": request.cancel_url,
                    "client_reference_id": order_id,
                    "metadata": {"order_id": order_id},
                    # The payment intent carries the order too: its events and its charge's
                    # refunds name the payment, not the session.
                    "payment_intent_data": {"metadata": {"order_id": order_id}},
                },
                options={"idempotency_key": request.idempotency_key},
            ),
        )
        return CheckoutSession(
            session_id=_text(session, "id", "checkout"), url=_text(session, "url", "checkout")
        )

    async def refund(
        self, *, payment_id: str, amount: Money, idempotency_key: str, order_id: UUID
    ) -> ProviderRefund:
        refund = await self._call(
            "refund",
            self._client().v1.refunds.create_async(
                params={
                    "payment_intent": payment_id,
                    "amount": amount.amount,
                    "metadata": {"order_id": str(order_id)},
                },
                options={"idempotency_key": idempotency_key},
            ),
        )
        status = _REFUND_STATUSES.get(_text(refund, "status", "refund"), "pending")
        return ProviderRefund(refund_id=_text(refund, "id", "refund"), status=status)

    async def create_payout_account(self, *, user_id: UUID, email: str) -> str:
        account = await self._call(
            "payout account",
            self._client().v1.accounts.create_async(
                params={
                    "type": "express",
                    "email": email,
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": {"user_id": str(user_id)},
                },
                options={"idempotency_key": f"payout-account:{user_id}"},
            ),
        )
        return _text(account, "id", "payout account")

    async def onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        # No key of ours: a link is single-use and expires within minutes, so replaying the one
        # stored under a key would hand out a dead link, and a second link costs nothing. The
        # library makes up a key for this one request so that its own retries stay idempotent.
        link = await self._call(
            "onboarding link",
            self._client().v1.account_links.create_async(
                params={
                    "account": account_id,
                    "type": "account_onboarding",
                    "return_url": return_url,
                    "refresh_url": refresh_url,
                }
            ),
        )
        return _text(link, "url", "onboarding link")

    async def find_transfer(self, *, group: str) -> str | None:
        transfers = await self._call(
            "transfer lookup",
            self._client().v1.transfers.list_async(params={"transfer_group": group, "limit": 1}),
        )
        found = _field(transfers, "data")
        if not isinstance(found, list):
            raise GatewayUnavailable("Stripe transfer lookup: the answer is not a list")
        return _text(found[0], "id", "transfer lookup") if found else None

    async def transfer(
        self, *, destination: str, amount: Money, idempotency_key: str, group: str
    ) -> str:
        transfer = await self._call(
            "transfer",
            self._client().v1.transfers.create_async(
                params={
                    "amount": amount.amount,
                    "currency": amount.currency.lower(),
                    "destination": destination,
                    "transfer_group": group,
                    "metadata": {"transfer_group": group},
                },
                options={"idempotency_key": idempotency_key},
            ),
        )
        return _text(transfer, "id", "transfer")

    # ---- lifecycle --------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Closes the HTTP connections of the current event loop's client."""
        if self._bound is not None:
            _, _, http_client = self._bound
            self._bound = None
            await http_client.close_async()

    # ---- plumbing ---------------------------------------------------------------------------
    def _client(self) -> stripe.StripeClient:
        loop = asyncio.get_running_loop()
        if self._bound is None or self._bound[0]() is not loop:
            # httpx's pooled connections belong to the loop that opened them; reusing them from
            # another loop fails, so each loop gets its own client.
            http_client = stripe.HTTPXClient(timeout=self._timeout)
            client = stripe.StripeClient(
                self._secret_key,
                base_addresses=(
                    {"api": self._api_base, "connect": self._api_base, "files": self._api_base}
                    if self._api_base
                    else None
                ),
                max_network_retries=self._max_network_retries,
                http_client=http_client,
            )
            self._bound = (weakref.ref(loop), client, http_client)
        return self._bound[1]

    async def _call(self, operation: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except _TRANSIENT_ERRORS as error:
            raise GatewayUnavailable(self._describe(operation, error)) from error
        except stripe.StripeError as error:
            raise GatewayRejected(self._describe(operation, error)) from error

    def _describe(self, operation: str, error: stripe.StripeError) -> str:
        details = [type(error).__name__]
        if error.http_status is not None:
            details.append(f"HTTP {error.http_status}")
        if error.code:
            details.append(f"code {error.code}")
        if error.request_id:
            details.append(f"request {error.request_id}")
        message = f"Stripe {operation} failed ({', '.join(details)})"
        if error.user_message:
            # The library's network messages span lines; one line reads better in logs.
            message += ": " + " ".join(str(error.user_message).split())
        # Stripe masks keys in its own messages; this covers anything that echoes one whole.
        return message.replace(self._secret_key, "[redacted]")


def _field(stripe_object: Any, name: str) -> Any:
    # Item access works on every StripeObject, whether or not the version makes it a dict.
    try:
        return stripe_object[name]
    except (KeyError, TypeError, IndexError):
        return None


def _text(stripe_object: Any, name: str, operation: str) -> str:
    value = _field(stripe_object, name)
    if not isinstance(value, str) or not value:
        raise GatewayUnavailable(f"Stripe {operation}: the answer has no {name}")
    return value
