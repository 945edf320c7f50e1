"""Periodic jobs: any number of schedulers, each slot fired once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from elearn.adapters.jobs.broker import PERIODIC_QUEUE, build_broker
from elearn.adapters.jobs.scheduler import PeriodicJob, PeriodicScheduler, purge_old_claims
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


async def _noop() -> None:
    return None


async def test_two_schedulers_fire_each_slot_once(settings: Settings) -> None:
    clock = MovableClock(datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))
    broker = build_broker(None)
    container = bootstrap(settings, broker=broker, overrides={"clock": clock})
    job = PeriodicJob("test.hourly", timedelta(hours=1), _noop)
    first = PeriodicScheduler(container.sessions, broker, clock, [job])
    second = PeriodicScheduler(container.sessions, broker, clock, [job])
    try:
        fired = [await first.tick(), await second.tick(), await first.tick()]
        assert fired == [["test.hourly"], [], []]

        clock.current += timedelta(seconds=1)  # 01:00:00, a new slot
        assert await second.tick() == ["test.hourly"]
        assert await first.tick() == []
        assert broker.queues[PERIODIC_QUEUE].qsize() == 2  # type: ignore[attr-defined]

        clock.current += timedelta(days=3)
        assert await purge_old_claims(container.sessions, clock, keep=timedelta(days=2)) == 2
    finally:
        await container.dispose()


def test_slots_are_aligned_to_the_interval() -> None:
    job = PeriodicJob("x", timedelta(minutes=15), _noop)
    assert job.slot_start(datetime(2026, 1, 1, 10, 14, 59, tzinfo=UTC)) == datetime(
        2026, 1, 1, 10, 0, tzinfo=UTC
    )
    assert job.slot_start(datetime(2026, 1, 1, 10, 15, tzinfo=UTC)) == datetime(
        2026, 1, 1, 10, 15, tzinfo=UTC
    )
