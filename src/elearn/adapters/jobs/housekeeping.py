from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow, OutboxMessageRow
from elearn.application.ports import Clock


async def purge_finished_outbox(
    session_factory: async_sessionmaker[AsyncSession], clock: Clock, *, keep: timedelta
) -> int:
    """Deletes outbox messages older than ``keep`` whose every delivery is done. Dead and
    unfinished ones stay for an admin to see."""
    unfinished = select(OutboxDeliveryRow.id).where(
        OutboxDeliveryRow.message_id == OutboxMessageRow.id,
        OutboxDeliveryRow.status != "done",
    )
    async with session_factory() as session:
        await session.connection(execution_options=WRITE_TRANSACTION)
        result = await session.execute(
            delete(OutboxMessageRow).where(
                OutboxMessageRow.created_at < clock.now() - keep, ~exists(unfinished)
            )
        )
        await session.commit()
        return result.rowcount  # type: ignore[attr-defined]
