"""Refunds: money given back on a payment, full or partial.

The ledger moves first, in the transaction that records the refund as pending: the refund's
money is spoken for before the provider is asked, so two refunds at once can never give back
more than was paid, and a tutor's balance is taken while it is there. The provider call carries
``refund:{refund_id}`` as its idempotency key; if the provider refuses for good, a reversing
entry puts everything back. A refund whose call never came back is retried by a periodic job
with the same key.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.billing.deps import (
    BillingDeps,
    OrderNotFound,
)
from elearn.application.billing.ports import (
    BillingUnitOfWork,
    GatewayRejected,
    GatewayUnavailable,
    RefundView,
)
from elearn.application.errors import FieldError, InvalidInput, NotFound
from elearn.domain.billing import postings
from elearn.domain.billing.ledger import AccountKind, EntryKind, Line
from elearn.domain.billing.order import (
    MAX_REASON,
    ItemKind,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentRefunded,
    Refund,
    RefundStatus,
)
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.money import Money

logger = logging.getLogger(__name__)

# A card refund pending this long lost its provider call (a crash, a timeout): try it again.
STALE_REFUND = timedelta(minutes=5)


class RefundNotFound(NotFound):
    code = "refund-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such refund")


class RefundCurrencyMismatch(InvalidInput):
    """A refund asked for in a currency other than the payment's: money goes back in the
    currency it came in."""

    code = "currency-mismatch"

    def __init__(self, paid_in: str) -> None:
        super().__init__(
            f"the payment was made in {paid_in}, so it is refunded in {paid_in}",
            errors=[FieldError("amount.currency", f"is {paid_in}, the payment's currency")],
        )


async def apply_refund(
    deps: BillingDeps,
    uow: BillingUnitOfWork,
    order: Order,
    refund: Refund,
    *,
    already: int,
    spent_credits_covered: bool = False,
) -> None:
    """Posts the refund's reversal: ``already`` is what was refunded or is being refunded on the
    order before this one. The tutor's part comes back from pending first, then available; what
    their balance cannot cover, platform revenue bears, and the refund records how much.

    A top-up's refund takes its credits back out of the wallet, so credits already spent refuse
    it; with ``spent_credits_covered`` (the provider refunded the card already, so the money is
    gone either way) the platform bears what the wallet no longer holds."""
    currency = order.amount.currency
    if order.kind is ItemKind.WALLET_TOPUP:
        covered = 0
        if spent_credits_covered:
            account = postings.wallet(order.buyer_id, currency)
            held = (await uow.billing.ledger.balances([account], for_update=True))[account]
            covered = max(0, refund.amount.amount - max(held, 0))
        lines = postings.topup_refund(order.buyer_id, refund.amount, platform_covers=covered)
    else:
        split = order.refund_split(refund.amount, already=Money(already, currency))
        pending = available = 0
        if order.payee_id is not None:
            pending_account = postings.tutor_account(
                AccountKind.TUTOR_PENDING, order.payee_id, currency
            )
            available_account = postings.tutor_account(
                AccountKind.TUTOR_AVAILABLE, order.payee_id, currency
            )
            balances = await uow.billing.ledger.balances(
                [pending_account, available_account], for_update=True
            )
            pending, available = balances[pending_account], balances[available_account]
        posting = postings.refund(
            destination=(
                postings.clearing(currency)
                if order.method is PaymentMethod.CARD
                else postings.wallet(order.buyer_id, currency)
            ),
            amount=refund.amount,
            platform_back=split.platform,
            tutor_back=split.tutor,
            tutor_id=order.payee_id,
            pending=pending,
            available=available,
        )
        lines, covered = posting.lines, posting.platform_covered
    await deps.post(
        uow,
        key=f"refund:{refund.id}",
        kind=EntryKind.REFUND,
        lines=lines,
        memo=f"platform covered {covered}" if covered else "",
        reference_id=order.id,
    )
    refund.platform_covered = covered


async def complete_refund(
    deps: BillingDeps,
    uow: BillingUnitOfWork,
    order: Order,
    refund: Refund,
    *,
    provider_refund_id: str | None,
) -> None:
    """The money went back: the order counts it, and a course refunded in full is taken back."""
    now = deps.clock.now()
    order.record_refund(refund.amount)
    refund.succeed(now, provider_refund_id=provider_refund_id, covered=refund.platform_covered)
    uow.publish(
        PaymentRefunded(
            event_id=deps.ids.new_id(),
            occurred_at=now,
            refund_id=refund.id,
            order_id=order.id,
            buyer_id=order.buyer_id,
            amount=refund.amount.amount,
            currency=refund.amount.currency,
        )
    )
    if order.status is OrderStatus.REFUNDED and order.course_id is not None:
        if await deps.learning.has_access(uow, order.buyer_id, order.course_id):
            await deps.learning.revoke_enrollment(
                uow, order.buyer_id, order.course_id, reason="refunded"
            )


async def _undo_refund(
    deps: BillingDeps, uow: BillingUnitOfWork, refund: Refund, reason: str
) -> None:
    entry = await uow.billing.ledger.find(f"refund:{refund.id}")
    if entry is not None:
        await deps.post(
            uow,
            key=f"refund:{refund.id}:reversed",
            kind=EntryKind.REFUND,
            lines=tuple(Line(line.account, -line.amount) for line in entry.lines),
            memo="the provider refused the refund",
            reference_id=refund.order_id,
        )
    refund.fail(deps.clock.now(), reason)


async def start_refund(
    deps: BillingDeps,
    uow: BillingUnitOfWork,
    order: Order,
    amount: Money,
    *,
    reason: str,
    requested_by: UUID | None,
) -> Refund:
    """Gives ``amount`` back on a paid order (locked by the caller), in its transaction: the
    refund is recorded and the ledger reversed at once; credits are back in the wallet at once,
    a card refund stays pending until the provider is asked after commit (``SettleCardRefund``,
    or the retry job)."""
    pending = await uow.billing.refunds.pending_amount(order.id)
    order.check_refund(amount)
    order.check_refund(amount + Money(pending, amount.currency))
    refund = Refund(
        id=deps.ids.new_id(),
        order_id=order.id,
        amount=amount,
        reason=reason,
        created_at=deps.clock.now(),
        requested_by=requested_by,
    )
    await uow.billing.refunds.add(refund)
    await apply_refund(deps, uow, order, refund, already=order.refunded_amount + pending)
    if order.method is not PaymentMethod.CARD:
        await complete_refund(deps, uow, order, refund, provider_refund_id=None)
    return refund


class RefundPayment:
    """An admin gives money back on a payment: all that is left of it, or ``amount``, which is
    in the payment's currency."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, order_id: UUID, *, amount: Money | None, reason: str
    ) -> RefundView:
        deps = self._deps
        admin_id = deps.authorizer.require(actor, Permission.REFUND_PAYMENT)
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(
                "say why the payment is refunded",
                errors=[FieldError("reason", f"is 1 to {MAX_REASON} characters")],
            )
        async with deps.uow() as uow:
            order = await uow.billing.orders.get(order_id, for_update=True)
            if order is None:
                raise OrderNotFound()
            currency = order.amount.currency
            if amount is None:
                pending = await uow.billing.refunds.pending_amount(order.id)
                wanted = order.refundable - Money(pending, currency)
            elif amount.currency != currency:
                raise RefundCurrencyMismatch(currency)
            else:
                wanted = amount
            refund = await start_refund(
                deps, uow, order, wanted, reason=reason, requested_by=admin_id
            )
            by_card = refund.status is RefundStatus.PENDING
            deps.audit(
                uow,
                actor,
                AuditAction.PAYMENT_REFUNDED,
                target_type="order",
                target_id=order.id,
                refund_id=str(refund.id),
                amount=wanted.amount,
                currency=currency,
                reason=reason,
            )
            await uow.commit()
        if by_card:
            await SettleCardRefund(deps)(refund.id)
        return await _view(deps, refund.id)


