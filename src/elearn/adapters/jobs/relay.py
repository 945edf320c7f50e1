"""The outbox relay: hands committed deliveries to the broker and marks them dispatched.

A delivery is enqueued before it is marked, so a crash between the two sends it again rather
than never: delivery is at-least-once and handlers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import dramatiq
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.jobs.broker import deliver_message
from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow
from elearn.application.ports import Clock

logger = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        broker: dramatiq.Broker,
        clock: Clock,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
    ) -> None:
        self._sessions = session_factory
        self._broker = broker
        self._clock = clock
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that stored events, so they leave without waiting for a poll."""
        self._wake.set()

    async def relay_once(self) -> int:
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            rows = (
                await session.scalars(
                    select(OutboxDeliveryRow)
                    .where(OutboxDeliveryRow.status == "pending")
                    .order_by(OutboxDeliveryRow.created_at)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            messages = [deliver_message(str(row.id)) for row in rows]
            await asyncio.to_thread(self._enqueue_all, messages)
            now = self._clock.now()
            for row in rows:
                row.status = "dispatched"
                row.dispatched_at = now
            await session.commit()
            return len(rows)

    def _enqueue_all(self, messages: list[dramatiq.Message]) -> None:
        for message in messages:
            self._broker.enqueue(message)

    async def redispatch_unfinished(self, *, older_than: timedelta = timedelta(0)) -> int:
        """Sends again what was dispatched but never finished. Only for the in-memory broker,
        whose queue dies with the process; Redis keeps its own messages."""
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            result = await session.execute(
                update(OutboxDeliveryRow)
                .where(
                    OutboxDeliveryRow.status == "dispatched",
                    OutboxDeliveryRow.dispatched_at <= self._clock.now() - older_than,
                )
                .values(status="pending")
            )
            await session.commit()
            return result.rowcount  # type: ignore[attr-defined]

    async def run(self) -> None:
        """Relays until cancelled: right after a wake-up, or every ``poll_interval`` seconds."""
        while True:
            try:
                while await self.relay_once() == self._batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox relay failed; retrying after the poll interval")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
            self._wake.clear()
