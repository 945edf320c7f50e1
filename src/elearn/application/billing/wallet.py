"""The student's credit wallet: balances, its history, and buying a course with credits."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.billing import deps as billing
from elearn.application.billing.checkout import capture
from elearn.application.billing.deps import BillingDeps
from elearn.application.billing.ports import LedgerLineView
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.billing import postings
from elearn.domain.billing.ledger import AccountKind
from elearn.domain.billing.order import ItemKind, Order, PaymentMethod
from elearn.domain.shared.money import Money


@dataclass(frozen=True, slots=True)
class CreditPurchase:
    order_id: UUID
    course_id: UUID
    amount: Money
    status: str


class GetWallet:
    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> Page[Money]:
        """One balance per currency the wallet holds credits in: a page, as every list is,
        that always holds them all (a handful of currencies at most)."""
        return Page(await self._deps.queries.wallet(require_signed_in(actor)), next_cursor=None)


class ListWalletTransactions:
    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> Page[LedgerLineView]:
        user_id = require_signed_in(actor)
        check_limit(limit)
        return await page_of(
            self._deps.queries.account_lines(
                user_id, (AccountKind.STUDENT_WALLET.value,), limit=limit, cursor=cursor
            )
        )


class PurchaseWithCredits:
    """Buys a course with wallet credits: the balance check, the ledger entry and the
    enrollment in one transaction. The wallet's balance is locked while it is checked, so
    purchases at once can never spend the same credits twice."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, *, idempotency_key: str | None = None
    ) -> CreditPurchase:
        deps = self._deps
        buyer_id = require_signed_in(actor)
        claim = billing.idempotency_claim(
            buyer_id, "purchase-with-credits", idempotency_key, str(course_key)
        )
        async with deps.uow() as uow:
            done = await billing.replay(uow, claim, CreditPurchase, deps.clock.now())
            if done is not None:
                return done
            # Whether they own it is asked once, below, under the wallet's lock.
            course = await deps.course_to_buy(uow, actor, course_key, check_owned=False)
            assert course.price is not None
            # The wallet's lock lines up this buyer's purchases; once it is held, an enrollment
            # bought by a purchase that went first is visible and refused below.
            await uow.billing.ledger.balances(
                [postings.wallet(buyer_id, course.price.currency)], for_update=True
            )
            await deps.require_not_owned(uow, buyer_id, course.id)
            order = Order(
                id=deps.ids.new_id(),
                buyer_id=buyer_id,
                kind=ItemKind.COURSE,
                method=PaymentMethod.CREDITS,
                amount=course.price,
                created_at=deps.clock.now(),
                platform_bps=deps.policy.platform_bps,
                course_id=course.id,
                payee_id=course.owner_id,
            )
            await uow.billing.orders.add(order)
            await capture(deps, uow, order, payment_id=None)
            result = CreditPurchase(
                order_id=order.id,
                course_id=course.id,
                amount=order.amount,
                status=order.status.value,
            )
            await billing.remember(uow, claim, result)
            await uow.commit()
        return result
