"""The analytics read side and its rollup keeper.

Analytics is a projection: it reads the tables of the contexts it reports on (enrollments,
users, the ledger's journal lines, courses) and nothing writes them here. It names only the
columns it reads, as lightweight table clauses, so no other context's models are imported.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    String,
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
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement, FromClause, Select

from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.models.analytics import (
    AnalyticsQuizAnswerRow,
    AnalyticsRecountRow,
    AnalyticsRollupRow,
    AnalyticsSightingRow,
)
from elearn.adapters.persistence.repository_base import dialect_insert
from elearn.application.analytics.ports import (
    CourseProgress,
    FunnelRow,
    LearnerFacts,
    PlatformSnapshot,
    QuizAnswer,
    QuizQuestion,
    Sighting,
    UpcomingLesson,
)
from elearn.application.caching import SingleFlightCache
from elearn.domain.analytics import ledger as L
from elearn.domain.analytics.durations import BIN_BOUNDS
from elearn.domain.analytics.metrics import Family, Metric
from elearn.domain.analytics.series import DAY_SLOT_OFFSET, SLOT_SECONDS, slot_start

# A recount deletes and re-inserts its families' rows of some slots: two recounts of one family
# and slot must not interleave (PostgreSQL; SQLite has one writer anyway), but recounts of other
# families or slots may. Each family has its class of two-key advisory locks (the pairs do not
# meet single-key locks, nor the other classes' pairs): key = a slot, or _WHOLE_FAMILY for the
# family itself. A recount of a few slots takes each family shared and each (family, slot)
# exclusive; a wider one (a rebuild's week) takes its families exclusive rather than thousands
# of slot locks. Every recount takes all its family locks, in family order, before any slot
# lock, in (family, slot) order: one global order, so no two recounts deadlock.
_ROLLUP_LOCK_CLASS = 0x524C_5500  # "RLU" and the family's number
_FAMILY_LOCK_CLASS = {family: _ROLLUP_LOCK_CLASS + n for n, family in enumerate(Family)}
_WHOLE_FAMILY = -(2**31)  # no slot: slots count quarter hours since 1970
# Up to this many slots a recount locks them one by one (the periodic job's half hour is 3).
_SLOT_LOCKS_AT_MOST = 8
# The first transaction id not yet assigned as of the statement's snapshot (PostgreSQL 13+).
_NEXT_TRANSACTION_ID = "pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
# Courses and tickets counted as they stand are reused for this long (per process).
SNAPSHOT_SECONDS = 15.0
# A student's dashboard lists their next lessons, not all of them.
UPCOMING_LESSONS = 10

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
_courses = table(
    "courses",
    column("id", GUID),
    column("title", String),
    column("category_id", GUID),
    column("status", String),
)
_categories = table("categories", column("id", GUID), column("name", String))
_lessons = table(
    "lessons",
    column("id", GUID),
    column("course_id", GUID),
    column("section_id", GUID),
    column("position", Integer),
    column("title", String),
)
_sections = table("course_sections", column("id", GUID), column("position", Integer))
_quizzes = table("quizzes", column("lesson_id", GUID), column("definition", JsonB))
_instructors = table("course_instructors", column("course_id", GUID), column("user_id", GUID))
_learning_days = table("learning_days", column("user_id", GUID), column("day", Date))
_certificates = table("certificates", column("user_id", GUID))
_reviews = table(
    "course_reviews",
    column("course_id", GUID),
    column("rating", Integer),
    column("hidden", Boolean),
)

_bookings = table(
    "bookings",
    column("id", GUID),
    column("tutor_id", GUID),
    column("student_id", GUID),
    column("starts_at", DateTimeUTC),
    column("ends_at", DateTimeUTC),
    column("status", String),
    column("confirmed_at", DateTimeUTC),
    column("ended_at", DateTimeUTC),
)
_tickets = table(
    "support_tickets",
    column("category", String),
    column("status", String),
    column("opened_at", DateTimeUTC),
    column("first_response_breached_at", DateTimeUTC),
    column("resolution_breached_at", DateTimeUTC),
)
_applications = table(
    "tutor_applications",
    column("status", String),
    column("submitted_at", DateTimeUTC),
    column("decided_at", DateTimeUTC),
)
_transitions = table(
    "course_transitions",
    column("course_id", GUID),
    column("at", DateTimeUTC),
    column("action", String),
)
_attempts = table(
    "quiz_attempts",
    column("user_id", GUID),
    column("submitted_at", DateTimeUTC),
    column("score", String),
    column("max_score", Integer),
)

_study_time = table(
    "study_time",
    column("user_id", GUID),
    column("quarter_hour", DateTimeUTC),
    column("seconds", Integer),
)

_R = AnalyticsRollupRow
_RC = AnalyticsRecountRow.__table__.c
_S = AnalyticsSightingRow
_A = AnalyticsQuizAnswerRow


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
        """`series.day_slot` of a UTC day column."""
        name = f"{day.table.name}.{day.name}"
        if self.postgres:
            sql = f"CAST(EXTRACT(EPOCH FROM {name}::timestamp) / {SLOT_SECONDS} AS BIGINT)"
        else:
            sql = f"CAST(strftime('%s', {name}) AS INTEGER) / {SLOT_SECONDS}"
        return literal_column(f"({sql} + {DAY_SLOT_OFFSET})", Integer)

    def score_permille(self, score: Any, maximum: Any) -> ColumnElement[int]:
        """A quiz score, kept as an exact fraction ("7/2", or "3"), in permille of the maximum,
        rounded half away from zero."""
        s, m = f"{score.table.name}.{score.name}", f"{maximum.table.name}.{maximum.name}"
        if self.postgres:
            value = (
                f"CASE WHEN position('/' in {s}) > 0 THEN split_part({s}, '/', 1)::numeric"
                f" / split_part({s}, '/', 2)::numeric ELSE {s}::numeric END"
            )
            sql = f"CAST(ROUND({value} * 1000 / {m}) AS BIGINT)"
        else:
            value = (
                f"CASE WHEN instr({s}, '/') > 0 THEN"
                f" CAST(substr({s}, 1, instr({s}, '/') - 1) AS REAL)"
                f" / CAST(substr({s}, instr({s}, '/') + 1) AS REAL) ELSE CAST({s} AS REAL) END"
            )
            sql = f"CAST(ROUND({value} * 1000.0 / {m}) AS INTEGER)"
        return literal_column(sql, Integer)

    def seconds_between(self, start: Any, end: Any) -> ColumnElement[int]:
        """Whole seconds from one timestamp column to another of the same row."""
        names = [f"{c.table.name}.{c.name}" for c in (start, end)]
        if self.postgres:
            sql = f"CAST(FLOOR(EXTRACT(EPOCH FROM {names[1]} - {names[0]})) AS BIGINT)"
        else:
            sql = f"(CAST(strftime('%s', {names[1]}) AS INTEGER)"
            sql += f" - CAST(strftime('%s', {names[0]}) AS INTEGER))"
        return literal_column(sql, Integer)

    def uuid_key(self, value: Any) -> ColumnElement[str]:
        """A UUID as ``UUID.hex`` spells it (SQLite keeps UUIDs as 16 bytes)."""
        name = f"{value.table.name}.{value.name}"
        if self.postgres:
            return literal_column(f"replace(CAST({name} AS TEXT), '-', '')", String)
        return literal_column(f"lower(hex({name}))", String)

    def question_key(self, lesson: Any, question: Any) -> ColumnElement[str]:
        """A quiz question as `quiz_item_key` spells it: the lesson's key, ':', its id."""
        return literal_column(
            f"({self.uuid_key(lesson)} || ':' || {question.table.name}.{question.name})", String
        )


