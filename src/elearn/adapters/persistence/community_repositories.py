"""Community's stores (threads, replies, votes, subscriptions, edits, reports) and its read
side.

Counters are changed by one ``UPDATE … SET n = n + 1`` after the vote row's insert (or
delete) really happened, so votes cast at once each count exactly once: the vote's primary key
refuses a second vote of one person, and the counter's row lock orders the increments.

Thread pages are keyset-paginated on (pinned, sort key…, id), all descending: the cursor is the
urlsafe base64 of ``[sort, [values…]]`` of a page's last thread.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    and_,
    case,
    delete,
    false,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.community import (
    ContentReportRow,
    ForumEditRow,
    ForumReplyRow,
    ForumSubscriptionRow,
    ForumThreadRow,
    ForumVoteRow,
)
from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.adapters.persistence.repository_base import (
    Embedded,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    dialect_insert,
    enum,
)
from elearn.adapters.persistence.text_search import text_matches
from elearn.application.community.ports import (
    ContentReportView,
    EditView,
    ReplyView,
    ThreadFilter,
    ThreadSort,
    ThreadView,
    VoteTarget,
)
from elearn.application.paging import InvalidCursor, Page
from elearn.domain.community.forum import (
    ContentReport,
    Edit,
    PostBody,
    Reply,
    ReportStatus,
    ReportTarget,
    Thread,
    ThreadKind,
    ThreadStatus,
)

_THREADS = FieldMap(
    Thread,
    ForumThreadRow,
    fields={
        "kind": enum(ThreadKind),
        "status": enum(ThreadStatus),
        "body": Embedded(PostBody, prefix="body_"),
    },
    fixed=("id", "course_id", "kind", "author_id", "created_at"),
    read_only=("reply_count", "vote_count"),
)
_REPLIES = FieldMap(
    Reply,
    ForumReplyRow,
    fields={"body": Embedded(PostBody, prefix="body_")},
    fixed=("id", "thread_id", "parent_id", "depth", "author_id", "created_at"),
    read_only=("vote_count",),
)
_REPORTS = FieldMap(
    ContentReport,
    ContentReportRow,
    fields={"target_type": enum(ReportTarget), "status": enum(ReportStatus)},
    fixed=("id", "course_id", "thread_id", "target_type", "target_id", "reporter_id", "created_at"),
)
_THREADS_TABLE = cast(Table, ForumThreadRow.__table__)
_REPLIES_TABLE = cast(Table, ForumReplyRow.__table__)
_VOTES_TABLE = cast(Table, ForumVoteRow.__table__)
_SUBSCRIPTIONS_TABLE = cast(Table, ForumSubscriptionRow.__table__)
_COUNTED: dict[VoteTarget, Table] = {
    VoteTarget.DISCUSSION: _THREADS_TABLE,
    VoteTarget.REPLY: _REPLIES_TABLE,
}


class SqlaThreadRepository(SqlaRepository[Thread, ForumThreadRow]):
    mapper = _THREADS

    async def count_reply(self, thread_id: UUID) -> None:
        table = _THREADS_TABLE
        await self.session.execute(
            update(table).where(table.c.id == thread_id).values(reply_count=table.c.reply_count + 1)
        )


class SqlaReplyRepository(SqlaRepository[Reply, ForumReplyRow]):
    mapper = _REPLIES
    # A reply's thread row may be new in this transaction (nothing orders them otherwise).
    flush_before_add = True

    async def authors_in(self, thread_id: UUID, *, limit: int) -> list[UUID]:
        stmt = (
            select(ForumReplyRow.author_id)
            .where(ForumReplyRow.thread_id == thread_id)
            .distinct()
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))


class SqlaReportRepository(SqlaRepository[ContentReport, ContentReportRow]):
    mapper = _REPORTS

    async def open_report_by(
        self, reporter_id: UUID, target_type: ReportTarget, target_id: UUID
    ) -> ContentReport | None:
        stmt = select(ContentReportRow).where(
            ContentReportRow.reporter_id == reporter_id,
            ContentReportRow.target_type == target_type.value,
            ContentReportRow.target_id == target_id,
            ContentReportRow.status == ReportStatus.OPEN.value,
        )
        row = await self.session.scalar(stmt.limit(1))
        return None if row is None else self._load(row)


class SqlaVoteStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def cast(self, target: VoteTarget, target_id: UUID, voter: UUID) -> int:
        votes = _VOTES_TABLE
        insert = dialect_insert(self._session, votes).values(
            target_type=target.value,
            target_id=target_id,
            voter_id=voter,
            voted_at=datetime.now(UTC),
        )
        result: Any = await self._session.execute(insert.on_conflict_do_nothing())
        return await self._count(target, target_id, result.rowcount)

    async def withdraw(self, target: VoteTarget, target_id: UUID, voter: UUID) -> int:
        votes = _VOTES_TABLE
        result: Any = await self._session.execute(
            delete(votes).where(
                votes.c.target_type == target.value,
                votes.c.target_id == target_id,
                votes.c.voter_id == voter,
            )
        )
        return await self._count(target, target_id, -result.rowcount)

    async def _count(self, target: VoteTarget, target_id: UUID, change: int) -> int:
        table = _COUNTED[target]
        if change:
            await self._session.execute(
                update(table)
                .where(table.c.id == target_id)
                .values(vote_count=table.c.vote_count + change)
            )
        count = await self._session.scalar(
            select(table.c.vote_count).where(table.c.id == target_id)
        )
        return int(count or 0)

    async def voted(self, target: VoteTarget, target_ids: Sequence[UUID], voter: UUID) -> set[UUID]:
        if not target_ids:
            return set()
        stmt = select(ForumVoteRow.target_id).where(
            ForumVoteRow.target_type == target.value,
            ForumVoteRow.voter_id == voter,
            ForumVoteRow.target_id.in_(list(target_ids)),
        )
        return set(await self._session.scalars(stmt))


class SqlaSubscriptionStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def subscribe(self, thread_id: UUID, user_id: UUID, now: datetime) -> None:
        # The thread may be new in this transaction: write it first.
        await self._session.flush()
        insert = dialect_insert(self._session, ForumSubscriptionRow.__table__)
        await self._session.execute(
            insert.values(
                thread_id=thread_id, user_id=user_id, subscribed_at=now
            ).on_conflict_do_nothing()
        )

    async def unsubscribe(self, thread_id: UUID, user_id: UUID) -> None:
        await self._session.execute(
            delete(ForumSubscriptionRow).where(
                ForumSubscriptionRow.thread_id == thread_id,
                ForumSubscriptionRow.user_id == user_id,
            )
        )

    async def is_subscribed(self, thread_id: UUID, user_id: UUID) -> bool:
        found = await self._session.scalar(
            select(ForumSubscriptionRow.user_id).where(
                ForumSubscriptionRow.thread_id == thread_id,
                ForumSubscriptionRow.user_id == user_id,
            )
        )
        return found is not None

    async def subscribers(self, thread_id: UUID) -> list[UUID]:
        stmt = (
            select(ForumSubscriptionRow.user_id)
            .where(ForumSubscriptionRow.thread_id == thread_id)
            .order_by(ForumSubscriptionRow.subscribed_at, ForumSubscriptionRow.user_id)
        )
        return list(await self._session.scalars(stmt))

    async def claim_notifications(
        self, thread_id: UUID, people: Sequence[UUID], *, cutoff: datetime, now: datetime
    ) -> list[UUID]:
        if not people:
            return []
        table = _SUBSCRIPTIONS_TABLE
        stmt = (
            update(table)
            .where(
                table.c.thread_id == thread_id,
                table.c.user_id.in_(list(people)),
                or_(table.c.last_notified_at.is_(None), table.c.last_notified_at <= cutoff),
            )
            .values(last_notified_at=now)
            .returning(table.c.user_id)
        )
        return list((await self._session.execute(stmt)).scalars())


class SqlaEditHistory:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, edit: Edit, edit_id: UUID) -> None:
        self._session.add(
            ForumEditRow(
                id=edit_id,
                thread_id=edit.thread_id,
                reply_id=edit.reply_id,
                editor_id=edit.editor_id,
                edited_at=edit.edited_at,
                previous_title=edit.previous_title,
                previous_source=edit.previous_source,
            )
        )


class SqlaForumStore:
    def __init__(self, session: AsyncSession) -> None:
        self.threads = SqlaThreadRepository(session)
        self.replies = SqlaReplyRepository(session)
        self.reports = SqlaReportRepository(session)
        self.votes = SqlaVoteStore(session)
        self.subscriptions = SqlaSubscriptionStore(session)
        self.edits = SqlaEditHistory(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.threads, self.replies, self.reports]


# ---- read side -------------------------------------------------------------------------------
threads = _THREADS_TABLE
replies = _REPLIES_TABLE
users = cast(Table, UserRow.__table__)
_MAX_CURSOR_LENGTH = 300

# 2: an open thread nobody replied to; 1: open, with replies; 0: answered or resolved.
_UNANSWERED = case(
    (and_(threads.c.status == ThreadStatus.OPEN.value, threads.c.reply_count == 0), 2),
    (threads.c.status == ThreadStatus.OPEN.value, 1),
    else_=0,
)
_SORT_KEYS: dict[ThreadSort, tuple[ColumnElement[Any], ...]] = {
    ThreadSort.ACTIVITY: (threads.c.pinned, threads.c.last_activity_at, threads.c.id),
    ThreadSort.NEWEST: (threads.c.pinned, threads.c.created_at, threads.c.id),
    ThreadSort.VOTES: (threads.c.pinned, threads.c.vote_count, threads.c.id),
    ThreadSort.UNANSWERED: (threads.c.pinned, _UNANSWERED, threads.c.created_at, threads.c.id),
}


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _decode_value(kind: type[Any], value: Any) -> Any:
    if kind is datetime:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError("naive instant")
        return at.astimezone(UTC)
    if kind is UUID:
        return UUID(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise ValueError("not a count")
    return bool(value) if kind is bool else value


_KEY_TYPES: dict[ThreadSort, tuple[type[Any], ...]] = {
    ThreadSort.ACTIVITY: (bool, datetime, UUID),
    ThreadSort.NEWEST: (bool, datetime, UUID),
    ThreadSort.VOTES: (bool, int, UUID),
    ThreadSort.UNANSWERED: (bool, int, datetime, UUID),
}


def _encode_keys(name: str, values: Sequence[Any]) -> str:
    raw = json.dumps([name, [_encode_value(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_keys(cursor: str, name: str, kinds: Sequence[type[Any]]) -> list[Any]:
    """Raises InvalidCursor for anything ``_encode_keys`` did not make for this order."""
    try:
        if len(cursor) > _MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found_name, values = json.loads(raw)
        if found_name != name or not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("a cursor of another order")
        return [_decode_value(kind, value) for kind, value in zip(kinds, values, strict=True)]
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("this cursor is not one we gave out") from error


def _after(
    keys: Sequence[ColumnElement[Any]], values: Sequence[Any], *, descending: bool
) -> ColumnElement[bool]:
    # Bound with the keys' own types: SQLite stores ids and instants its own way.
    bound = tuple_(
        *(
            literal(value, Integer() if key is _UNANSWERED else key.type)
            for key, value in zip(keys, values, strict=True)
        )
    )
    return tuple_(*keys) < bound if descending else tuple_(*keys) > bound


# Oldest first; at one instant a parent (shallower) before its replies.
_REPLY_KEYS: tuple[ColumnElement[Any], ...] = (replies.c.created_at, replies.c.depth, replies.c.id)
_REPLY_KEY_TYPES: tuple[type[Any], ...] = (datetime, int, UUID)


def _search(q: str, dialect: str) -> ColumnElement[bool]:
    """PostgreSQL: full-text search of title and body; SQLite: every word in one of them."""
    return text_matches(
        q,
        dialect,
        document="forum_threads.search_document",
        columns=(threads.c.title, threads.c.body_source),
    )


_THREAD_COLUMNS = (
    threads.c.id,
    threads.c.course_id,
    threads.c.lesson_id,
    threads.c.kind,
    threads.c.status,
    threads.c.title,
    threads.c.body_source,
    threads.c.body_html,
    threads.c.author_id,
    users.c.full_name,
    threads.c.created_at,
    threads.c.last_activity_at,
    threads.c.edited_at,
    threads.c.pinned,
    threads.c.locked,
    threads.c.hidden,
    threads.c.accepted_reply_id,
    threads.c.reply_count,
    threads.c.vote_count,
)
_REPLY_COLUMNS = (
    replies.c.id,
    replies.c.thread_id,
    replies.c.parent_id,
    replies.c.depth,
    replies.c.body_source,
    replies.c.body_html,
    replies.c.author_id,
    users.c.full_name,
    replies.c.created_at,
    replies.c.edited_at,
    replies.c.hidden,
    replies.c.vote_count,
)


def _thread_view(row: Any) -> ThreadView:
    return ThreadView(
        id=row.id,
        course_id=row.course_id,
        lesson_id=row.lesson_id,
        kind=ThreadKind(row.kind),
        status=ThreadStatus(row.status),
        title=row.title,
        body=row.body_source,
        body_html=row.body_html,
        author_id=row.author_id,
        author_name=row.full_name,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
        edited_at=row.edited_at,
        pinned=row.pinned,
        locked=row.locked,
        hidden=row.hidden,
        accepted_reply_id=row.accepted_reply_id,
        reply_count=row.reply_count,
        vote_count=row.vote_count,
    )


def _reply_view(row: Any) -> ReplyView:
    return ReplyView(
        id=row.id,
        thread_id=row.thread_id,
        parent_id=row.parent_id,
        depth=row.depth,
        body=row.body_source,
        body_html=row.body_html,
        author_id=row.author_id,
        author_name=row.full_name,
        created_at=row.created_at,
        edited_at=row.edited_at,
        hidden=row.hidden,
        vote_count=row.vote_count,
    )


class SqlaForumQueries:
    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._engine = engine
        self._sessions = sessions
        self._dialect = engine.dialect.name

    async def threads(
        self, filters: ThreadFilter, sort: ThreadSort, *, limit: int, cursor: str | None
    ) -> Page[ThreadView]:
        keys = _SORT_KEYS[sort]
        stmt = (
            select(*_THREAD_COLUMNS, *(key.label(f"k{i}") for i, key in enumerate(keys)))
            .select_from(threads.join(users, users.c.id == threads.c.author_id))
            .where(
                threads.c.deleted_at.is_(None),
                threads.c.kind.in_([kind.value for kind in filters.kinds]),
            )
            .order_by(*(key.desc() for key in keys))
        )
        if filters.course_id is not None:
            stmt = stmt.where(threads.c.course_id == filters.course_id)
        if filters.lesson_id is not None:
            stmt = stmt.where(threads.c.lesson_id == filters.lesson_id)
        if filters.status is not None:
            stmt = stmt.where(threads.c.status == filters.status.value)
        if not filters.include_hidden:
            stmt = stmt.where(threads.c.hidden == false())
        if filters.q:
            stmt = stmt.where(_search(filters.q, self._dialect))
        if cursor is not None:
            after = _decode_keys(cursor, sort.value, _KEY_TYPES[sort])
            stmt = stmt.where(_after(keys, after, descending=True))
        async with self._engine.connect() as connection:
            rows = (await connection.execute(stmt.limit(limit + 1))).all()
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode_keys(
                sort.value, [last._mapping[f"k{i}"] for i in range(len(keys))]
            )
        return Page([_thread_view(row) for row in rows[:limit]], next_cursor)

    async def thread(self, thread_id: UUID) -> ThreadView | None:
        stmt = (
            select(*_THREAD_COLUMNS)
            .select_from(threads.join(users, users.c.id == threads.c.author_id))
            .where(threads.c.id == thread_id, threads.c.deleted_at.is_(None))
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(stmt)).first()
        return None if row is None else _thread_view(row)

    async def replies(
        self,
        thread_id: UUID,
        *,
        include_hidden: bool,
        limit: int,
        cursor: str | None,
        only: UUID | None = None,
    ) -> Page[ReplyView]:
        stmt = (
            select(*_REPLY_COLUMNS)
            .select_from(replies.join(users, users.c.id == replies.c.author_id))
            .where(replies.c.thread_id == thread_id)
            .order_by(*_REPLY_KEYS)
        )
        if only is not None:
            stmt = stmt.where(replies.c.id == only)
        if not include_hidden:
            stmt = stmt.where(replies.c.hidden == false())
        if cursor is not None:
            after = _decode_keys(cursor, "replies", _REPLY_KEY_TYPES)
            stmt = stmt.where(_after(_REPLY_KEYS, after, descending=False))
        async with self._engine.connect() as connection:
            rows = (await connection.execute(stmt.limit(limit + 1))).all()
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode_keys("replies", [last.created_at, last.depth, last.id])
        return Page([_reply_view(row) for row in rows[:limit]], next_cursor)

    async def edits(self, thread_id: UUID, *, limit: int, cursor: str | None) -> Page[EditView]:
        stmt = newest_first_after(
            select(ForumEditRow).where(ForumEditRow.thread_id == thread_id),
            cursor,
            ForumEditRow.edited_at,
            ForumEditRow.id,
        )
        return await fetch_page(self._sessions, stmt, limit, _edit_view, _edit_key)

    async def reports(
        self, status: ReportStatus | None, *, limit: int, cursor: str | None
    ) -> Page[ContentReportView]:
        select_reports = select(ContentReportRow)
        if status is not None:
            select_reports = select_reports.where(ContentReportRow.status == status.value)
        stmt = newest_first_after(
            select_reports, cursor, ContentReportRow.created_at, ContentReportRow.id
        )
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: ContentReportView.of(_REPORTS.load(row[0])),
            lambda row: (row[0].created_at, row[0].id),
        )


def _edit_view(row: Any) -> EditView:
    edit: ForumEditRow = row[0]
    return EditView(
        editor_id=edit.editor_id,
        edited_at=edit.edited_at,
        reply_id=edit.reply_id,
        previous_title=edit.previous_title,
        previous_body=edit.previous_source,
    )


def _edit_key(row: Any) -> tuple[datetime, UUID]:
    return row[0].edited_at, row[0].id
