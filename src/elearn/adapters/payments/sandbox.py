"""The sandbox payment gateway: the embedded default, with no keys and no money.

Its checkout page is served by the app itself (``/sandbox/checkout/{order_id}``); the page's
buttons feed the same event path a Stripe webhook does. Refunds, payout accounts and transfers
succeed at once, with ids derived from the idempotency key, so repeating a call creates nothing
new, as at Stripe.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from elearn.application.billing.ports import CheckoutRequest, CheckoutSession, ProviderRefund
from elearn.domain.shared.money import Money


def _id(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class SandboxPaymentGateway:
    def __init__(self, public_url: str) -> None:
        self._base = public_url.rstrip("/")

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        return CheckoutSession(
            session_id=_id("sandbox_cs", request.idempotency_key),
            url=f"{self._base}/sandbox/checkout/{request.order_id}",
        )

    async def refund(
        self, *, payment_id: str, amount: Money, idempotency_key: str, order_id: UUID
    ) -> ProviderRefund:
        return ProviderRefund(refund_id=_id("sandbox_re", idempotency_key), status="succeeded")

    async def create_payout_account(self, *, user_id: UUID, email: str) -> str:
        return _id("sandbox_acct", str(user_id))

    async def onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        # Nothing to fill in: the sandbox account can be paid at once.
        return return_url

    async def find_transfer(self, *, group: str) -> str | None:
        # Transfers are derived from their key, so making one again is already harmless.
        return None

    async def transfer(
        self, *, destination: str, amount: Money, idempotency_key: str, group: str
    ) -> str:
        return _id("sandbox_tr", idempotency_key)

    async def aclose(self) -> None:
        return None
