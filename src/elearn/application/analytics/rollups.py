"""Keeping the rollups: outbox handlers recount the slot an event fell in, a periodic job the
last half hour (what no event announces: refunds, payouts, earnings moves), and the rebuild
command everything from a date on.

Every path recomputes rows from their sources rather than adding one to them: an event
delivered twice, or a handler racing the job or a rebuild, can only write the same numbers
again, and a rebuild writes exactly the rows the handlers would have written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from elearn.application.analytics.ports import QuizAnswer, QuizAnswerStore, RollupKeeper
from elearn.application.caching import SingleFlightCache
from elearn.application.learning.api import QuizSubmitted
from elearn.application.ports import Clock
from elearn.domain.analytics.metrics import Family
from elearn.domain.analytics.series import SLOT_SECONDS, slot_of
from elearn.domain.shared.events import DomainEvent

# How far back the periodic job looks: longer than any transaction that posts to the ledger
# stays open, so a line whose commit came late is still counted by the next run.
RECENT = timedelta(minutes=30)


class ForgettingDashboards:
    """A keeper that forgets this process's cached dashboards after every recount, so what it
    counts is read back at once here (other processes see it within the cache's TTL)."""

    def __init__(self, keeper: RollupKeeper, dashboards: SingleFlightCache) -> None:
        self._keeper = keeper
        self._dashboards = dashboards

    async def recompute(self, families: Collection[Family], first_slot: int, end_slot: int) -> int:
        written = await self._keeper.recompute(families, first_slot, end_slot)
        self._dashboards.invalidate()
        return written


class RecountEventSlot:
    """An outbox handler: the figures of ``families`` in the quarter hour the event fell in.

    Events come in bursts of one slot (every sale of a quarter hour names it), and a recount
    reads the whole slot, so one recount per event would cost the square of a busy slot. In one
    process the recounts of a slot run one at a time, and every handler that arrives meanwhile
    shares the next one: a handler returns only after a recount that began after it was called
    (so after its event was committed) has finished, as if it had run its own."""

    def __init__(self, keeper: RollupKeeper, families: Collection[Family]) -> None:
        self._keeper = keeper
        self._families = tuple(families)
        # Per event loop (a worker's and the API's may differ) and slot: its lock, how many
        # recounts of it have started, and how many handlers are at it.
        self._slots: dict[tuple[int, int], _SlotRecounts] = {}

    async def __call__(self, event: DomainEvent) -> None:
        slot = slot_of(event.occurred_at)
        key = (id(asyncio.get_running_loop()), slot)
        recounts = self._slots.setdefault(key, _SlotRecounts())
        arrived_after = recounts.started
        recounts.callers += 1
        try:
            async with recounts.lock:
                # Unless a recount that began after this call succeeded while it waited.
                if recounts.last_succeeded <= arrived_after:
                    recounts.started += 1
                    this_one = recounts.started
                    await self._keeper.recompute(self._families, slot, slot + 1)
                    recounts.last_succeeded = this_one
        finally:
            recounts.callers -= 1
            if not recounts.callers:
                del self._slots[key]


class CountQuizAnswers:
    """An outbox handler of ``learning.quiz_submitted``: keeps whether each question of the
    attempt earned its full points (once per attempt and question, however often the event is
    delivered), then recounts the quiz figures of the quarter hour it was submitted in."""

    def __init__(self, answers: QuizAnswerStore, recount: RecountEventSlot) -> None:
        self._answers = answers
        self._recount = recount

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, QuizSubmitted)
        await self._answers.save(
            [
                QuizAnswer(
                    attempt_id=event.attempt_id,
                    question_id=outcome.question_id,
                    course_id=event.course_id,
                    lesson_id=event.lesson_id,
                    submitted_at=event.occurred_at,
                    correct=outcome.correct,
                )
                for outcome in event.questions
            ]
        )
        await self._recount(event)


@dataclass
class _SlotRecounts:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    started: int = 0  # recounts begun, numbered from 1
    last_succeeded: int = 0  # the number of the latest that finished without an error
    callers: int = 0


class RefreshRecentRollups:
    """Every minute: every family's figures of the last half hour, up to now."""

    def __init__(self, keeper: RollupKeeper, clock: Clock) -> None:
        self._keeper = keeper
        self._clock = clock

    async def __call__(self) -> int:
        now = self._clock.now()
        return await self._keeper.recompute(tuple(Family), slot_of(now - RECENT), slot_of(now) + 1)


class RebuildRollups:
    """`elearn analytics rebuild --from`: every figure from ``start`` (its quarter hour) to now,
    recomputed from the sources, a week per transaction so no lock is held long."""

    def __init__(self, keeper: RollupKeeper, clock: Clock) -> None:
        self._keeper = keeper
        self._clock = clock

    async def __call__(self, start: datetime, *, step: timedelta = timedelta(days=7)) -> int:
        end_slot = slot_of(self._clock.now()) + 1
        slot = slot_of(start)
        step_slots = max(1, int(step.total_seconds()) // SLOT_SECONDS)
        written = 0
        while slot < end_slot:
            upto = min(slot + step_slots, end_slot)
            written += await self._keeper.recompute(tuple(Family), slot, upto)
            slot = upto
        return written
