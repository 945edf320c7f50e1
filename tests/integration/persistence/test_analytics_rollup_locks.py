"""Recounts on PostgreSQL wait only for a recount of one of their families and slots: while one
transaction holds what a recount of the ledger's quarter hour holds, other families and other
quarter hours are recounted, and a recount of that quarter hour, the periodic job's range over
every family and a rebuild's week all wait for it, then finish (no deadlock among them).
A recount (another process's) that began after a call spares that call its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.conftest import empty_all_tables, postgres_url
from tests.support.statements import Statements

from elearn.adapters.persistence.analytics_rollups import SqlaRollupKeeper, _lock_statement
from elearn.adapters.persistence.database import create_engine
from elearn.domain.analytics.metrics import Family
from elearn.domain.analytics.series import slot_of

SLOT = slot_of(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
WEEK = 7 * 24 * 4

_WAITING = text(
    "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = pg_locks.database"
    " WHERE locktype = 'advisory' AND NOT granted AND d.datname = current_database()"
)


def test_a_recount_waits_only_for_recounts_of_its_families_and_slots() -> None:
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    asyncio.run(_recount_around_a_held_slot(url))


async def _recount_around_a_held_slot(url: str) -> None:
    engine = create_engine(url, pool_size=6)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    keeper = SqlaRollupKeeper(sessions)
    try:
        async with sessions() as holder, sessions() as watcher:
            await holder.execute(text(_lock_statement((Family.LEDGER,), SLOT, SLOT + 1)))
            await asyncio.wait_for(
                asyncio.gather(
                    keeper.recompute((Family.LEARNING, Family.IDENTITY), SLOT, SLOT + 1),
                    keeper.recompute((Family.LEDGER,), SLOT + 1, SLOT + 3),
                    keeper.recompute((Family.LEDGER,), SLOT - 2, SLOT),
                ),
                timeout=30,
            )
            blocked = [
                asyncio.create_task(keeper.recompute((Family.LEDGER,), SLOT, SLOT + 1)),
                asyncio.create_task(keeper.recompute(tuple(Family), SLOT - 2, SLOT + 1)),
                asyncio.create_task(keeper.recompute(tuple(Family), SLOT - WEEK, SLOT + 1)),
            ]
            await _until_waiting(watcher, len(blocked))
            assert not any(task.done() for task in blocked)
            await holder.rollback()
            await asyncio.wait_for(asyncio.gather(*blocked), timeout=30)
    finally:
        await engine.dispose()


def test_a_few_slots_are_locked_one_by_one_and_a_wide_range_by_family() -> None:
    few = _lock_statement((Family.LEDGER, Family.LEARNING), SLOT, SLOT + 2)
    assert few.count("pg_advisory_xact_lock_shared(") == 2
    assert few.count("pg_advisory_xact_lock(") == 4
    # Families first, then slots, each in ascending order: one global order.
    calls = few.removeprefix("SELECT ").split(", pg_advisory")[1:]
    keys = [tuple(int(n) for n in call.split("(")[1].rstrip(")").split(", ")) for call in calls]
    assert keys[:2] == sorted(keys[:2]) and keys[2:] == sorted(keys[2:])
    wide = _lock_statement(tuple(Family), SLOT - WEEK, SLOT)
    assert wide.count("pg_advisory_xact_lock(") == len(Family)
    assert "shared" not in wide


async def _until_waiting(watcher: AsyncSession, count: int) -> None:
    for _ in range(3000):  # within 30 s
        if await watcher.scalar(_WAITING) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never saw {count} recounts waiting for the held slot")


def test_a_recount_that_began_after_a_call_spares_it_its_own() -> None:
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    asyncio.run(_two_queued_recounts(url))


async def _two_queued_recounts(url: str) -> None:
    engine = create_engine(url, pool_size=4)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    keeper = SqlaRollupKeeper(sessions)
    recount = (Family.LEDGER,), SLOT, SLOT + 1
    try:
        with Statements(engine) as statements:
            async with sessions() as holder, sessions() as watcher:
                await holder.execute(text(_lock_statement(*recount)))
                first = asyncio.create_task(keeper.recompute(*recount))
                await _until_waiting(watcher, 1)
                second = asyncio.create_task(keeper.recompute(*recount))
                await _until_waiting(watcher, 2)
                # A transaction id taken after both calls: the first's start comes after it.
                await holder.execute(text("SELECT pg_current_xact_id()"))
                await holder.rollback()
                await asyncio.wait_for(asyncio.gather(first, second), timeout=30)
            # One after the other, each recounts.
            await keeper.recompute(*recount)
        recounts = [
            sql
            for sql in await statements.settled()
            if sql.startswith("DELETE FROM analytics_rollups")
        ]
        assert len(recounts) == 2
    finally:
        await engine.dispose()
