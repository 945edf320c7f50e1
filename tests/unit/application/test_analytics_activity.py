"""Activity and course views without a write per request: a person noted many times a day is
one sighting, nothing is written until the flush is due, the flush writes the new ones in one
batch and recounts the day's rollup, a failed write keeps them for the next flush, and a new
day starts over."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from tests.fakes import FixedClock

from elearn.application.analytics.activity import FLUSH_SECONDS, SightingRecorder
from elearn.application.analytics.ports import Sighting
from elearn.domain.analytics.metrics import Family
from elearn.domain.analytics.series import slot_of


class MemoryStore:
    def __init__(self) -> None:
        self.batches: list[list[Sighting]] = []
        self.fail = False

    async def save(self, sightings: Collection[Sighting]) -> None:
        if self.fail:
            raise ConnectionError("database away")
        self.batches.append(list(sightings))


class Recounts:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Family, ...], int, int]] = []

    async def recompute(self, families: Collection[Family], first_slot: int, end_slot: int) -> int:
        self.calls.append((tuple(families), first_slot, end_slot))
        return 0


async def test_a_person_seen_all_day_is_written_once_in_a_batch_when_the_flush_is_due() -> None:
    clock = FixedClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    store, keeper = MemoryStore(), Recounts()
    recorder = SightingRecorder(store, keeper, clock)
    ada, bob, course = uuid4(), uuid4(), uuid4()

    for _ in range(100):
        recorder.note_active(ada)
    recorder.note_course_view(course, ada, "10.0.0.1", "ua")
    recorder.note_course_view(course, None, "10.0.0.2", "ua")
    recorder.note_course_view(course, None, "10.0.0.2", "ua")  # the same anonymous viewer
    await asyncio.sleep(0)
    assert store.batches == []  # nothing written on the request path

    clock.advance(timedelta(seconds=FLUSH_SECONDS))
    recorder.note_active(bob)  # the request that finds the flush due starts it
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    (batch,) = store.batches
    assert sorted((s.kind, s.person_id == ada) for s in batch) == [
        ("active", False),
        ("active", True),
        ("course_view", False),
        ("course_view", True),
    ]
    kept = slot_of(datetime(2026, 12, 7, 10, tzinfo=UTC))
    assert keeper.calls == [((Family.ACTIVITY,), kept, kept + 1)]

    recorder.note_active(ada)
    await recorder.flush()
    assert len(store.batches) == 1  # ada was already written today

    clock.advance(timedelta(days=1))
    recorder.note_active(ada)
    await recorder.flush()
    assert [s.day.isoformat() for s in store.batches[-1]] == ["2026-12-08"]


async def test_a_failed_write_keeps_the_sightings_for_the_next_flush() -> None:
    clock = FixedClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    store, keeper = MemoryStore(), Recounts()
    recorder = SightingRecorder(store, keeper, clock)
    recorder.note_active(uuid4())
    store.fail = True
    await recorder.flush()
    assert store.batches == []
    store.fail = False
    await recorder.flush()
    assert len(store.batches) == 1 and len(store.batches[0]) == 1
