"""Conversations' stores (conversations, messages, reports) and their read side."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, aliased

from elearn.adapters.persistence.models.conversations import (
    ConversationAttachmentRow,
    ConversationMessageRow,
    ConversationReportRow,
    ConversationRow,
)
from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.paging import (
    decode_cursor,
    encode_cursor,
    fetch_page,
    newest_first_after,
)
from elearn.adapters.persistence.repository_base import (
    Column,
    Embedded,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
)
from elearn.application.communication.conversation_ports import (
    ConversationRow as ConversationListRow,
)
from elearn.application.communication.conversation_ports import (
    MessageDirection,
    PersonView,
)
from elearn.application.paging import Page
from elearn.domain.communication.conversations import (
    Attachment,
    AttachmentUpload,
    Conversation,
    ConversationReport,
    Mark,
    Message,
    ReportedMessage,
)


def _mark(prefix: str) -> Embedded:
    return Embedded(Mark, prefix=prefix, optional=True)


_CONVERSATIONS = FieldMap(
    Conversation,
    ConversationRow,
    fields={
        "first_read": _mark("first_read_"),
        "second_read": _mark("second_read_"),
        "first_emailed": _mark("first_emailed_"),
        "second_emailed": _mark("second_emailed_"),
    },
    fixed=("id", "first_id", "second_id", "started_at"),
    derived={"last_activity_at": lambda conversation: conversation.last_activity_at},
)
# Embedded(Mark) names its columns after Mark's fields: <prefix>at and <prefix>message_id.


def _attachments_in(stored: list[dict[str, Any]] | None) -> tuple[Attachment, ...]:
    return tuple(
        Attachment(
            id=UUID(item["id"]),
            key=item["key"],
            media_type=item["media_type"],
            size=int(item["size"]),
            filename=item.get("filename"),
        )
        for item in stored or ()
    )


def _attachments_out(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(a.id),
            "key": a.key,
            "media_type": a.media_type,
            "size": a.size,
            "filename": a.filename,
        }
        for a in attachments
    ]


_MESSAGES = FieldMap(
    Message,
    ConversationMessageRow,
    fields={"attachments": Column(load=_attachments_in, dump=_attachments_out)},
    fixed=("id", "conversation_id", "sender_id"),
)


def _reported_in(stored: list[dict[str, Any]] | None) -> tuple[ReportedMessage, ...]:
    return tuple(
        ReportedMessage(
            id=UUID(item["id"]),
            sender_id=UUID(item["sender_id"]),
            body=item["body"],
            sent_at=datetime.fromisoformat(item["sent_at"]),
            deleted=bool(item["deleted"]),
        )
        for item in stored or ()
    )


def _reported_out(messages: tuple[ReportedMessage, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(m.id),
            "sender_id": str(m.sender_id),
            "body": m.body,
            "sent_at": m.sent_at.isoformat(),
            "deleted": m.deleted,
        }
        for m in messages
    ]


_REPORTS = FieldMap(
    ConversationReport,
    ConversationReportRow,
    fields={"messages": Column(load=_reported_in, dump=_reported_out)},
    fixed=("id", "conversation_id", "reporter_id", "reported_id", "reported_at"),
)


def _after_mark(
    at: InstrumentedAttribute[Any] | ColumnElement[Any],
    ident: InstrumentedAttribute[Any] | ColumnElement[Any],
    mark_at: Any,
    mark_id: Any,
) -> ColumnElement[bool]:
    """(at, id) sorts after (mark_at, mark_id): the conversations' total order."""
    return or_(at > mark_at, and_(at == mark_at, ident > mark_id))


class SqlaConversationRepository(SqlaRepository[Conversation, ConversationRow]):
    mapper = _CONVERSATIONS

    async def between(self, a: UUID, b: UUID, *, for_update: bool = False) -> Conversation | None:
        first, second = sorted((a, b))
        for conversation in self.seen:
            if conversation.participants == (first, second):
                return conversation
        row = await self._get_row(
            select(ConversationRow).where(
                ConversationRow.first_id == first, ConversationRow.second_id == second
            ),
            for_update=for_update,
        )
        return None if row is None else self._load(row)

    async def with_undigested(self, since: datetime, limit: int) -> list[Conversation]:
        c = ConversationRow

        def side_waits(read_at: Any, read_id: Any, emailed_at: Any, emailed_id: Any) -> Any:
            return and_(
                or_(
                    read_at.is_(None),
                    _after_mark(c.last_message_at, c.last_message_id, read_at, read_id),
                ),
                or_(
                    emailed_at.is_(None),
                    _after_mark(c.last_message_at, c.last_message_id, emailed_at, emailed_id),
                ),
            )

        stmt = (
            select(c)
            .where(
                c.last_activity_at >= since,
                c.last_message_id.is_not(None),
                or_(
                    side_waits(
                        c.first_read_at,
                        c.first_read_message_id,
                        c.first_emailed_at,
                        c.first_emailed_message_id,
                    ),
                    side_waits(
                        c.second_read_at,
                        c.second_read_message_id,
                        c.second_emailed_at,
                        c.second_emailed_message_id,
                    ),
                ),
            )
            .order_by(c.last_activity_at, c.id)
            .limit(limit)
            # Two digest runs at once (two workers) never email the same messages: the second
            # waits for the first's marks, or skips rows it holds.
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]


