"""The support desk's stores (tickets, messages, agents, canned responses), the routing lock and
its read side."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.support import (
    SupportAgentRow,
    SupportAttachmentRow,
    SupportCannedResponseRow,
    SupportMessageRow,
    SupportTicketRow,
)
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.adapters.persistence.repository_base import (
    Column,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    enum,
)
from elearn.application.paging import InvalidCursor, Page
from elearn.application.support.ports import (
    CannedResponse,
    CannedResponseView,
    MessageView,
    TicketAttachmentView,
    TicketMessage,
    TicketSummary,
)
from elearn.domain.support.agents import Agent, Presence
from elearn.domain.support.routing import AgentLoad
from elearn.domain.support.tickets import (
    ACTIVE_STATUSES,
    Category,
    Priority,
    Ticket,
    TicketStatus,
    TicketUpload,
)

_ACTIVE = [status.value for status in ACTIVE_STATUSES]
_OPEN = TicketStatus.OPEN.value
# Any constant will do: every routing step of every process asks for this one lock.
_ROUTING_LOCK_KEY = 0x5355_5050_4F52_54  # "SUPPORT"

_TICKETS = FieldMap(
    Ticket,
    SupportTicketRow,
    fields={
        "category": enum(Category),
        "priority": enum(Priority),
        "status": enum(TicketStatus),
        "created_at": Column("opened_at"),
        "updated_at": Column("activity_at"),
    },
    fixed=("id", "customer_id", "created_at"),
    derived={"priority_rank": lambda ticket: ticket.priority.rank},
)
_AGENTS = FieldMap(
    Agent,
    SupportAgentRow,
    fields={
        "presence": enum(Presence),
        "categories": Column(
            load=lambda stored: frozenset(Category(c) for c in stored or ()),
            dump=lambda categories: sorted(c.value for c in categories),
        ),
        "updated_at": Column("settings_changed_at"),
    },
    fixed=("id",),
)


def _message(row: SupportMessageRow) -> TicketMessage:
    return TicketMessage(
        id=row.id,
        ticket_id=row.ticket_id,
        author_id=row.author_id,
        from_agent=row.from_agent,
        internal=row.internal,
        body=row.body,
        created_at=row.posted_at,
    )


def _message_view(row: SupportMessageRow) -> MessageView:
    return MessageView(
        id=row.id,
        author_id=row.author_id,
        author_role="agent" if row.from_agent else "customer",
        internal=row.internal,
        body=row.body,
        created_at=row.posted_at,
    )


def _summary(row: SupportTicketRow) -> TicketSummary:
    return TicketSummary.of(_TICKETS.load(row))


class SqlaTicketRepository(SqlaRepository[Ticket, SupportTicketRow]):
    mapper = _TICKETS

    async def queued(self, *, limit: int) -> list[Ticket]:
        stmt = (
            select(SupportTicketRow)
            .where(SupportTicketRow.status == _OPEN)
            .order_by(
                SupportTicketRow.priority_rank,
                SupportTicketRow.first_response_due,
                SupportTicketRow.opened_at,
                SupportTicketRow.id,
            )
            .limit(limit)
            .with_for_update()
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def unanswered_of(self, agent_id: UUID) -> list[Ticket]:
        stmt = (
            select(SupportTicketRow)
            .where(
                SupportTicketRow.assignee_id == agent_id,
                SupportTicketRow.status == TicketStatus.ASSIGNED.value,
                SupportTicketRow.first_responded_at.is_(None),
            )
            .order_by(SupportTicketRow.id)
            .with_for_update()
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def active_of(self, agent_id: UUID) -> list[Ticket]:
        # What this transaction moved counts: tracked tickets are written to the session first.
        self.write_back()
        await self.session.flush()
        stmt = (
            select(SupportTicketRow)
            .where(
                SupportTicketRow.assignee_id == agent_id,
                SupportTicketRow.status.in_(_ACTIVE),
            )
            .order_by(SupportTicketRow.id)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def waiting_since_before(self, cutoff: datetime, *, limit: int) -> list[Ticket]:
        stmt = (
            select(SupportTicketRow)
            .where(
                SupportTicketRow.status == TicketStatus.WAITING_ON_CUSTOMER.value,
                SupportTicketRow.waiting_since <= cutoff,
            )
            .order_by(SupportTicketRow.waiting_since, SupportTicketRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def resolved_before(self, cutoff: datetime, *, limit: int) -> list[Ticket]:
        stmt = (
            select(SupportTicketRow)
            .where(
                SupportTicketRow.status == TicketStatus.RESOLVED.value,
                SupportTicketRow.resolved_at < cutoff,
            )
            .order_by(SupportTicketRow.resolved_at, SupportTicketRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def past_deadline(self, now: datetime, *, limit: int) -> list[Ticket]:
        working = SupportTicketRow.status.in_([_OPEN, *_ACTIVE])
        first_response_late = and_(
            SupportTicketRow.first_responded_at.is_(None),
            SupportTicketRow.first_response_breached_at.is_(None),
            SupportTicketRow.first_response_due <= now,
        )
        resolution_late = and_(
            SupportTicketRow.resolution_breached_at.is_(None),
            SupportTicketRow.resolution_due <= now,
        )
        stmt = (
            select(SupportTicketRow)
            .where(working, or_(first_response_late, resolution_late))
            .order_by(SupportTicketRow.first_response_due, SupportTicketRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]


class SqlaMessageRepository:
    """Messages are written once and never changed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: TicketMessage) -> None:
        # Its ticket may be new in this transaction, and no ORM relationship orders the two.
        await self.session.flush()
        self.session.add(
            SupportMessageRow(
                id=message.id,
                ticket_id=message.ticket_id,
                author_id=message.author_id,
                from_agent=message.from_agent,
                internal=message.internal,
                body=message.body,
                posted_at=message.created_at,
            )
        )

    async def get(self, message_id: UUID) -> TicketMessage | None:
        row = await self.session.get(SupportMessageRow, message_id)
        return None if row is None else _message(row)

    async def last_mark(self, ticket_id: UUID) -> tuple[datetime, UUID] | None:
        await self.session.flush()
        m = SupportMessageRow
        last = (
            await self.session.execute(
                select(m.posted_at, m.id)
                .where(m.ticket_id == ticket_id)
                .order_by(m.posted_at.desc(), m.id.desc())
                .limit(1)
            )
        ).first()
        return None if last is None else (last[0], last[1])


