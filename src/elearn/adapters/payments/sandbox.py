"""The sandbox payment gateway: the embedded default, with no keys and no money.

Its checkout page is served by the app itself (``/sandbox/checkout/{order_id}?token=...``); the
page's buttons feed the same event path a Stripe webhook does. Like a provider's checkout
address, the link checkout hands out cannot be made up from an order id: its token is an HMAC
of the order id, good until a day after the order was made (``HmacSandboxCheckoutLinks``).
Refunds, payout accounts and transfers succeed at once, with ids derived from the idempotency
key, so repeating a call creates nothing new, as at Stripe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from uuid import UUID

from elearn.application.billing.ports import (
    CheckoutRequest,
    CheckoutSession,
    ProviderRefund,
    SandboxCheckoutLinks,
)
from elearn.application.ports import Clock
from elearn.domain.shared.money import Money

# As long as a provider's hosted checkout stays open for a buyer who wanders off and comes back.
SANDBOX_LINK_LIFETIME = timedelta(hours=24)
_PURPOSE = b"elearn sandbox checkout link v1"
_MAX_TOKEN_CHARS = 128


def _id(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class HmacSandboxCheckoutLinks:
    """Tokens: the base64url HMAC-SHA256 of the order id, keyed with a key derived from the
    application secret for this purpose only; valid until ``lifetime`` after the order was
    made."""

    def __init__(
        self, secret: str | bytes, clock: Clock, lifetime: timedelta = SANDBOX_LINK_LIFETIME
    ) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        self._key = hmac.new(raw, _PURPOSE, hashlib.sha256).digest()
        self._clock = clock
        self._lifetime = lifetime

    def link_token(self, order_id: UUID) -> str:
        digest = hmac.new(self._key, str(order_id).encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def verify(self, order_id: UUID, token: str | None, *, order_created_at: datetime) -> bool:
        if not token or len(token) > _MAX_TOKEN_CHARS or not token.isascii():
            return False
        if not hmac.compare_digest(self.link_token(order_id), token):
            return False
        return self._clock.now() < order_created_at + self._lifetime


class SandboxPaymentGateway:
    def __init__(self, public_url: str, links: SandboxCheckoutLinks) -> None:
        self._base = public_url.rstrip("/")
        self._links = links

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        token = self._links.link_token(request.order_id)
        return CheckoutSession(
            session_id=_id("sandbox_cs", request.idempotency_key),
            url=f"{self._base}/sandbox/checkout/{request.order_id}?token={token}",
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
