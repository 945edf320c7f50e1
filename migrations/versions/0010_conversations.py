"""conversations: one per pair of people (each side's read, emailed and block marks), their
messages in (server time, id) order, files uploaded to them, and reports to staff

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:22:12.189825
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audit_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def _moment(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, DateTimeUTC(timezone=True), nullable=nullable)


def _id(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, GUID(length=16), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "conversations",
        _id("id"),
        _id("first_id"),
        _id("second_id"),
        _moment("started_at", nullable=False),
        _moment("last_activity_at", nullable=False),
        _moment("last_message_at"),
        _id("last_message_id", nullable=True),
        _moment("first_read_at"),
        _id("first_read_message_id", nullable=True),
        _moment("second_read_at"),
        _id("second_read_message_id", nullable=True),
        _moment("first_emailed_at"),
        _id("first_emailed_message_id", nullable=True),
        _moment("second_emailed_at"),
        _id("second_emailed_message_id", nullable=True),
        _moment("first_blocked_at"),
        _moment("second_blocked_at"),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("first_id", "second_id", name="uq_conversations_first_id_second_id"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_first_id_activity", ["first_id", "last_activity_at", "id"]
        )
        batch_op.create_index(
            "ix_conversations_second_id_activity", ["second_id", "last_activity_at", "id"]
        )
        batch_op.create_index("ix_conversations_last_activity_at", ["last_activity_at"])

    op.create_table(
        "conversation_messages",
        _id("id"),
        _id("conversation_id"),
        _id("sender_id"),
        sa.Column("body", sa.Text(), nullable=False),
        _moment("sent_at", nullable=False),
        _moment("edited_at"),
        _moment("deleted_at"),
        sa.Column("attachments", JsonB, nullable=False),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
    )
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_messages_order", ["conversation_id", "sent_at", "id"]
        )

    op.create_table(
        "conversation_attachments",
        _id("id"),
        _id("conversation_id"),
        _id("uploader_id"),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        _moment("uploaded_at", nullable=False),
        _id("message_id", nullable=True),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_attachments_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_attachments")),
    )
    with op.batch_alter_table("conversation_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_attachments_conversation_id", ["conversation_id"])

    op.create_table(
        "conversation_reports",
        _id("id"),
        _id("conversation_id"),
        _id("reporter_id"),
        _id("reported_id"),
        sa.Column("reason", sa.Text(), nullable=False),
        _moment("reported_at", nullable=False),
        sa.Column("messages", JsonB, nullable=False),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_reports")),
    )
    with op.batch_alter_table("conversation_reports", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_reports_reported_at", ["reported_at", "id"])
        batch_op.create_index("ix_conversation_reports_conversation_id", ["conversation_id"])


def downgrade() -> None:
    op.drop_table("conversation_reports")
    op.drop_table("conversation_attachments")
    op.drop_table("conversation_messages")
    op.drop_table("conversations")