@dataclass(frozen=True, slots=True)
class _Hex:
    """A UUID column kept in a rollup's dimension as ``UUID.hex`` spells it."""

    column: Any


@dataclass(frozen=True, slots=True)
class _DurationBin:
    """The dimension of a histogram rollup: the bin (`durations.duration_bin`, as text) of the
    time from ``start`` to ``end`` of the row."""

    start: Any
    end: Any


@dataclass(frozen=True, slots=True)
class _QuestionKey:
    """A quiz question in a rollup's dimension: ``quiz_item_key(lesson, question)``."""

    lesson: Any
    question: Any


@dataclass(frozen=True, slots=True)
class _Rollup:
    """How one metric is recounted: the rows of ``source`` whose ``instant`` (a timestamp, or a
    UTC day with ``per_day``) falls in the slots, grouped by slot, dimension and currency.
    Adding a figure is its name in ``Metric`` and one of these in its family's ``_ROLLUPS``:
    the keeper, the periodic job and the rebuild then keep it."""

    metric: Metric
    source: FromClause
    instant: Any
    value: Callable[[_Dialect], ColumnElement[int]] = lambda _: func.count()
    # A column, a UUID column as hex, or one constant ('' when omitted).
    dimension: _Hex | _DurationBin | _QuestionKey | ColumnElement[str] | str = ""
    currency: ColumnElement[str] | None = None
    where: tuple[ColumnElement[bool], ...] = ()
    # Groups summing to zero are not kept (moves between a tutor's own accounts).
    skip_zeros: bool = False
    per_day: bool = False

    def select(self, d: _Dialect, first_slot: int, end_slot: int) -> Select[Any]:
        start, end = slot_start(first_slot), slot_start(end_slot)
        if self.per_day:
            slot = d.day_slot(self.instant)
            # The day's own range first, so an index on the day serves it.
            in_range = [
                self.instant >= start.date() - timedelta(days=1),
                self.instant < end.date() + timedelta(days=1),
                slot >= first_slot,
                slot < end_slot,
            ]
        else:
            slot = d.slot(self.instant)
            in_range = [self.instant >= start, self.instant < end]
        dimension: Any = self.dimension
        if isinstance(dimension, _Hex):
            dimension = d.uuid_key(dimension.column)
        elif isinstance(dimension, _DurationBin):
            dimension = _duration_bin(d.seconds_between(dimension.start, dimension.end))
        elif isinstance(dimension, _QuestionKey):
            dimension = d.question_key(dimension.lesson, dimension.question)
        keys: list[ColumnElement[Any]] = [slot]
        if not isinstance(dimension, str):
            keys.append(dimension)
        if self.currency is not None:
            keys.append(self.currency)
        stmt = (
            select(
                literal(self.metric.value, String).label("metric"),
                (literal(dimension, String) if isinstance(dimension, str) else dimension).label(
                    "dimension"
                ),
                (literal("", String) if self.currency is None else self.currency).label("currency"),
                slot.label("slot"),
                self.value(d).label("value"),
            )
            .select_from(self.source)
            .where(*in_range, *self.where)
            .group_by(*keys)
        )
        return stmt.having(self.value(d) != 0) if self.skip_zeros else stmt