def _upload(row: SupportAttachmentRow) -> TicketUpload:
    return TicketUpload(
        id=row.id,
        uploader_id=row.uploader_id,
        key=row.storage_key,
        media_type=row.media_type,
        size=row.size,
        filename=row.filename,
        uploaded_at=row.uploaded_at,
        ticket_id=row.ticket_id,
        message_id=row.message_id,
    )


class SqlaAttachmentRepository:
    """Uploads are written once; sending one only names its ticket and message."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, upload: TicketUpload) -> None:
        self.session.add(
            SupportAttachmentRow(
                id=upload.id,
                uploader_id=upload.uploader_id,
                storage_key=upload.key,
                media_type=upload.media_type,
                size=upload.size,
                filename=upload.filename,
                uploaded_at=upload.uploaded_at,
                ticket_id=upload.ticket_id,
                message_id=upload.message_id,
            )
        )

    async def get(self, upload_id: UUID, *, for_update: bool = False) -> TicketUpload | None:
        stmt = select(SupportAttachmentRow).where(SupportAttachmentRow.id == upload_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.scalars(stmt)).one_or_none()
        return None if row is None else _upload(row)

    async def save(self, upload: TicketUpload) -> None:
        # The message that carries it may be new in this transaction: it is written first.
        await self.session.flush()
        await self.session.execute(
            update(SupportAttachmentRow)
            .where(SupportAttachmentRow.id == upload.id)
            .values(ticket_id=upload.ticket_id, message_id=upload.message_id)
        )


class SqlaAgentRepository(SqlaRepository[Agent, SupportAgentRow]):
    mapper = _AGENTS


class SqlaCannedResponseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, response: CannedResponse) -> None:
        self.session.add(
            SupportCannedResponseRow(
                id=response.id,
                title=response.title,
                body=response.body,
                category=None if response.category is None else response.category.value,
                created_by=response.created_by,
                written_at=response.created_at,
            )
        )


class SqlaSupportStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.tickets = SqlaTicketRepository(session)
        self.messages = SqlaMessageRepository(session)
        self.attachments = SqlaAttachmentRepository(session)
        self.agents = SqlaAgentLoads(session, self.tickets)
        self.canned_responses = SqlaCannedResponseRepository(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.tickets, self.agents]

    async def lock_routing(self) -> None:
        # SQLite needs nothing: a writing transaction holds the database's one write lock.
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROUTING_LOCK_KEY}
            )


class SqlaAgentLoads(SqlaAgentRepository):
    """Agents, and their loads as the transaction sees them: what it changed in memory is
    written to the session first, so a ticket it just assigned or returned counts."""

    def __init__(self, session: AsyncSession, tickets: SqlaTicketRepository) -> None:
        super().__init__(session)
        self._tickets = tickets

    async def loads(self) -> list[AgentLoad]:
        self._tickets.write_back()
        self.write_back()
        await self.session.flush()
        counted = await self.session.execute(
            select(SupportTicketRow.assignee_id, func.count())
            .where(
                SupportTicketRow.status.in_(_ACTIVE),
                SupportTicketRow.assignee_id.is_not(None),
            )
            .group_by(SupportTicketRow.assignee_id)
        )
        active = {agent_id: count for agent_id, count in counted.tuples() if agent_id is not None}
        agents = [self._load(row) for row in await self.session.scalars(select(SupportAgentRow))]
        return [
            AgentLoad(
                agent_id=agent.id,
                online=agent.takes_tickets,
                categories=agent.categories,
                capacity=agent.capacity,
                active=active.get(agent.id, 0),
                last_assigned_at=agent.last_assigned_at,
            )
            for agent in agents
        ]


# ---- read side -----------------------------------------------------------------------------------
def _encode_queue_cursor(row: SupportTicketRow) -> str:
    raw = json.dumps(
        [
            row.priority_rank,
            row.first_response_due.isoformat(),
            row.opened_at.isoformat(),
            str(row.id),
        ],
        separators=(",", ":"),
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_queue_cursor(cursor: str) -> tuple[int, datetime, datetime, UUID]:
    try:
        if len(cursor) > 300:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, due_text, opened_text, id_text = json.loads(raw)
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise ValueError("a rank is an integer")
        due, opened = datetime.fromisoformat(due_text), datetime.fromisoformat(opened_text)
        if due.tzinfo is None or opened.tzinfo is None:
            raise ValueError("a cursor's instants carry their offset")
        return rank, due.astimezone(UTC), opened.astimezone(UTC), UUID(id_text)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("this cursor is not one we gave out") from error


class SqlaSupportQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def tickets_of(
        self, customer_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[TicketSummary]:
        stmt = newest_first_after(
            select(SupportTicketRow).where(SupportTicketRow.customer_id == customer_id),
            cursor,
            SupportTicketRow.opened_at,
            SupportTicketRow.id,
        )
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: _summary(row[0]),
            lambda row: (row[0].opened_at, row[0].id),
        )

    async def queue(self, agent_id: UUID, *, limit: int, cursor: str | None) -> Page[TicketSummary]:
        t = SupportTicketRow
        stmt = (
            select(t)
            .where(
                or_(
                    t.status == _OPEN,
                    and_(t.assignee_id == agent_id, t.status.in_(_ACTIVE)),
                )
            )
            .order_by(t.priority_rank, t.first_response_due, t.opened_at, t.id)
        )
        if cursor is not None:
            rank, due, opened, last_id = _decode_queue_cursor(cursor)
            stmt = stmt.where(
                or_(
                    t.priority_rank > rank,
                    and_(t.priority_rank == rank, t.first_response_due > due),
                    and_(
                        t.priority_rank == rank,
                        t.first_response_due == due,
                        or_(t.opened_at > opened, and_(t.opened_at == opened, t.id > last_id)),
                    ),
                )
            )
        async with self._sessions() as session:
            rows = list(await session.scalars(stmt.limit(limit + 1)))
        next_cursor = _encode_queue_cursor(rows[limit - 1]) if len(rows) > limit else None
        return Page([_summary(row) for row in rows[:limit]], next_cursor)

    async def messages_of(self, ticket_id: UUID, *, internal: bool) -> list[MessageView]:
        stmt = select(SupportMessageRow).where(SupportMessageRow.ticket_id == ticket_id)
        if not internal:
            stmt = stmt.where(SupportMessageRow.internal.is_(False))
        stmt = stmt.order_by(SupportMessageRow.posted_at, SupportMessageRow.id)
        async with self._sessions() as session:
            messages = [_message_view(row) for row in await session.scalars(stmt)]
            # One more query for every file of the ticket, whatever the number of messages.
            files = await session.scalars(
                select(SupportAttachmentRow)
                .where(
                    SupportAttachmentRow.ticket_id == ticket_id,
                    SupportAttachmentRow.message_id.is_not(None),
                )
                .order_by(SupportAttachmentRow.uploaded_at, SupportAttachmentRow.id)
            )
            by_message: dict[UUID, list[TicketAttachmentView]] = {}
            for row in files:
                assert row.message_id is not None
                by_message.setdefault(row.message_id, []).append(
                    TicketAttachmentView(row.id, row.filename, row.media_type, row.size)
                )
        return [replace(m, attachments=by_message.get(m.id, [])) for m in messages]

    async def canned_responses(
        self, *, category: Category | None, limit: int, cursor: str | None
    ) -> Page[CannedResponseView]:
        stmt = select(SupportCannedResponseRow)
        if category is not None:
            stmt = stmt.where(SupportCannedResponseRow.category == category.value)
        stmt = newest_first_after(
            stmt, cursor, SupportCannedResponseRow.written_at, SupportCannedResponseRow.id
        )
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: CannedResponseView(
                id=row[0].id,
                title=row[0].title,
                body=row[0].body,
                category=None if row[0].category is None else Category(row[0].category),
                created_by=row[0].created_by,
                created_at=row[0].written_at,
            ),
            lambda row: (row[0].written_at, row[0].id),
        )
