"""What other contexts may call of billing: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on billing's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar
from uuid import UUID

from elearn.application.billing import deps as billing
from elearn.application.billing.checkout import (
    ReturnUrls,
    capture,
    check_return_urls,
    checkout_page,
)
from elearn.application.billing.deps import BillingDeps
from elearn.application.billing.earnings import release_order_earnings
from elearn.application.billing.ports import (
    BillingUnitOfWork,
    EarningsView,
    Fulfilment,
    IdempotencyClaim,
    NotFulfilled,
    PaidOrder,
)
from elearn.application.billing.refunds import SettleCardRefund, start_refund
from elearn.application.ports import Transaction
from elearn.domain.billing.order import (
    ItemKind,
    Order,
    OrderPaid,
    OrderStatus,
    PaymentMethod,
    PaymentRefunded,
    RefundStatus,
)
from elearn.domain.billing.withdrawal import WithdrawalApproved, WithdrawalFailed, WithdrawalPaid
from elearn.domain.shared.money import Money

__all__ = [
    "BillingApi",
    "EarningsView",
    "Fulfilment",
    "IdempotencyClaim",
    "ItemKind",
    "NotFulfilled",
    "OrderPaid",
    "PaidOrder",
    "PaymentRefunded",
    "ReturnUrls",
    "WithdrawalApproved",
    "WithdrawalFailed",
    "WithdrawalPaid",
]

T = TypeVar("T")


class BillingApi:
    """Billing as other contexts see it, built by the composition root from its deps."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    # ---- a tutor's earnings (analytics' instructor dashboard) ----------------------------------
    async def earnings(self, tutor_id: UUID) -> list[EarningsView]:
        """Pending, available, on hold, earned and paid out, per currency, from the ledger."""
        return await self._deps.queries.earnings(tutor_id)

    # ---- idempotent requests (tutoring's bookings keep their keys with billing's) -------------
    def idempotency_claim(
        self, user_id: UUID, scope: str, key: str | None, fingerprint: str
    ) -> IdempotencyClaim | None:
        return billing.idempotency_claim(user_id, scope, key, fingerprint)

    async def replay(
        self,
        transaction: Transaction,
        claim: IdempotencyClaim | None,
        result_type: type[T],
        now: datetime,
    ) -> T | None:
        """The first result stored under the claim's key, or None after taking the key for the
        caller's transaction (which then does the work and stores its result with ``remember``)."""
        return await billing.replay(_billing(transaction), claim, result_type, now)

    async def remember(
        self, transaction: Transaction, claim: IdempotencyClaim | None, result: object
    ) -> None:
        await billing.remember(_billing(transaction), claim, result)

    # ---- fulfilment (what another context gives once its kind of order is paid) --------------
    def register_fulfilment(self, kind: ItemKind, fulfilment: Fulfilment) -> None:
        self._deps.fulfilments[kind] = fulfilment

    # ---- paying for a booking, and what happens to the money after (tutoring) -----------------
    async def pay_for_booking(
        self,
        transaction: Transaction,
        *,
        booking_id: UUID,
        buyer_id: UUID,
        tutor_id: UUID,
        price: Money,
        method: Literal["card", "credits"],
        order_id: UUID | None,
        return_to: ReturnUrls | None = None,
    ) -> UUID:
        """The order paying for a held booking: ``order_id`` (the booking's last one) again while
        it waits for a payment by the same method, else a new one. Credits are taken at once,
        so the booking's fulfilment runs inside this call; a card order waits for its checkout
        (``checkout_url``, after commit), whose page sends the buyer back to ``return_to`` (on
        an allowed origin, else 422; an order reused keeps the URLs it was opened with)."""
        deps = self._deps
        return_to = check_return_urls(return_to, deps.policy.return_origins)
        uow = _billing(transaction)
        order = await uow.billing.orders.get(order_id) if order_id else None
        if (
            order is not None
            and order.method is PaymentMethod(method)
            and order.status is OrderStatus.PENDING
        ):
            return order.id
        order = Order(
            id=deps.ids.new_id(),
            buyer_id=buyer_id,
            kind=ItemKind.BOOKING,
            method=PaymentMethod(method),
            amount=price,
            created_at=deps.clock.now(),
            platform_bps=deps.policy.platform_bps,
            booking_id=booking_id,
            payee_id=tutor_id,
            success_url=return_to.success_url,
            cancel_url=return_to.cancel_url,
        )
        await uow.billing.orders.add(order)
        if order.method is PaymentMethod.CREDITS:
            await capture(deps, uow, order, payment_id=None)
        return order.id

    async def checkout_url(self, order_id: UUID) -> str:
        """The provider's checkout page for a card order, opened if it is not yet (in billing's
        own transactions: call it after the caller's commit)."""
        return (await checkout_page(self._deps, order_id)).checkout_url

    async def refund_by_policy(
        self,
        transaction: Transaction,
        order_id: UUID,
        *,
        refund_due: Callable[[Money], Money],
        reason: str,
        requested_by: UUID | None,
    ) -> UUID | None:
        """Gives back ``refund_due(what was paid)`` on a paid order (card back to card, credits
        back to the wallet) and makes the rest of the payee's share available: what was paid
        for will not be given, so nothing is left to wait for. Answers a card refund the caller
        settles after its commit (``settle_card_refund``); an order not paid changes nothing."""
        deps = self._deps
        uow = _billing(transaction)
        order = await uow.billing.orders.get(order_id, for_update=True)
        if order is None or not order.is_paid:
            return None
        refund_id = None
        amount = refund_due(order.amount)
        if amount.is_positive:
            refund = await start_refund(
                deps, uow, order, amount, reason=reason, requested_by=requested_by
            )
            if refund.status is RefundStatus.PENDING:
                refund_id = refund.id
        await release_order_earnings(deps, uow, order)
        return refund_id

    async def release_earnings(self, transaction: Transaction, order_id: UUID) -> None:
        """What was paid for was given: the payee's share of a paid order becomes available."""
        uow = _billing(transaction)
        order = await uow.billing.orders.get(order_id, for_update=True)
        if order is not None and order.is_paid:
            await release_order_earnings(self._deps, uow, order)

    async def settle_card_refund(self, refund_id: UUID) -> None:
        """Asks the provider for a pending card refund (in billing's own transactions)."""
        await SettleCardRefund(self._deps)(refund_id)


def _billing(uow: Transaction) -> BillingUnitOfWork:
    """The caller's transaction with this context's stores. (mypy refuses a Protocol where a
    ``type[...]`` is expected; here the class only names the stores, it is never built.)"""
    return uow.as_context(BillingUnitOfWork)  # type: ignore[type-abstract]