_e, _u, _s = _enrollments.c, _users.c, _S.__table__.c
_line, _account, _entry = _lines.c, _accounts.c, _entries.c
_ledger = _lines.join(_accounts, _account.id == _line.account_id).join(
    _entries, _entry.id == _line.entry_id
)


def _gain(_: _Dialect) -> ColumnElement[int]:
    return func.sum(case((_line.amount > 0, _line.amount), else_=0))


def _total(_: _Dialect) -> ColumnElement[int]:
    return func.sum(_line.amount)


def _ledger_rollup(
    metric: Metric, value: Callable[[_Dialect], ColumnElement[int]], *where: Any
) -> _Rollup:
    return _Rollup(metric, _ledger, _line.posted_at, value, currency=_account.currency, where=where)


_b, _t, _a, _q = _bookings.c, _tickets.c, _applications.c, _attempts.c
_ct, _submits = _transitions.c, _transitions.alias("submits")
# A course's review decisions with the submission each decided: the latest submission of the
# course at or before the decision (a rejected course is revised and submitted again).
_review_decisions = (
    select(
        _ct.at.label("decided_at"),
        select(func.max(_submits.c.at))
        .where(
            _submits.c.course_id == _ct.course_id,
            _submits.c.action == "submit",
            _submits.c.at <= _ct.at,
        )
        .scalar_subquery()
        .label("submitted_at"),
    )
    .where(_ct.action.in_(("approve", "reject")))
    .subquery("review_decisions")
)
_rd = _review_decisions.c
_answer, _study = _A.__table__.c, _study_time.c


