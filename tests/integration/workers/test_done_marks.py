"""Done marks of deliveries that finish together are written in one transaction: the first
to finish writes its own, and every one finishing meanwhile shares the next; none returns
before its mark is committed, and when a batch cannot be written every delivery of it fails
(to be delivered again) rather than being taken for done."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from tests.support.statements import Statements

from elearn.adapters.jobs.deliveries import DoneMarks
from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow, OutboxMessageRow
from elearn.adapters.system import SystemClock

DELIVERIES = 20


async def _pending(sessions: async_sessionmaker, count: int) -> list[UUID]:  # type: ignore[type-arg]
    message = OutboxMessageRow(
        id=uuid4(), event_type="test.happened", payload={}, occurred_at=datetime.now(UTC)
    )
    rows = [
        OutboxDeliveryRow(id=uuid4(), message=message, handler=f"test.h{n}", status="dispatched")
        for n in range(count)
    ]
    async with sessions() as session:
        session.add_all([message, *rows])
        await session.commit()
    return [row.id for row in rows]


async def test_deliveries_finishing_together_share_one_transaction(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        ids = await _pending(sessions, DELIVERIES)
        marks = DoneMarks(sessions, SystemClock())
        with Statements(engine) as statements:
            await asyncio.gather(*(marks.mark(delivery_id) for delivery_id in ids))
        updates = [
            sql for sql in await statements.settled() if sql.startswith("UPDATE outbox_deliveries")
        ]
        assert len(updates) == 2  # the first alone, the 19 that finished while it wrote
        async with sessions() as session:
            rows = (await session.execute(select(OutboxDeliveryRow))).scalars().all()
        assert {(r.status, r.attempts, r.done_at is not None) for r in rows} == {("done", 1, True)}
    finally:
        await engine.dispose()


async def test_a_batch_that_cannot_be_written_fails_every_delivery_of_it(
    database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    # A database without the outbox's tables: the batch's statement fails.
    bare = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bare.db'}")
    try:
        ids = await _pending(sessions, 3)
        broken = DoneMarks(async_sessionmaker(bare), SystemClock())
        outcomes = await asyncio.gather(*(broken.mark(i) for i in ids), return_exceptions=True)
        assert all(isinstance(outcome, Exception) for outcome in outcomes)
        # The next batch is a fresh one: marks written elsewhere succeed.
        await DoneMarks(sessions, SystemClock()).mark(ids[0])
        async with sessions() as session:
            statuses = set(await session.scalars(select(OutboxDeliveryRow.status)))
        assert statuses == {"done", "dispatched"}
        with pytest.raises(Exception, match="outbox_deliveries"):
            await broken.mark(ids[1])
    finally:
        await engine.dispose()
        await bare.dispose()
