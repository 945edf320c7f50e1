"""Rollups on the real databases, from journal lines the billing postings make: after any
sequence of sales, refunds and payouts, the platform-revenue series summed over any range of
a viewer's local days equals the change of the platform revenue accounts over that range, to
the minor unit, per currency; recounting entry by entry (the handlers, redelivered too) and
rebuilding everything at once write identical rows."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from elearn.adapters.persistence.analytics_rollups import (
    SqlaRollupKeeper,
    SqlaRollupReader,
    SqlaSightingStore,
)
from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.models.analytics import AnalyticsRollupRow, AnalyticsSightingRow
from elearn.adapters.persistence.models.billing import (
    JournalEntryRow,
    JournalLineRow,
    LedgerAccountRow,
)
from elearn.application.analytics.ports import Sighting
from elearn.domain.analytics.metrics import Family, Metric
from elearn.domain.analytics.series import Bucket, Buckets, local_midnight, slot_of
from elearn.domain.billing import postings
from elearn.domain.billing.fees import FeeSplit
from elearn.domain.billing.ledger import Account, AccountKind, EntryKind, Line
from elearn.domain.shared.money import Money
from elearn.entrypoints.cli import main

START = datetime(2026, 3, 27, 20, 0, tzinfo=UTC)  # a Berlin and a London DST weekend ahead
TUTORS = (UUID(int=1), UUID(int=2))
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu")


@dataclass(frozen=True)
class Move:
    kind: str  # sale, refund, payout
    amount: int
    currency: str
    tutor: int | None
    minutes: int  # after START


moves = st.builds(
    Move,
    kind=st.sampled_from(["sale", "sale", "refund", "payout"]),
    amount=st.integers(1, 200_000),
    currency=st.sampled_from(["USD", "EUR", "JPY"]),
    tutor=st.sampled_from([0, 1, None]),
    minutes=st.integers(0, 4 * 24 * 60),
)


def _lines(move: Move) -> tuple[EntryKind, tuple[Line, ...]]:
    gross = Money(move.amount, move.currency)
    tutor = None if move.tutor is None else TUTORS[move.tutor]
    split = FeeSplit(1500).split(gross)
    if move.kind == "sale":
        return EntryKind.CARD_PAYMENT, postings.sale(postings.clearing(move.currency), split, tutor)
    if move.kind == "refund":
        posting = postings.refund(
            destination=postings.clearing(move.currency),
            amount=gross,
            platform_back=split.platform,
            tutor_back=split.tutor,
            tutor_id=tutor,
            pending=move.amount // 2,  # the rest comes from available, or the platform bears it
            available=move.amount // 4,
        )
        return EntryKind.REFUND, tuple(line for line in posting.lines if line.amount)
    return EntryKind.PAYOUT, postings.payout(tutor or TUTORS[0], gross)


async def _walk(url: str, sequence: list[Move], zone: str, first: int, length: int) -> None:
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    keeper, reader = SqlaRollupKeeper(sessions), SqlaRollupReader(sessions)
    try:
        accounts: dict[Account, UUID] = {}
        slots: list[int] = []
        async with sessions() as session:
            for n, move in enumerate(sequence):
                kind, lines = _lines(move)
                posted = START + timedelta(minutes=move.minutes)
                entry_id = uuid4()
                session.add(JournalEntryRow(id=entry_id, key=f"k{n}", kind=kind, posted_at=posted))
                await session.flush()
                for line in lines:
                    if line.account not in accounts:
                        accounts[line.account] = uuid4()
                        session.add(
                            LedgerAccountRow(
                                id=accounts[line.account],
                                key=f"{line.account.kind}:{line.account.owner_id}:{line.account.currency}",
                                kind=line.account.kind,
                                currency=line.account.currency,
                                owner_id=line.account.owner_id,
                                balance=0,
                            )
                        )
                        await session.flush()
                    session.add(
                        JournalLineRow(
                            entry_id=entry_id,
                            account_id=accounts[line.account],
                            amount=line.amount,
                            posted_at=posted,
                        )
                    )
                slots.append(slot_of(posted))
            await session.commit()

        # Entry by entry, as the handlers would (each delivered twice), then all at once.
        for slot in slots + slots[:2]:
            await keeper.recompute((Family.LEDGER,), slot, slot + 1)
        incremental = await _rows(sessions)
        end = slot_of(START + timedelta(days=5))
        await keeper.recompute(tuple(Family), slot_of(START - timedelta(days=1)), end)
        assert await _rows(sessions) == incremental

        tz = ZoneInfo(zone)
        first_day = START.astimezone(tz).date() + timedelta(days=first)
        last_day = first_day + timedelta(days=length)
        buckets = Buckets.of(first_day, last_day, Bucket.DAY, tz)
        found = await reader.many((Metric.PLATFORM_REVENUE,), buckets.first_slots, buckets.end_slot)
        series: dict[str, int] = {}
        for _, _, currency, value in found[Metric.PLATFORM_REVENUE]:
            series[currency] = series.get(currency, 0) + value
        since, until = (
            local_midnight(first_day, tz),
            local_midnight(last_day + timedelta(days=1), tz),
        )
        change: dict[str, int] = {}
        for move in sequence:
            posted = START + timedelta(minutes=move.minutes)
            if since <= posted < until:
                for line in _lines(move)[1]:
                    if line.account.kind is AccountKind.PLATFORM_REVENUE:
                        change[line.account.currency] = (
                            change.get(line.account.currency, 0) + line.amount
                        )
        assert {c: v for c, v in series.items() if v} == {c: v for c, v in change.items() if v}
    finally:
        async with sessions() as session:
            for model in (AnalyticsRollupRow, JournalLineRow, JournalEntryRow, LedgerAccountRow):
                await session.execute(delete(model))
            await session.commit()
        await engine.dispose()


async def _rows(sessions: object) -> list[tuple[object, ...]]:
    r = AnalyticsRollupRow
    async with sessions() as session:  # type: ignore[operator]
        rows = await session.execute(
            select(r.metric, r.dimension, r.currency, r.slot, r.value).order_by(
                r.metric, r.dimension, r.currency, r.slot
            )
        )
        return [tuple(row) for row in rows]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sequence=st.lists(moves, min_size=1, max_size=8),
    zone=st.sampled_from(ZONES),
    first=st.integers(-1, 3),
    length=st.integers(0, 3),
)
def test_platform_revenue_series_equals_the_revenue_accounts_change(
    database_url: str, tmp_path: Path, sequence: list[Move], zone: str, first: int, length: int
) -> None:
    asyncio.run(_walk(database_url, sequence, zone, first, length))


async def _sightings(url: str) -> None:
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    store, keeper = SqlaSightingStore(sessions), SqlaRollupKeeper(sessions)
    day = date(2026, 12, 7)
    ada, bob, course = uuid4(), uuid4(), uuid4()
    try:
        await store.save([Sighting("active", "", day, ada), Sighting("active", "", day, bob)])
        # Another process's batch with ada again, and a course view: ada is kept once.
        await store.save(
            [Sighting("active", "", day, ada), Sighting("course_view", course.hex, day, ada)]
        )
        # Kept at the UTC day's 10:00, which the same local day holds from UTC-10 to UTC+13:45.
        kept = slot_of(datetime(2026, 12, 7, 10, tzinfo=UTC))
        await keeper.recompute((Family.ACTIVITY,), kept, kept + 1)
        assert await _rows(sessions) == [
            ("active_people", "", "", kept, 2),
            ("course_viewers", course.hex, "", kept, 1),
        ]
        for zone in (
            "Pacific/Honolulu",
            "America/New_York",
            "Asia/Tokyo",
            "Pacific/Auckland",
            "Pacific/Chatham",
        ):
            tz = ZoneInfo(zone)
            buckets = Buckets.of(day, day, Bucket.DAY, tz)
            found = await SqlaRollupReader(sessions).many(
                (Metric.ACTIVE_PEOPLE,), buckets.first_slots, buckets.end_slot
            )
            assert found[Metric.ACTIVE_PEOPLE] == [(0, "", "", 2)], zone
    finally:
        async with sessions() as session:
            for model in (AnalyticsRollupRow, AnalyticsSightingRow):
                await session.execute(delete(model))
            await session.commit()
        await engine.dispose()


def test_sightings_are_kept_once_per_person_and_day_and_counted(database_url: str) -> None:
    asyncio.run(_sightings(database_url))


def test_the_rebuild_command_recomputes_from_a_date(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in [n for n in os.environ if n.startswith("ELEARN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ELEARN_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ELEARN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ELEARN_LOG_FORMAT", "console")
    assert main(["analytics", "rebuild", "--from", "2026-12-01"]) == 0
    assert "rebuilt analytics from 2026-12-01T00:00:00+00:00" in capsys.readouterr().out


async def _bucketing(
    url: str, first: date, length: int, zone: str, bucket: Bucket, offsets: list[int]
) -> None:
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    tz = ZoneInfo(zone)
    buckets = Buckets.of(first, first + timedelta(days=length), bucket, tz)
    slots = sorted({buckets.first_slot + offset for offset in offsets})
    try:
        async with sessions() as session:
            for n, slot in enumerate(slots):
                for dimension in ("a", "b"):
                    session.add(
                        AnalyticsRollupRow(
                            metric=Metric.ENROLLMENTS.value,
                            dimension=dimension,
                            currency="",
                            slot=slot,
                            value=n + 1,
                        )
                    )
            await session.commit()
        reader = SqlaRollupReader(sessions)
        found = await reader.many(
            (Metric.ENROLLMENTS,), buckets.first_slots, buckets.end_slot, per_dimension=False
        )
        expected = buckets.totals((slot, 2 * (n + 1)) for n, slot in enumerate(slots))
        assert buckets.fill((i, v) for i, _, _, v in found[Metric.ENROLLMENTS]) == expected
        # One row per bucket that holds anything, never one per quarter hour.
        assert len(found[Metric.ENROLLMENTS]) == sum(1 for v in expected if v)
        per_dimension = await reader.many(
            (Metric.ENROLLMENTS,), buckets.first_slots, buckets.end_slot, dimensions=["a"]
        )
        assert buckets.fill((i, 2 * v) for i, _, _, v in per_dimension[Metric.ENROLLMENTS]) == (
            expected
        )
    finally:
        async with sessions() as session:
            await session.execute(delete(AnalyticsRollupRow))
            await session.commit()
        await engine.dispose()


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    length=st.integers(0, 70),
    zone=st.sampled_from(
        ("UTC", "Europe/Berlin", "America/Santiago", "Asia/Kathmandu", "Australia/Lord_Howe")
    ),
    bucket=st.sampled_from(list(Bucket)),
    offsets=st.lists(st.integers(-200, 72 * 96), max_size=12),
)
def test_the_database_buckets_slots_as_the_viewers_days_do(
    database_url: str, first: date, length: int, zone: str, bucket: Bucket, offsets: list[int]
) -> None:
    """The dashboards' bucketing happens in SQL: it must answer what `Buckets.totals` (the
    DST-tested specification) answers, slots before and after the range left out."""
    asyncio.run(_bucketing(database_url, first, length, zone, bucket, offsets))
