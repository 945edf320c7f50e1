"""The analytics read side and its rollup keeper.

Analytics is a projection: it reads the tables of the contexts it reports on (enrollments,
users, the ledger's journal lines, courses) and nothing writes them here. It names only the
columns it reads, as lightweight table clauses, so no other context's models are imported.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    String,
    and_,
    case,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement, Select

from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.models.analytics import AnalyticsRollupRow, AnalyticsSightingRow
from elearn.application.analytics.ports import (
    CourseProgress,
    FunnelRow,
    LearnerFacts,
    Sighting,
)
from elearn.domain.analytics import ledger as L
from elearn.domain.analytics.metrics import FAMILY_METRICS, Family, Metric
from elearn.domain.analytics.series import SLOT_SECONDS, slot_start

# Any constant will do: every recomputation of every process takes this one lock (PostgreSQL),
# so a delete-and-insert of some slots never interleaves with another's.
_ROLLUP_LOCK_KEY = 0x414E_414C_5954_4943  # "ANALYTIC"

_enrollments = table(
    "enrollments",
    column("id", GUID),
    column("last_lesson_id", GUID),
    column("user_id", GUID),
    column("course_id", GUID),
    column("status", String),
    column("progress_percent", Integer),
    column("last_activity_at", DateTimeUTC),
    column("enrolled_at", DateTimeUTC),
    column("completed_at", DateTimeUTC),
)
_last_lesson = _enrollments.c.last_lesson_id
_users = table("users", column("role", String), column("created_at", DateTimeUTC))
_lines = table(
    "journal_lines",
    column("entry_id", GUID),
    column("account_id", GUID),
    column("amount", Integer),
    column("posted_at", DateTimeUTC),
)
_accounts = table(
    "ledger_accounts",
    column("id", GUID),
    column("kind", String),
    column("currency", String),
    column("owner_id", GUID),
)
_entries = table("journal_entries", column("id", GUID), column("kind", String))
_courses = table("courses", column("id", GUID), column("title", String))
_instructors = table("course_instructors", column("course_id", GUID), column("user_id", GUID))
_learning_days = table("learning_days", column("user_id", GUID), column("day", Date))
_certificates = table("certificates", column("user_id", GUID))
_reviews = table(
    "course_reviews",
    column("course_id", GUID),
    column("rating", Integer),
    column("hidden", Boolean),
)

_R = AnalyticsRollupRow
_S = AnalyticsSightingRow


class _Dialect:
    """The two expressions the databases spell differently."""

    def __init__(self, name: str) -> None:
        self.postgres = name == "postgresql"

    def slot(self, instant: Any) -> ColumnElement[int]:
        name = f"{instant.table.name}.{instant.name}"
        if self.postgres:
            sql = f"CAST(FLOOR(EXTRACT(EPOCH FROM {name}) / {SLOT_SECONDS}) AS BIGINT)"
        else:
            sql = f"CAST(strftime('%s', {name}) AS INTEGER) / {SLOT_SECONDS}"
        return literal_column(sql, Integer)

    def day_slot(self, day: Any) -> ColumnElement[int]:
        name = f"{day.table.name}.{day.name}"
        if self.postgres:
            sql = f"CAST(EXTRACT(EPOCH FROM {name}::timestamp) / {SLOT_SECONDS} AS BIGINT)"
        else:
            sql = f"CAST(strftime('%s', {name}) AS INTEGER) / {SLOT_SECONDS}"
        return literal_column(sql, Integer)

    def uuid_key(self, value: Any) -> ColumnElement[str]:
        """A UUID as ``UUID.hex`` spells it (SQLite keeps UUIDs as 16 bytes)."""
        name = f"{value.table.name}.{value.name}"
        if self.postgres:
            return literal_column(f"replace(CAST({name} AS TEXT), '-', '')", String)
        return literal_column(f"lower(hex({name}))", String)


def _rollup(
    metric: Metric,
    dimension: ColumnElement[str] | str,
    currency: ColumnElement[str] | str,
    slot: ColumnElement[int],
    value: ColumnElement[int],
) -> list[ColumnElement[Any]]:
    def constant(v: ColumnElement[str] | str) -> ColumnElement[str]:
        return literal(v, String) if isinstance(v, str) else v

    return [
        literal(metric.value, String).label("metric"),
        constant(dimension).label("dimension"),
        constant(currency).label("currency"),
        slot.label("slot"),
        value.label("value"),
    ]


def _sources(family: Family, d: _Dialect, first_slot: int, end_slot: int) -> list[Select[Any]]:
    start, end = slot_start(first_slot), slot_start(end_slot)
    if family is Family.LEARNING:
        e = _enrollments.c
        enrolled = d.slot(e.enrolled_at)
        completed = d.slot(e.completed_at)
        course = d.uuid_key(e.course_id)
        return [
            select(*_rollup(Metric.ENROLLMENTS, course, "", enrolled, func.count()))
            .where(e.enrolled_at >= start, e.enrolled_at < end)
            .group_by(course, enrolled),
            select(*_rollup(Metric.COMPLETIONS, course, "", completed, func.count()))
            .where(e.completed_at >= start, e.completed_at < end)
            .group_by(course, completed),
        ]
    if family is Family.IDENTITY:
        u = _users.c
        created = d.slot(u.created_at)
        return [
            select(*_rollup(Metric.SIGNUPS, u.role, "", created, func.count()))
            .where(u.created_at >= start, u.created_at < end)
            .group_by(u.role, created)
        ]
    if family is Family.ACTIVITY:
        s = _S.__table__.c
        first_day, end_day = start.date(), end.date() + timedelta(days=1)
        day = d.day_slot(s.day)
        in_range = and_(s.day >= first_day, s.day < end_day, day >= first_slot, day < end_slot)
        return [
            select(*_rollup(Metric.ACTIVE_PEOPLE, "", "", day, func.count()))
            .where(in_range, s.kind == "active")
            .group_by(day),
            select(*_rollup(Metric.COURSE_VIEWERS, s.subject, "", day, func.count()))
            .where(in_range, s.kind == "course_view")
            .group_by(s.subject, day),
        ]
    return _ledger_sources(d, start, end)


def _ledger_sources(d: _Dialect, start: Any, end: Any) -> list[Select[Any]]:
    line, account, entry = _lines.c, _accounts.c, _entries.c
    posted = d.slot(line.posted_at)

    def lines(*columns: ColumnElement[Any]) -> Select[Any]:
        return (
            select(*columns)
            .select_from(
                _lines.join(_accounts, account.id == line.account_id).join(
                    _entries, entry.id == line.entry_id
                )
            )
            .where(line.posted_at >= start, line.posted_at < end)
        )

    gain = case((line.amount > 0, line.amount), else_=0)
    total = func.sum(line.amount)
    currency = account.currency
    tutor = d.uuid_key(account.owner_id)
    return [
        # What buyers paid for courses and lessons: the fee and the tutor's share credited.
        lines(*_rollup(Metric.GMV, "", account.currency, posted, func.sum(gain)))
        .where(entry.kind.in_(L.SALE_ENTRIES))
        .group_by(account.currency, posted),
        # Every line of the platform revenue accounts: the series sums to their change.
        lines(*_rollup(Metric.PLATFORM_REVENUE, "", currency, posted, total))
        .where(account.kind == L.PLATFORM_REVENUE)
        .group_by(account.currency, posted),
        # A tutor's share of sales less refunds: moves between their own accounts sum to zero,
        # and payouts are their money leaving, not revenue lost.
        lines(*_rollup(Metric.TUTOR_NET_REVENUE, tutor, currency, posted, total))
        .where(account.kind.in_(L.TUTOR_ACCOUNTS), entry.kind != L.PAYOUT_ENTRY)
        .group_by(tutor, account.currency, posted)
        .having(func.sum(line.amount) != 0),
        lines(*_rollup(Metric.REFUNDS, "", currency, posted, func.count(entry.id.distinct())))
        .where(entry.kind == L.REFUND_ENTRY, line.amount > 0)
        .group_by(account.currency, posted),
        # What went back to the buyer: the refund's credited lines.
        lines(*_rollup(Metric.REFUNDED_AMOUNT, "", account.currency, posted, func.sum(gain)))
        .where(entry.kind == L.REFUND_ENTRY)
        .group_by(account.currency, posted),
        lines(*_rollup(Metric.PAYOUTS, "", account.currency, posted, func.sum(line.amount)))
        .where(entry.kind == L.PAYOUT_ENTRY, account.kind == L.PAYOUTS)
        .group_by(account.currency, posted),
    ]


class SqlaRollupKeeper:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def recompute(self, families: Collection[Family], first_slot: int, end_slot: int) -> int:
        metrics = [m.value for f in families for m in FAMILY_METRICS[f]]
        written = 0
        async with self._sessions() as session:
            connection = await session.connection(execution_options=WRITE_TRANSACTION)
            dialect = _Dialect(connection.dialect.name)
            if dialect.postgres:
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROLLUP_LOCK_KEY}
                )
            await session.execute(
                delete(_R).where(_R.metric.in_(metrics), _R.slot >= first_slot, _R.slot < end_slot)
            )
            for family in families:
                for source in _sources(family, dialect, first_slot, end_slot):
                    result = await session.execute(
                        insert(_R).from_select(
                            ["metric", "dimension", "currency", "slot", "value"], source
                        )
                    )
                    written += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
            await session.commit()
        return written


class SqlaRollupReader:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def many(
        self,
        metrics: Collection[Metric],
        first_slot: int,
        end_slot: int,
        *,
        dimensions: Collection[str] | None = None,
        per_dimension: bool = True,
    ) -> dict[Metric, list[tuple[int, str, str, int]]]:
        found: dict[Metric, list[tuple[int, str, str, int]]] = {m: [] for m in metrics}
        if dimensions is not None and not dimensions:
            return found
        dimension = _R.dimension if per_dimension else literal("", String)
        value = _R.value if per_dimension else func.sum(_R.value)
        stmt = select(_R.metric, _R.slot, dimension, _R.currency, value).where(
            _R.metric.in_([m.value for m in metrics]),
            _R.slot >= first_slot,
            _R.slot < end_slot,
        )
        if dimensions is not None:
            stmt = stmt.where(_R.dimension.in_(list(dimensions)))
        if not per_dimension:
            # Summed in the database: a platform-wide figure kept per course is one row a slot.
            stmt = stmt.group_by(_R.metric, _R.slot, _R.currency)
        async with self._sessions() as session:
            for metric, slot, dim, currency, amount in await session.execute(stmt):
                found[Metric(metric)].append((slot, dim, currency, int(amount)))
        return found


class SqlaAnalyticsQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def taught_courses(self, user_id: UUID) -> dict[UUID, str]:
        c, i = _courses.c, _instructors.c
        stmt = select(c.id, c.title).join_from(_courses, _instructors, i.course_id == c.id)
        async with self._sessions() as session:
            rows = await session.execute(stmt.where(i.user_id == user_id))
            return {course_id: title for course_id, title in rows}

    async def course_title(self, course_id: UUID) -> str | None:
        c = _courses.c
        async with self._sessions() as session:
            return await session.scalar(select(c.title).where(c.id == course_id))

    async def funnel(self, course_ids: Sequence[UUID]) -> list[FunnelRow]:
        e, c = _enrollments.c, _courses.c

        def share(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        stmt = (
            select(
                c.id,
                c.title,
                func.count(e.id),
                share(or_(e.progress_percent > 0, e.completed_at.is_not(None))),
                share(or_(e.progress_percent >= 50, e.completed_at.is_not(None))),
                share(e.completed_at.is_not(None)),
            )
            .join_from(_courses, _enrollments, e.course_id == c.id, isouter=True)
            .where(c.id.in_(list(course_ids)))
            .group_by(c.id, c.title)
            .order_by(c.title, c.id)
        )
        async with self._sessions() as session:
            return [
                FunnelRow(
                    course_id=row[0],
                    title=row[1],
                    enrolled=row[2],
                    started=row[3],
                    halfway=row[4],
                    completed=row[5],
                )
                for row in await session.execute(stmt)
            ]

    async def ratings_and_last_lessons(
        self, course_ids: Sequence[UUID]
    ) -> tuple[list[int], dict[UUID, int]]:
        r, e = _reviews.c, _enrollments.c
        ratings = (
            select(r.rating, func.count())
            .where(r.course_id.in_(list(course_ids)), r.hidden.is_(False))
            .group_by(r.rating)
        )
        last = (
            select(_last_lesson, func.count())
            .where(e.course_id.in_(list(course_ids)), _last_lesson.is_not(None))
            .where(e.status == "active")
            .group_by(_last_lesson)
        )
        stars = [0] * 5
        async with self._sessions() as session:
            for rating, count in await session.execute(ratings):
                if 1 <= rating <= 5:
                    stars[rating - 1] = count
            reached = {lesson: count for lesson, count in await session.execute(last)}
        return stars, reached

    async def active_people(self, today: date) -> tuple[int, int, int]:
        s = _S.__table__.c

        def since(days: int) -> ColumnElement[int]:
            first = today - timedelta(days=days - 1)
            return func.count(case((s.day >= first, s.person_id)).distinct())

        stmt = select(since(1), since(7), since(30)).where(
            s.kind == "active", s.day >= today - timedelta(days=29), s.day <= today
        )
        async with self._sessions() as session:
            dau, wau, mau = (await session.execute(stmt)).one()
        return int(dau), int(wau), int(mau)

    async def learner(self, user_id: UUID) -> LearnerFacts:
        e, c, ld = _enrollments.c, _courses.c, _learning_days.c
        courses = (
            select(c.id, c.title, e.status, e.progress_percent, e.last_activity_at, e.completed_at)
            .join_from(_enrollments, _courses, c.id == e.course_id)
            .where(e.user_id == user_id)
            .order_by(e.last_activity_at.desc().nulls_last(), c.id)
            .limit(200)
        )
        days = select(ld.day).where(ld.user_id == user_id).order_by(ld.day.desc()).limit(400)
        certificates = select(func.count()).where(_certificates.c.user_id == user_id)
        async with self._sessions() as session:
            progress = [
                CourseProgress(
                    course_id=row[0],
                    title=row[1],
                    status=row[2],
                    progress_percent=row[3],
                    last_activity_at=row[4],
                    completed_at=row[5],
                )
                for row in await session.execute(courses)
            ]
            learned: list[date] = list(await session.scalars(days))
            held = await session.scalar(certificates.select_from(_certificates)) or 0
        return LearnerFacts(courses=progress, learning_days=learned, certificates=held)


class SqlaSightingStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def save(self, sightings: Collection[Sighting]) -> None:
        rows = [
            {"kind": s.kind, "subject": s.subject, "day": s.day, "person_id": s.person_id}
            for s in sightings
        ]
        if not rows:
            return
        async with self._sessions() as session:
            connection = await session.connection(execution_options=WRITE_TRANSACTION)
            if connection.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as upsert
            else:
                from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
            await session.execute(upsert(_S).on_conflict_do_nothing(), rows)
            await session.commit()
