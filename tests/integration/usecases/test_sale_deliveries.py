"""What a credit purchase announces (the ledger and the enrollment recounted, the receipt, the
two notifications) is delivered, all at once as the in-process worker does, in a bounded
number of statements: per delivery one read on the driver (no transaction), its handler's
statements and at most one done-mark UPDATE (deliveries finishing while another's mark is
written share the next one: `test_done_marks`)."""

from __future__ import annotations

import asyncio
from uuid import UUID

from sqlalchemy import select
from tests.integration.usecases.world import World
from tests.support.statements import Statements

from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow

SALE_DELIVERIES = 5
# The statements besides the done marks (one to five UPDATEs, as the deliveries finish together
# or apart: checked apart). Measured: 30 on SQLite, 34 on PostgreSQL, whose recounts also take
# their locks and note where they began (`analytics_recounts`). The receipt and the two
# notifications each read the buyer (account and profiles in one statement: two before), and a
# notification's messages and their deliveries take one INSERT each (38 and 42 in all before,
# with the marks 41 to 43, sometimes past the old bound of 42).
MOST_STATEMENTS = 34


async def _pending(world: World) -> list[UUID]:
    async with world.container.sessions() as session:
        pending = select(OutboxDeliveryRow.id).where(OutboxDeliveryRow.status == "pending")
        return list(await session.scalars(pending))


async def test_a_credit_purchase_is_delivered_in_a_bounded_number_of_statements(
    world_on_each_database: World,
) -> None:
    world = world_on_each_database
    course = await world.paid_course(2000)
    await world.top_up(world.student, 5000)
    deliveries = world.container.deliveries()
    while setup := await _pending(world):  # what the setup announced, and what that did
        for delivery_id in setup:
            await deliveries.deliver(delivery_id)
    await world.container.billing.purchase_with_credits(world.student, course.id)
    sale = await _pending(world)
    assert len(sale) == SALE_DELIVERIES

    with Statements(world.container.engine) as recorded:
        await asyncio.gather(*(deliveries.deliver(delivery_id) for delivery_id in sale))

    async with world.container.sessions() as session:
        done = select(OutboxDeliveryRow.status).where(OutboxDeliveryRow.id.in_(sale))
        assert set(await session.scalars(done)) == {"done"}
    statements = await recorded.settled()
    marks = [s for s in statements if s.startswith("UPDATE outbox_deliveries SET")]
    print(f"{len(statements)} statements, {len(marks)} done-mark writes, delivering a sale")
    assert sum(len(mark.split("IN (")[1].split(",")) for mark in marks) == SALE_DELIVERIES
    assert len(statements) - len(marks) <= MOST_STATEMENTS, statements