class SettleCardRefund:
    """Asks the provider to give a pending card refund back, and records what it said. Safe to
    run again for the same refund: the provider call's key is ``refund:{refund_id}``."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(self, refund_id: UUID) -> None:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            refund = await uow.billing.refunds.get(refund_id)
            order = await uow.billing.orders.get(refund.order_id) if refund else None
        if refund is None or order is None or refund.status is not RefundStatus.PENDING:
            return
        if not order.provider_payment_id:
            await self._finish(refund_id, refused="the payment has no provider reference")
            return
        try:
            result = await deps.gateway.refund(
                payment_id=order.provider_payment_id,
                amount=refund.amount,
                idempotency_key=f"refund:{refund.id}",
                order_id=order.id,
            )
        except GatewayRejected as error:
            await self._finish(refund_id, refused=str(error) or "refused by the provider")
            return
        except GatewayUnavailable as error:
            logger.warning("refund %s stays pending: %s", refund_id, error)
            return
        if result.status == "failed":
            await self._finish(refund_id, refused="the provider could not refund the payment")
        else:
            await self._finish(refund_id, provider_refund_id=result.refund_id)

    async def _finish(
        self, refund_id: UUID, *, provider_refund_id: str | None = None, refused: str | None = None
    ) -> None:
        deps = self._deps
        async with deps.uow() as uow:
            refund = await uow.billing.refunds.get(refund_id, for_update=True)
            if refund is None or refund.status is not RefundStatus.PENDING:
                return
            order = await uow.billing.orders.get(refund.order_id, for_update=True)
            assert order is not None
            if refused is not None:
                await _undo_refund(deps, uow, refund, refused)
            else:
                await complete_refund(
                    deps, uow, order, refund, provider_refund_id=provider_refund_id
                )
            await uow.commit()


async def retry_stale_refunds(deps: BillingDeps, *, limit: int = 50) -> int:
    """The periodic job: card refunds whose provider call never came back, asked again."""
    async with deps.uow(read_only=True) as uow:
        stale = await uow.billing.refunds.stale_pending(
            deps.clock.now() - STALE_REFUND, limit=limit
        )
    settle = SettleCardRefund(deps)
    for refund in stale:
        await settle(refund.id)
    return len(stale)


async def _view(deps: BillingDeps, refund_id: UUID) -> RefundView:
    view = await deps.queries.refund(refund_id)
    if view is None:
        raise RefundNotFound()
    return view
