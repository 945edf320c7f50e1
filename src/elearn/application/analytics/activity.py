"""Who is active, and who views which course, without a write on the request path.

A request only adds the person to this process's set for the day (nothing happens when they are
in it already); every ``FLUSH_SECONDS``, or sooner once ``FLUSH_SIZE`` are waiting, the next
request hands the new ones to a background task that writes them in one statement (a person
already stored for the day is skipped by the database) and recounts the day's rollup. So a
person costs at most one row per day and subject, written at most once per process, and the
counts are exact: no sampling, no sketch. What a process holds when it dies unflushed (at most
the last ``FLUSH_SECONDS`` of first sightings) is lost; the figures undercount by that much.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from uuid import UUID, uuid5

from elearn.application.analytics.ports import RollupKeeper, Sighting, SightingStore
from elearn.application.ports import Clock
from elearn.domain.analytics.metrics import Family
from elearn.domain.analytics.series import day_slot

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 30
FLUSH_SIZE = 5000
# Past this many, the day's set starts over: memory stays bounded, and a person noted again
# is one more row the database skips.
SEEN_CAP = 500_000
ACTIVE = "active"
COURSE_VIEW = "course_view"
# Anonymous viewers are told apart by address and browser, under a namespace of their own.
_ANONYMOUS = UUID("8f6a2c1e-6c1b-4f6e-9a57-3d1f0b1e7a11")


class SightingRecorder:
    def __init__(self, store: SightingStore, keeper: RollupKeeper, clock: Clock) -> None:
        self._store = store
        self._keeper = keeper
        self._clock = clock
        self._day: date | None = None
        self._seen: set[tuple[str, str, UUID]] = set()
        self._pending: list[Sighting] = []
        self._last_flush = clock.now()
        self._flushing: asyncio.Task[None] | None = None

    def note_active(self, person_id: UUID) -> None:
        self._note(ACTIVE, "", person_id)

    def note_course_view(
        self, course_id: UUID, person_id: UUID | None, ip: str | None, user_agent: str | None
    ) -> None:
        viewer = person_id or uuid5(_ANONYMOUS, f"{ip or ''}|{user_agent or ''}")
        self._note(COURSE_VIEW, course_id.hex, viewer)

    def _note(self, kind: str, subject: str, person_id: UUID) -> None:
        now = self._clock.now()
        today = now.date()  # UTC: the clock answers in UTC
        if today != self._day or len(self._seen) >= SEEN_CAP:
            self._day = today
            self._seen.clear()
        key = (kind, subject, person_id)
        if key not in self._seen:
            self._seen.add(key)
            self._pending.append(Sighting(kind, subject, today, person_id))
        due = (now - self._last_flush).total_seconds() >= FLUSH_SECONDS
        if self._pending and (due or len(self._pending) >= FLUSH_SIZE):
            self._start_flush()

    def _start_flush(self) -> None:
        if self._flushing is not None and not self._flushing.done():
            return
        try:
            self._flushing = asyncio.get_running_loop().create_task(self.flush())
        except RuntimeError:  # no loop (a synchronous caller): the next request flushes
            return

    async def flush(self) -> None:
        """Writes what waits and recounts the days it fell on; on failure the sightings wait
        for the next flush."""
        batch, self._pending = self._pending, []
        self._last_flush = self._clock.now()
        if not batch:
            return
        try:
            await self._store.save(batch)
            for day in {s.day for s in batch}:
                slot = day_slot(day)
                await self._keeper.recompute((Family.ACTIVITY,), slot, slot + 1)
        except Exception:
            logger.exception("analytics sightings could not be written; retrying later")
            self._pending = batch + self._pending
