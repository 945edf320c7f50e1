"""Whatever mix of top-ups, credit purchases (bought, refused for too little credit or for a
course owned) and refunds happens, every stored balance of a person's account equals the sum of
its lines, and the trial balance shows every account, the platform's included (which keep no
stored balance: theirs is derived), at the sum of its lines, summing to zero (issue 19).

Random walks from fixed seeds rather than hypothesis: the world is one SQLite database built
once per test, and the invariant is checked after every step of each walk."""

from __future__ import annotations

import random
from uuid import UUID

from sqlalchemy import func, select
from tests.integration.usecases.world import World

from elearn.adapters.persistence.models.billing import JournalLineRow, LedgerAccountRow
from elearn.domain.billing.ledger import AccountKind
from elearn.domain.shared.errors import Conflict, RuleViolation

STEPS = 12
SEEDS = (1, 2, 3)


async def balances_equal_their_lines(world: World) -> None:
    async with world.container.sessions() as session:
        rows = (
            await session.execute(
                select(
                    LedgerAccountRow.kind,
                    LedgerAccountRow.owner_id,
                    LedgerAccountRow.balance,
                    func.coalesce(func.sum(JournalLineRow.amount), 0),
                )
                .join(
                    JournalLineRow, JournalLineRow.account_id == LedgerAccountRow.id, isouter=True
                )
                .group_by(
                    LedgerAccountRow.id,
                    LedgerAccountRow.kind,
                    LedgerAccountRow.owner_id,
                    LedgerAccountRow.balance,
                )
            )
        ).all()
    summed = {(kind, owner_id): int(total) for kind, owner_id, _, total in rows}
    drifted = [
        (kind, stored, int(total))
        for kind, _, stored, total in rows
        if AccountKind(kind).never_negative and stored != int(total)
    ]
    assert drifted == []
    trial = await world.books_balance()
    shown = {(account.kind, account.owner_id): account.balance.amount for account in trial.accounts}
    assert shown == summed


async def test_stored_and_derived_balances_equal_their_lines_after_any_run_of_sales(
    world: World,
) -> None:
    billing = world.container.billing
    courses = [(await world.paid_course(price)).id for price in (1500, 2500, 4000)]
    for seed in SEEDS:
        rng = random.Random(seed)
        bought: list[UUID] = []
        for _ in range(STEPS):
            buyer = rng.choice([world.student, world.classmate])
            step = rng.choice(["top up", "buy", "buy", "refund"])
            if step == "top up":
                await world.top_up(buyer, rng.randrange(500, 6000))
            elif step == "buy":
                try:
                    purchase = await billing.purchase_with_credits(buyer, rng.choice(courses))
                    bought.append(purchase.order_id)
                except (RuleViolation, Conflict):
                    pass  # too little credit, or the course is theirs already
            elif bought:
                order_id = bought.pop(rng.randrange(len(bought)))
                await billing.refund_payment(world.admin, order_id, amount=None, reason="walk")
            await balances_equal_their_lines(world)