def _score_sum(d: _Dialect) -> ColumnElement[int]:
    return func.sum(d.score_permille(_q.score, _q.max_score))


_ROLLUPS: dict[Family, tuple[_Rollup, ...]] = {
    Family.LEARNING: (
        _Rollup(Metric.ENROLLMENTS, _enrollments, _e.enrolled_at, dimension=_Hex(_e.course_id)),
        _Rollup(Metric.COMPLETIONS, _enrollments, _e.completed_at, dimension=_Hex(_e.course_id)),
        _Rollup(Metric.ALL_ENROLLMENTS, _enrollments, _e.enrolled_at),
    ),
    Family.IDENTITY: (
        _Rollup(Metric.SIGNUPS, _users, _u.created_at, dimension=_u.role),
        # Decided applications by decision: the approval rate is approved / both.
        _Rollup(
            Metric.TUTOR_DECISIONS,
            _applications,
            _a.decided_at,
            dimension=_a.status,
            where=(_a.status.in_(("approved", "rejected")),),
        ),
        # How long the decisions took, per bin of the time from submission to decision.
        _Rollup(
            Metric.TUTOR_DECISION_TIME,
            _applications,
            _a.decided_at,
            dimension=_DurationBin(_a.submitted_at, _a.decided_at),
            where=(_a.status.in_(("approved", "rejected")),),
        ),
    ),
    Family.CATALOG: (
        # How long course reviews take, per bin of the time from submission to decision.
        _Rollup(
            Metric.COURSE_REVIEW_TIME,
            _review_decisions,
            _rd.decided_at,
            dimension=_DurationBin(_rd.submitted_at, _rd.decided_at),
            where=(_rd.submitted_at.is_not(None),),
        ),
    ),
    Family.TUTORING: (
        _Rollup(Metric.BOOKINGS_CONFIRMED, _bookings, _b.confirmed_at, dimension=_Hex(_b.tutor_id)),
        # `ended_at` is when a booking left the active states: for these, its cancellation.
        _Rollup(
            Metric.BOOKINGS_CANCELLED_BY_STUDENT,
            _bookings,
            _b.ended_at,
            dimension=_Hex(_b.tutor_id),
            where=(_b.status == "cancelled_by_student",),
        ),
        _Rollup(
            Metric.BOOKINGS_CANCELLED_BY_TUTOR,
            _bookings,
            _b.ended_at,
            dimension=_Hex(_b.tutor_id),
            where=(_b.status == "cancelled_by_tutor",),
        ),
    ),
    Family.SUPPORT: (
        _Rollup(Metric.TICKETS_OPENED, _tickets, _t.opened_at, dimension=_t.category),
        _Rollup(
            Metric.SLA_BREACHES,
            _tickets,
            _t.first_response_breached_at,
            dimension="first_response",
        ),
        _Rollup(
            Metric.SLA_BREACHES,
            _tickets,
            _t.resolution_breached_at,
            dimension="resolution",
        ),
    ),
    Family.QUIZZES: (
        _Rollup(
            Metric.QUIZ_SUBMISSIONS,
            _attempts,
            _q.submitted_at,
            dimension=_Hex(_q.user_id),
            where=(_q.score.is_not(None), _q.max_score > 0),
        ),
        _Rollup(
            Metric.QUIZ_SCORE_PERMILLE,
            _attempts,
            _q.submitted_at,
            _score_sum,
            dimension=_Hex(_q.user_id),
            where=(_q.score.is_not(None), _q.max_score > 0),
        ),
        # Per question, from what the submissions' events said (`analytics_quiz_answers`).
        _Rollup(
            Metric.QUIZ_ITEM_ANSWERED,
            _A.__table__,
            _answer.submitted_at,
            dimension=_QuestionKey(_answer.lesson_id, _answer.question_id),
        ),
        _Rollup(
            Metric.QUIZ_ITEM_CORRECT,
            _A.__table__,
            _answer.submitted_at,
            dimension=_QuestionKey(_answer.lesson_id, _answer.question_id),
            where=(_answer.correct.is_(True),),
        ),
    ),
    Family.STUDY: (
        _Rollup(
            Metric.STUDY_SECONDS,
            _study_time,
            _study.quarter_hour,
            lambda _: func.sum(_study.seconds),
            dimension=_Hex(_study.user_id),
        ),
    ),
    Family.LEDGER: (
        # What buyers paid for courses and lessons: the fee and the tutor's share credited.
        _ledger_rollup(Metric.GMV, _gain, _entry.kind.in_(L.SALE_ENTRIES)),
        # Every line of the platform revenue accounts: the series sums to their change.
        _ledger_rollup(Metric.PLATFORM_REVENUE, _total, _account.kind == L.PLATFORM_REVENUE),
        # A tutor's share of sales less refunds: moves between their own accounts sum to zero,
        # and payouts are their money leaving, not revenue lost.
        _Rollup(
            Metric.TUTOR_NET_REVENUE,
            _ledger,
            _line.posted_at,
            _total,
            dimension=_Hex(_account.owner_id),
            currency=_account.currency,
            where=(_account.kind.in_(L.TUTOR_ACCOUNTS), _entry.kind != L.PAYOUT_ENTRY),
            skip_zeros=True,
        ),
        _ledger_rollup(
            Metric.REFUNDS,
            lambda _: func.count(_entry.id.distinct()),
            _entry.kind == L.REFUND_ENTRY,
            _line.amount > 0,
        ),
        # What went back to the buyer: the refund's credited lines.
        _ledger_rollup(Metric.REFUNDED_AMOUNT, _gain, _entry.kind == L.REFUND_ENTRY),
        _ledger_rollup(
            Metric.PAYOUTS, _total, _entry.kind == L.PAYOUT_ENTRY, _account.kind == L.PAYOUTS
        ),
    ),
    Family.ACTIVITY: (
        _Rollup(
            Metric.ACTIVE_PEOPLE, _S.__table__, _s.day, where=(_s.kind == "active",), per_day=True
        ),
        _Rollup(
            Metric.COURSE_VIEWERS,
            _S.__table__,
            _s.day,
            dimension=_s.subject,
            where=(_s.kind == "course_view",),
            per_day=True,
        ),
    ),
}


