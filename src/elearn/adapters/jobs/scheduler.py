"""Periodic jobs fired by one scheduler at a time.

Time is cut into slots of each job's interval. Before firing, a scheduler inserts a claim
(job, slot start) whose unique key lets exactly one insert win, so any number of schedulers can
run (for availability) without a job ever firing twice for the same slot.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dramatiq
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.jobs.broker import periodic_message
from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.models.jobs import ScheduledRunRow
from elearn.application.ports import Clock

logger = logging.getLogger(__name__)

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[], Awaitable[object]]

    def slot_start(self, now: datetime) -> datetime:
        slots = (now - _EPOCH) // self.every
        return _EPOCH + slots * self.every


class PeriodicScheduler:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        broker: dramatiq.Broker,
        clock: Clock,
        jobs: Sequence[PeriodicJob],
        *,
        tick_seconds: float = 1.0,
    ) -> None:
        self._sessions = session_factory
        self._broker = broker
        self._clock = clock
        self._jobs = list(jobs)
        self._tick = tick_seconds
        self.scheduler_id = uuid.uuid4().hex
        self._last_fired: dict[str, datetime] = {}

    async def claim(self, job: PeriodicJob, slot: datetime) -> bool:
        try:
            async with self._sessions() as session:
                await session.connection(execution_options=WRITE_TRANSACTION)
                session.add(
                    ScheduledRunRow(
                        job_name=job.name, slot_start=slot, scheduler_id=self.scheduler_id
                    )
                )
                await session.commit()
        except IntegrityError:
            return False
        return True

    async def tick(self) -> list[str]:
        """Fires every job whose current slot nobody has claimed yet; returns the names fired."""
        now = self._clock.now()
        fired = []
        for job in self._jobs:
            slot = job.slot_start(now)
            if self._last_fired.get(job.name) == slot:
                continue
            self._last_fired[job.name] = slot
            if await self.claim(job, slot):
                await asyncio.to_thread(
                    self._broker.enqueue, periodic_message(job.name, slot.isoformat())
                )
                fired.append(job.name)
        return fired

    async def run(self) -> None:
        logger.info("scheduler %s started with %d jobs", self.scheduler_id, len(self._jobs))
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("scheduler tick failed")
            await asyncio.sleep(self._tick)


async def purge_old_claims(
    session_factory: async_sessionmaker[AsyncSession], clock: Clock, *, keep: timedelta
) -> int:
    async with session_factory() as session:
        await session.connection(execution_options=WRITE_TRANSACTION)
        result = await session.execute(
            delete(ScheduledRunRow).where(ScheduledRunRow.slot_start < clock.now() - keep)
        )
        await session.commit()
        return result.rowcount  # type: ignore[attr-defined]
