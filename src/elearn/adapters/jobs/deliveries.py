"""Running a handler for an outbox delivery, and keeping messages that failed for good."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from uuid import UUID

import dramatiq
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.jobs.broker import DELIVER_OUTBOX_ACTOR
from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.events import EventCodec
from elearn.adapters.persistence.models.jobs import DeadJobRow, OutboxDeliveryRow, OutboxMessageRow
from elearn.application.ports import Clock
from elearn.domain.shared.events import DomainEvent

logger = logging.getLogger(__name__)

EventHandler = Callable[[DomainEvent], Awaitable[None]]


class OutboxDeliveryExecutor:
    """Runs one delivery's handler and marks it done.

    A redelivered message whose delivery is already done does nothing. A handler can still run
    twice if the process dies between its side effect and the done mark, so handlers key their
    effects on ``event.event_id``.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        codec: EventCodec,
        handlers: Mapping[str, EventHandler],
        clock: Clock,
    ) -> None:
        self._sessions = session_factory
        self._codec = codec
        self._handlers = handlers
        self._clock = clock

    async def deliver(self, delivery_id: UUID) -> None:
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(OutboxDeliveryRow.status, OutboxDeliveryRow.handler, OutboxMessageRow)
                    .join(OutboxMessageRow, OutboxMessageRow.id == OutboxDeliveryRow.message_id)
                    .where(OutboxDeliveryRow.id == delivery_id)
                )
            ).one_or_none()
        if found is None:
            logger.warning("delivery %s no longer exists", delivery_id)
            return
        status, handler_name, message = found
        if status == "done":
            return
        handler = self._handlers.get(handler_name)
        if handler is None:
            raise LookupError(f"no handler named {handler_name!r} is registered")
        event = self._codec.decode(message.event_type, message.payload)
        try:
            await handler(event)
        except Exception as error:
            await self._mark(delivery_id, last_error=f"{type(error).__name__}: {error}")
            raise
        await self._mark(delivery_id, done=True)

    async def _mark(
        self, delivery_id: UUID, *, done: bool = False, last_error: str | None = None
    ) -> None:
        values: dict[str, Any] = {"attempts": OutboxDeliveryRow.attempts + 1}
        if done:
            values.update(status="done", done_at=self._clock.now(), last_error=None)
        else:
            values.update(last_error=last_error)
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            await session.execute(
                update(OutboxDeliveryRow)
                .where(OutboxDeliveryRow.id == delivery_id)
                .values(**values)
            )
            await session.commit()


class SqlaDeadJobStore:
    """Dead jobs live in the database, so they survive a Redis flush and can be listed, retried
    or discarded by an admin."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = session_factory
        self._clock = clock

    async def record(self, message: dramatiq.Message[Any], error: str) -> None:
        body = message.asdict()
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            existing = await session.scalar(
                select(DeadJobRow).where(DeadJobRow.message_id == message.message_id)
            )
            if existing is None:
                session.add(
                    DeadJobRow(
                        message_id=message.message_id,
                        queue_name=message.queue_name,
                        actor_name=message.actor_name,
                        message=body,
                        last_error=error,
                        failed_at=self._clock.now(),
                    )
                )
            else:
                existing.message = body
                existing.last_error = error
                existing.failed_at = self._clock.now()
                existing.retried_at = None
            if message.actor_name == DELIVER_OUTBOX_ACTOR:
                await session.execute(
                    update(OutboxDeliveryRow)
                    .where(OutboxDeliveryRow.id == UUID(message.args[0]))
                    .values(status="dead", last_error=error)
                )
            await session.commit()

    async def list(self, *, include_retried: bool = False, limit: int = 100) -> list[DeadJobRow]:
        query = select(DeadJobRow).order_by(DeadJobRow.failed_at.desc()).limit(limit)
        if not include_retried:
            query = query.where(DeadJobRow.retried_at.is_(None))
        async with self._sessions() as session:
            return list((await session.scalars(query)).all())

    async def retry(self, dead_job_id: UUID, broker: dramatiq.Broker | None) -> bool:
        """Sends the job again with a fresh retry budget; False if unknown or already retried.

        An outbox delivery goes back to pending, so whichever relay is running (in the API
        process or the scheduler) sends it; any other job is enqueued on ``broker`` directly,
        which needs a shared broker (Redis): None means there is none to reach from here.
        """
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            job = await session.get(DeadJobRow, dead_job_id)
            if job is None or job.retried_at is not None:
                return False
            if job.actor_name == DELIVER_OUTBOX_ACTOR:
                await session.execute(
                    update(OutboxDeliveryRow)
                    .where(OutboxDeliveryRow.id == UUID(job.message["args"][0]))
                    .values(status="pending", dispatched_at=None)
                )
            elif broker is None:
                raise LookupError("this job can only be retried where a Redis broker is configured")
            else:
                body = dict(job.message)
                body["args"] = tuple(body.get("args", ()))
                body["options"] = {
                    key: value
                    for key, value in body.get("options", {}).items()
                    if key not in {"retries", "traceback", "requeue_timestamp", "eta"}
                }
                broker.enqueue(dramatiq.Message(**body))
            job.retried_at = self._clock.now()
            await session.commit()
            return True

    async def discard(self, dead_job_id: UUID) -> bool:
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            job = await session.get(DeadJobRow, dead_job_id)
            if job is None:
                return False
            await session.delete(job)
            await session.commit()
            return True
