"""Running a handler for an outbox delivery, and keeping messages that failed for good."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import dramatiq
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.jobs.broker import DELIVER_OUTBOX_ACTOR
from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.events import EventCodec
from elearn.adapters.persistence.models.jobs import DeadJobRow, OutboxDeliveryRow, OutboxMessageRow
from elearn.adapters.persistence.raw_statements import HotRead
from elearn.application.ports import Clock
from elearn.domain.shared.events import DomainEvent

logger = logging.getLogger(__name__)

EventHandler = Callable[[DomainEvent], Awaitable[None]]


@dataclass
class _Batch:
    ids: list[UUID] = field(default_factory=list)
    written: bool = False
    error: BaseException | None = None


@dataclass
class _LoopMarks:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    open: _Batch = field(default_factory=_Batch)


# Deliveries marked done (parameters: delivery_ids, done_at), built once: every delivery ends so.
_MARK_DONE = (
    update(OutboxDeliveryRow)
    .where(OutboxDeliveryRow.id.in_(bindparam("delivery_ids", expanding=True)))
    .values(
        attempts=OutboxDeliveryRow.attempts + 1,
        status="done",
        done_at=bindparam("done_at", type_=OutboxDeliveryRow.done_at.type),
        last_error=None,
    )
)


class DoneMarks:
    """Marks finished deliveries done, many in one transaction: every delivery that finishes
    while a batch of marks is being written joins the next batch, written by whichever of them
    gets there first (group commit). A sale's events fan out to several handlers, each of
    whose deliveries would otherwise commit a transaction of its own for its mark.

    ``mark`` returns once its delivery's mark is committed, so a delivery is never reported
    done before it is; if the batch's transaction fails, every delivery of it raises (and is
    delivered again: handlers are idempotent). One per process, shared by its executors;
    batches are per event loop (the worker's and a test's may differ)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopMarks] = (
            weakref.WeakKeyDictionary()
        )

    async def mark(self, delivery_id: UUID) -> None:
        loop = asyncio.get_running_loop()
        marks = self._loops.get(loop)
        if marks is None:
            marks = self._loops[loop] = _LoopMarks()
        batch = marks.open
        batch.ids.append(delivery_id)
        async with marks.lock:
            if batch.error is not None:
                raise RuntimeError("the done marks of this batch were not written") from (
                    batch.error
                )
            if batch.written:
                return
            # The first of the batch through the lock writes it; later arrivals start the next.
            marks.open = _Batch()
            try:
                await self._write(batch.ids)
            except BaseException as error:
                batch.error = error
                raise
            batch.written = True

    async def _write(self, delivery_ids: list[UUID]) -> None:
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            await session.execute(
                _MARK_DONE, {"delivery_ids": delivery_ids, "done_at": self._clock.now()}
            )
            await session.commit()


# A delivery and its message's event, read on the driver itself (one round trip, no
# transaction: `raw_statements`): every sale fans out to several deliveries.
_DELIVERY = (
    select(
        OutboxDeliveryRow.status,
        OutboxDeliveryRow.handler,
        OutboxMessageRow.event_type,
        OutboxMessageRow.payload,
    )
    .join(OutboxMessageRow, OutboxMessageRow.id == OutboxDeliveryRow.message_id)
    .where(OutboxDeliveryRow.id == bindparam("delivery_id"))
)


class OutboxDeliveryExecutor:
    """Runs one delivery's handler and marks it done. One per process (the container keeps
    it), so the done marks of concurrent deliveries are written together (`DoneMarks`).

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
        self._done_marks = DoneMarks(session_factory, clock)
        self._delivery = HotRead(session_factory.kw["bind"], _DELIVERY, ["delivery_id"])

    async def deliver(self, delivery_id: UUID) -> None:
        found = await self._delivery.fetch(delivery_id=delivery_id)
        if not found:
            logger.warning("delivery %s no longer exists", delivery_id)
            return
        row = found[0]
        if row["status"] == "done":
            return
        handler = self._handlers.get(row["handler"])
        if handler is None:
            raise LookupError(f"no handler named {row['handler']!r} is registered")
        # The driver hands JSON over as text where SQLAlchemy would have decoded it.
        payload = row["payload"]
        event = self._codec.decode(
            row["event_type"], json.loads(payload) if isinstance(payload, str) else payload
        )
        try:
            await handler(event)
        except Exception as error:
            await self._mark_failed(delivery_id, f"{type(error).__name__}: {error}")
            raise
        await self._done_marks.mark(delivery_id)

    async def _mark_failed(self, delivery_id: UUID, last_error: str) -> None:
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            await session.execute(
                update(OutboxDeliveryRow)
                .where(OutboxDeliveryRow.id == delivery_id)
                .values(attempts=OutboxDeliveryRow.attempts + 1, last_error=last_error)
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