class SqlaMessageRepository(SqlaRepository[Message, ConversationMessageRow]):
    mapper = _MESSAGES
    # A new conversation and its first message are added in one transaction: the message's
    # row must follow its conversation's.
    flush_before_add = True

    async def after(self, conversation_id: UUID, mark: Mark | None, *, limit: int) -> list[Message]:
        m = ConversationMessageRow
        stmt = select(m).where(m.conversation_id == conversation_id)
        if mark is not None:
            stmt = stmt.where(_after_mark(m.sent_at, m.id, mark.at, mark.message_id))
        stmt = stmt.order_by(m.sent_at, m.id).limit(limit)
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def latest(self, conversation_id: UUID, count: int) -> list[Message]:
        m = ConversationMessageRow
        stmt = (
            select(m)
            .where(m.conversation_id == conversation_id)
            .order_by(m.sent_at.desc(), m.id.desc())
            .limit(count)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)][::-1]


class SqlaReportRepository(SqlaRepository[ConversationReport, ConversationReportRow]):
    mapper = _REPORTS


class SqlaAttachmentRepository(SqlaRepository[AttachmentUpload, ConversationAttachmentRow]):
    mapper = FieldMap(
        AttachmentUpload,
        ConversationAttachmentRow,
        fixed=("id", "conversation_id", "uploader_id", "key", "uploaded_at"),
    )


class SqlaConversationStore:
    def __init__(self, session: AsyncSession) -> None:
        self.conversations = SqlaConversationRepository(session)
        self.messages = SqlaMessageRepository(session)
        self.reports = SqlaReportRepository(session)
        self.attachments = SqlaAttachmentRepository(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.conversations, self.messages, self.reports, self.attachments]


# ---- read side -----------------------------------------------------------------------------------
_Other = aliased(UserRow)
_Last = aliased(ConversationMessageRow)


def _oldest_first_after(
    stmt: Select[Any],
    cursor: str | None,
    at_column: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[UUID],
) -> Select[Any]:
    stmt = stmt.order_by(at_column, id_column)
    if cursor is None:
        return stmt
    at, item_id = decode_cursor(cursor)
    return stmt.where(_after_mark(at_column, id_column, at, item_id))


class SqlaConversationQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def _listing(self, user_id: UUID) -> Select[Any]:
        c = ConversationRow
        m = ConversationMessageRow
        mine_first = c.first_id == user_id
        other_id = case((mine_first, c.second_id), else_=c.first_id)
        read_at = case((mine_first, c.first_read_at), else_=c.second_read_at)
        read_id = case((mine_first, c.first_read_message_id), else_=c.second_read_message_id)
        unread = (
            select(func.count())
            .select_from(m)
            .where(
                m.conversation_id == c.id,
                m.sender_id != user_id,
                m.deleted_at.is_(None),
                or_(read_at.is_(None), _after_mark(m.sent_at, m.id, read_at, read_id)),
            )
            .scalar_subquery()
        )
        return (
            select(c, _Other.id, _Other.full_name, _Last, unread.label("unread"))
            .join(_Other, _Other.id == other_id)
            .outerjoin(_Last, _Last.id == c.last_message_id)
            .where(or_(c.first_id == user_id, c.second_id == user_id))
        )

    @staticmethod
    def _row(row: Row[Any]) -> ConversationListRow:
        last = row[3]
        return ConversationListRow(
            conversation=_CONVERSATIONS.load(row[0]),
            other=PersonView(row[1], row[2]),
            last_message=None if last is None else _MESSAGES.load(last),
            unread_count=int(row[4]),
        )

    async def conversations_of(
        self, user_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[ConversationListRow]:
        stmt = newest_first_after(
            self._listing(user_id), cursor, ConversationRow.last_activity_at, ConversationRow.id
        )
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            self._row,
            lambda row: (row[0].last_activity_at, row[0].id),
        )

    async def conversation_of(
        self, user_id: UUID, conversation_id: UUID
    ) -> ConversationListRow | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    self._listing(user_id).where(ConversationRow.id == conversation_id)
                )
            ).first()
        return None if row is None else self._row(row)

    async def messages(
        self,
        conversation_id: UUID,
        *,
        direction: MessageDirection,
        anchor: Mark | None,
        limit: int,
        cursor: str | None,
        until: Mark | None = None,
    ) -> Page[Message]:
        m = ConversationMessageRow
        stmt = select(m).where(m.conversation_id == conversation_id)
        if until is not None:
            stmt = stmt.where(
                or_(
                    m.sent_at < until.at,
                    and_(m.sent_at == until.at, m.id < until.message_id),
                )
            )
        if cursor is None and anchor is not None:
            cursor = encode_cursor(anchor.at, anchor.message_id)
        if direction is MessageDirection.NEWER:
            stmt = _oldest_first_after(stmt, cursor, m.sent_at, m.id)
        else:
            stmt = newest_first_after(stmt, cursor, m.sent_at, m.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: _MESSAGES.load(row[0]),
            lambda row: (row[0].sent_at, row[0].id),
        )

    async def reports(self, *, limit: int, cursor: str | None) -> Page[ConversationReport]:
        r = ConversationReportRow
        stmt = newest_first_after(select(r), cursor, r.reported_at, r.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: _REPORTS.load(row[0]),
            lambda row: (row[0].reported_at, row[0].id),
        )

    async def names(self, people: Collection[UUID]) -> dict[UUID, str]:
        if not people:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(UserRow.id, UserRow.full_name).where(UserRow.id.in_(list(people)))
            )
        return {row.id: row.full_name for row in rows}
