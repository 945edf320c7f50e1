"""Support desk tables: tickets, their messages (internal notes among them), agents and canned
responses.

The domain's instants live in columns of their own (``opened_at``, ``activity_at``,
``posted_at``): the audit columns every row has are the database's clock, not the domain's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base

_QUEUED = "status = 'open'"
_ACTIVE = "status IN ('assigned', 'waiting_on_customer')"


class SupportTicketRow(Base):
    __tablename__ = "support_tickets"
    __table_args__ = (
        # A customer's tickets, newest first.
        Index("ix_support_tickets_customer_id_opened_at", "customer_id", "opened_at", "id"),
        # The queue, most pressing first.
        Index(
            "ix_support_tickets_queue",
            "priority_rank",
            "first_response_due",
            "opened_at",
            "id",
            sqlite_where=text(_QUEUED),
            postgresql_where=text(_QUEUED),
        ),
        # Agents' loads.
        Index(
            "ix_support_tickets_assignee_id_active",
            "assignee_id",
            sqlite_where=text(_ACTIVE),
            postgresql_where=text(_ACTIVE),
        ),
        Index("ix_support_tickets_status_waiting_since", "status", "waiting_since"),
        Index("ix_support_tickets_status_resolved_at", "status", "resolved_at"),
    )

    customer_id: Mapped[UUID]
    subject: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    priority_rank: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime]
    activity_at: Mapped[datetime]
    first_response_due: Mapped[datetime]
    resolution_due: Mapped[datetime]
    assignee_id: Mapped[UUID | None]
    assigned_at: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]
    auto_close_warned_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    first_response_breached_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    rating_score: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)


class SupportMessageRow(Base):
    __tablename__ = "support_messages"
    __table_args__ = (Index("ix_support_messages_ticket_id_posted_at", "ticket_id", "posted_at"),)

    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"))
    author_id: Mapped[UUID]
    from_agent: Mapped[bool] = mapped_column(Boolean)
    internal: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]


class SupportAgentRow(Base):
    """One per agent; the id is the agent's user id."""

    __tablename__ = "support_agents"

    presence: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    capacity: Mapped[int] = mapped_column(Integer)
    last_assigned_at: Mapped[datetime | None]
    settings_changed_at: Mapped[datetime | None]


class SupportCannedResponseRow(Base):
    __tablename__ = "support_canned_responses"
    __table_args__ = (Index("ix_support_canned_responses_written_at", "written_at", "id"),)

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[UUID]
    written_at: Mapped[datetime]


class SupportAttachmentRow(Base):
    """A file its uploader sent, or will send, with a ticket's message: ``ticket_id`` and
    ``message_id`` once a message carries it."""

    __tablename__ = "support_attachments"
    __table_args__ = (
        Index("ix_support_attachments_message_id", "message_id"),
        Index("ix_support_attachments_uploader_id", "uploader_id"),
    )

    uploader_id: Mapped[UUID]
    ticket_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("support_tickets.id", ondelete="CASCADE")
    )
    message_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("support_messages.id", ondelete="CASCADE")
    )
    storage_key: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_at: Mapped[datetime]


CONSTRAINT_ERRORS: ConstraintErrors = {}