class SqlaRollupKeeper:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def recompute(self, families: Collection[Family], first_slot: int, end_slot: int) -> int:
        metrics = [r.metric.value for f in families for r in _ROLLUPS[f]]
        written = 0
        async with self._sessions() as session:
            connection = await session.connection(execution_options=WRITE_TRANSACTION)
            dialect = _Dialect(connection.dialect.name)
            if dialect.postgres and families:
                called = await session.scalar(text(_lock_statement(families, first_slot, end_slot)))
                if called is not None and not await _claim(
                    session, families, first_slot, end_slot, called
                ):
                    await session.commit()
                    return 0
            await session.execute(
                delete(_R).where(_R.metric.in_(metrics), _R.slot >= first_slot, _R.slot < end_slot)
            )
            for family in families:
                for rollup in _ROLLUPS[family]:
                    result = await session.execute(
                        insert(_R).from_select(
                            ["metric", "dimension", "currency", "slot", "value"],
                            rollup.select(dialect, first_slot, end_slot),
                        )
                    )
                    written += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
            await session.commit()
        return written


def _lock_statement(families: Collection[Family], first_slot: int, end_slot: int) -> str:
    """The one statement that takes a recount's advisory locks, in the global order (the
    columns of a select list are evaluated left to right). Its values are integers we computed,
    written into the SQL. A recount of a few slots also answers, first, the next transaction
    id as of its call (see `_claim`); a wider one answers NULL."""
    classes = sorted({_FAMILY_LOCK_CLASS[family] for family in families})
    if end_slot - first_slot > _SLOT_LOCKS_AT_MOST:
        calls = ["NULL"] + [f"pg_advisory_xact_lock({c}, {_WHOLE_FAMILY})" for c in classes]
    else:
        calls = [_NEXT_TRANSACTION_ID]
        calls += [f"pg_advisory_xact_lock_shared({c}, {_WHOLE_FAMILY})" for c in classes]
        calls += [
            f"pg_advisory_xact_lock({c}, {int(slot)})"
            for c in classes
            for slot in range(first_slot, end_slot)
        ]
    return "SELECT " + ", ".join(calls)


