"""Conversation tables: conversations (one per pair of people, with each side's read, emailed
and block state), their messages, and reports to staff.

No foreign keys to users: people belong to identity, and a report must outlive what becomes
of the accounts it is about.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.communication.conversations import ConversationStartedMeanwhile


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id", name="uq_conversations_first_id_second_id"),
        # A person's conversations, newest activity first, from either side.
        Index("ix_conversations_first_id_activity", "first_id", "last_activity_at", "id"),
        Index("ix_conversations_second_id_activity", "second_id", "last_activity_at", "id"),
        # The digest looks at recently active conversations.
        Index("ix_conversations_last_activity_at", "last_activity_at"),
    )

    first_id: Mapped[UUID]
    second_id: Mapped[UUID]
    started_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    last_message_at: Mapped[datetime | None]
    last_message_id: Mapped[UUID | None]
    first_read_at: Mapped[datetime | None]
    first_read_message_id: Mapped[UUID | None]
    second_read_at: Mapped[datetime | None]
    second_read_message_id: Mapped[UUID | None]
    first_emailed_at: Mapped[datetime | None]
    first_emailed_message_id: Mapped[UUID | None]
    second_emailed_at: Mapped[datetime | None]
    second_emailed_message_id: Mapped[UUID | None]
    first_blocked_at: Mapped[datetime | None]
    second_blocked_at: Mapped[datetime | None]


class ConversationMessageRow(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        # The conversation's total order: server time, then id.
        Index("ix_conversation_messages_order", "conversation_id", "sent_at", "id"),
    )

    conversation_id: Mapped[UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    sender_id: Mapped[UUID]
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)


class ConversationReportRow(Base):
    __tablename__ = "conversation_reports"
    __table_args__ = (
        Index("ix_conversation_reports_reported_at", "reported_at", "id"),
        Index("ix_conversation_reports_conversation_id", "conversation_id"),
    )

    conversation_id: Mapped[UUID]
    reporter_id: Mapped[UUID]
    reported_id: Mapped[UUID]
    reason: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime]
    # The last messages as they were when reported: kept even if they change or go since.
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)


class ConversationAttachmentRow(Base):
    """A file uploaded to a conversation; ``message_id`` once a message carries it."""

    __tablename__ = "conversation_attachments"
    __table_args__ = (Index("ix_conversation_attachments_conversation_id", "conversation_id"),)

    conversation_id: Mapped[UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    uploader_id: Mapped[UUID]
    key: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_at: Mapped[datetime]
    message_id: Mapped[UUID | None]


CONSTRAINT_ERRORS: ConstraintErrors = {
    "uq_conversations_first_id_second_id": ConversationStartedMeanwhile,
}
