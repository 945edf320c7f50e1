"""A tutor's earnings: pending until cleared, then available to withdraw."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.billing.deps import BillingDeps
from elearn.application.billing.ports import BillingUnitOfWork, EarningsView, LedgerLineView
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.billing import postings
from elearn.domain.billing.ledger import AccountKind, EntryKind
from elearn.domain.billing.order import Order
from elearn.domain.shared.money import Money

logger = logging.getLogger(__name__)

TUTOR_ACCOUNTS = (
    AccountKind.TUTOR_PENDING.value,
    AccountKind.TUTOR_AVAILABLE.value,
    AccountKind.TUTOR_HOLD.value,
)


@dataclass(frozen=True, slots=True)
class EarningsReport:
    balances: list[EarningsView]
    entries: Page[LedgerLineView]


class GetEarnings:
    """Pending, available, on hold, earned and paid out per currency, with the entries behind
    them (newest first)."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> EarningsReport:
        tutor_id = require_signed_in(actor)
        check_limit(limit)
        queries = self._deps.queries
        return EarningsReport(
            balances=await queries.earnings(tutor_id),
            entries=await page_of(
                queries.account_lines(tutor_id, TUTOR_ACCOUNTS, limit=limit, cursor=cursor)
            ),
        )


async def release_order_earnings(deps: BillingDeps, uow: BillingUnitOfWork, order: Order) -> None:
    """Moves what the tutor earned on one sale from pending to available, once: their share
    less what refunds (done or under way) take back, never more than pending holds. A course
    sale's share is released by the clearing job, a lesson's when it is over."""
    if order.payee_id is None or order.earnings_released_at is not None:
        return
    currency = order.amount.currency
    pending_account = postings.tutor_account(AccountKind.TUTOR_PENDING, order.payee_id, currency)
    balances = await uow.billing.ledger.balances([pending_account], for_update=True)
    refunding = order.refunded_amount + await uow.billing.refunds.pending_amount(order.id)
    earned = order.split.tutor - order.fees.tutor_share(Money(refunding, currency))
    amount = min(earned.amount, balances[pending_account])
    if amount > 0:
        await deps.post(
            uow,
            key=f"order:{order.id}:release",
            kind=EntryKind.EARNINGS_RELEASE,
            lines=postings.move(
                order.payee_id,
                Money(amount, currency),
                AccountKind.TUTOR_PENDING,
                AccountKind.TUTOR_AVAILABLE,
            ),
            reference_id=order.id,
        )
    order.release_earnings(deps.clock.now())


async def release_cleared_earnings(deps: BillingDeps, *, batch: int = 100) -> int:
    """The periodic job: a course sale's tutor share moves from pending to available once the
    clearing period has passed since payment. Each batch in its own transaction, orders locked
    (skipped by a job running at once), and each release keyed, so a sale is released once."""
    cutoff = deps.clock.now() - timedelta(days=deps.policy.clearing_days)
    released = 0
    while True:
        async with deps.uow() as uow:
            due = await uow.billing.orders.due_for_release(cutoff, limit=batch)
            for order in due:
                await release_order_earnings(deps, uow, order)
            await uow.commit()
        released += len(due)
        if len(due) < batch:
            return released