async def _claim(
    session: AsyncSession,
    families: Collection[Family],
    first_slot: int,
    end_slot: int,
    called: int,
) -> bool:
    """Notes that this recount begins now for each of its families' slots, unless, for every
    one of them, a recount that began after ``called`` has committed (False: it read
    everything committed before this one was called, so there is nothing to add).

    How several API processes share a busy quarter hour's recounts: while one recounts, the
    next of each process waits for the lock; the first through often began after the others
    were called, and they skip. Positions on PostgreSQL's transaction id counter, which only
    grows, order a recount's start after a call without trusting clocks (equal positions
    count as not after: that only costs a recount)."""
    rows: list[dict[str, Any]] = [
        {"family": family.value, "slot": slot, "began": literal_column(_NEXT_TRANSACTION_ID)}
        for family in families
        for slot in range(first_slot, end_slot)
    ]
    stmt = pg_insert(AnalyticsRecountRow).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_RC.family, _RC.slot],
        set_={"began": stmt.excluded.began},
        where=_RC.began <= called,
    )
    return (await session.execute(stmt.returning(_RC.slot))).first() is not None


class SqlaRollupReader:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def many(
        self,
        metrics: Collection[Metric],
        bucket_starts: Sequence[int],
        end_slot: int,
        *,
        dimensions: Collection[str] | None = None,
        per_dimension: bool = True,
    ) -> dict[Metric, list[tuple[int, str, str, int]]]:
        found: dict[Metric, list[tuple[int, str, str, int]]] = {m: [] for m in metrics}
        if dimensions is not None and not dimensions:
            return found
        bucket = _bucket_of(_R.__table__.c.slot, bucket_starts)
        dimension = _R.dimension if per_dimension else literal("", String)
        keys: list[Any] = [_R.metric, _R.currency, *([_R.dimension] if per_dimension else [])]
        if len(bucket_starts) > 1:  # one bucket is the constant 0: grouping by it names a column
            keys.append(bucket)
        stmt = (
            select(_R.metric, bucket, dimension, _R.currency, func.sum(_R.value))
            .where(
                _R.metric.in_([m.value for m in metrics]),
                _R.slot >= bucket_starts[0],
                _R.slot < end_slot,
            )
            .group_by(*keys)
        )
        if dimensions is not None:
            stmt = stmt.where(_R.dimension.in_(list(dimensions)))
        async with self._sessions() as session:
            for metric, index, dim, currency, amount in await session.execute(stmt):
                found[Metric(metric)].append((int(index), dim, currency, int(amount)))
        return found


def _duration_bin(seconds: ColumnElement[int]) -> ColumnElement[str]:
    """`durations.duration_bin` in SQL, as text: a search tree of CASEs over the bins' bounds
    (about eight comparisons a row), written into the statement as integers."""

    def tree(low: int, high: int) -> ColumnElement[str]:
        # The bin is `low` to `high`: a duration below BIN_BOUNDS[middle - 1] is in a lower one.
        if low == high:
            return literal_column(f"'{int(low)}'", String)
        middle = (low + high + 1) // 2
        bound = literal_column(str(int(BIN_BOUNDS[middle - 1])), Integer)
        return case((seconds < bound, tree(low, middle - 1)), else_=tree(middle, high))

    return tree(0, len(BIN_BOUNDS))


def _bucket_of(slot: ColumnElement[int], starts: Sequence[int]) -> ColumnElement[int]:
    """The index of the bucket ``slot`` falls in, as a search tree of CASEs over the buckets'
    first slots: a row passes through about log2(buckets) comparisons, and the database
    answers one row per bucket, not one per quarter hour. The boundaries are integers we
    computed, written into the statement (800 daily buckets would exceed SQLite's parameters
    on old builds)."""

    def tree(low: int, high: int) -> ColumnElement[int]:
        if low == high:
            return literal_column(str(int(low)), Integer)
        middle = (low + high + 1) // 2
        return case(
            (slot < literal_column(str(int(starts[middle])), Integer), tree(low, middle - 1)),
            else_=tree(middle, high),
        )

    return tree(0, len(starts) - 1)


class SqlaAnalyticsQueries:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        snapshot_seconds: float = SNAPSHOT_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._snapshots = SingleFlightCache(ttl_seconds=snapshot_seconds)

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

    async def quiz_questions(self, course_ids: Sequence[UUID]) -> list[QuizQuestion]:
        lesson, section, quiz = _lessons.c, _sections.c, _quizzes.c
        stmt = (
            select(lesson.course_id, lesson.id, lesson.title, quiz.definition)
            .join_from(_quizzes, _lessons, lesson.id == quiz.lesson_id)
            .join(_sections, section.id == lesson.section_id)
            .where(lesson.course_id.in_(list(course_ids)))
            .order_by(lesson.course_id, section.position, lesson.position, lesson.id)
        )
        async with self._sessions() as session:
            rows = list(await session.execute(stmt))
        # The definition is learning's JSON (`quiz_to_json`): only each question's id and prompt
        # are read, in their order.
        return [
            QuizQuestion(
                course_id=course_id,
                lesson_id=lesson_id,
                lesson_title=title,
                position=position,
                question_id=str(question["id"]),
                prompt=str(question["prompt"]),
            )
            for course_id, lesson_id, title, definition in rows
            for position, question in enumerate(definition.get("questions", ()), start=1)
        ]

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

    async def platform_snapshot(self) -> PlatformSnapshot:
        # Counting every ticket takes PostgreSQL some milliseconds (100,000 entries of its
        # status index at the benchmark's scale): under many staff dashboards at once, the
        # process answers the counts it took less than `snapshot_seconds` ago.
        return await self._snapshots.get("platform", self._count_now)

    async def _count_now(self) -> PlatformSnapshot:
        c, g, t = _courses.c, _categories.c, _tickets.c
        category = func.coalesce(g.name, "")
        courses = (
            select(literal("course", String), category, c.status, func.count())
            .select_from(_courses.outerjoin(_categories, g.id == c.category_id))
            .group_by(category, c.status)
        )
        tickets = select(
            literal("ticket", String), literal("", String), t.status, func.count()
        ).group_by(t.status)
        by_category: list[tuple[str, str, int]] = []
        by_status: list[tuple[str, int]] = []
        async with self._sessions() as session:
            for kind, name, status, count in await session.execute(union_all(courses, tickets)):
                if kind == "course":
                    by_category.append((name, status, int(count)))
                else:
                    by_status.append((status, int(count)))
        return PlatformSnapshot(courses=by_category, tickets=by_status)

    async def learner(self, user_id: UUID, now: datetime) -> LearnerFacts:
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
        b = _bookings.c
        upcoming = (
            select(b.id, b.tutor_id, b.starts_at, b.ends_at)
            .where(b.student_id == user_id, b.status == "confirmed", b.ends_at > now)
            .order_by(b.starts_at, b.id)
            .limit(UPCOMING_LESSONS)
        )
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
            lessons = [UpcomingLesson(*row) for row in await session.execute(upcoming)]
        return LearnerFacts(
            courses=progress, learning_days=learned, certificates=held, upcoming_lessons=lessons
        )


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
            await session.connection(execution_options=WRITE_TRANSACTION)
            await session.execute(dialect_insert(session, _S).on_conflict_do_nothing(), rows)
            await session.commit()


class SqlaQuizAnswerStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def save(self, answers: Collection[QuizAnswer]) -> None:
        rows = [
            {
                "attempt_id": a.attempt_id,
                "question_id": a.question_id,
                "course_id": a.course_id,
                "lesson_id": a.lesson_id,
                "submitted_at": a.submitted_at,
                "correct": a.correct,
            }
            for a in answers
        ]
        if not rows:
            return
        async with self._sessions() as session:
            await session.connection(execution_options=WRITE_TRANSACTION)
            await session.execute(dialect_insert(session, _A).on_conflict_do_nothing(), rows)
            await session.commit()
