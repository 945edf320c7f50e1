"""notifications: the notification center (one per recipient and source), each person's
notification preferences, the emails their preferences hold back, and courses' announcements

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNREAD = sa.text("read_at IS NULL")
_WAITING = sa.text("status = 'waiting'")


def _audit_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("recipient_id", GUID(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link_type", sa.String(length=32), nullable=True),
        sa.Column("link_id", GUID(length=16), nullable=True),
        sa.Column("details", JsonB, nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("read_at", DateTimeUTC(timezone=True), nullable=True),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "uq_notifications_recipient_id_source_key",
            ["recipient_id", "source_key"],
            unique=True,
        )
        batch_op.create_index(
            "ix_notifications_recipient_id_created_at",
            ["recipient_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notifications_unread",
            ["recipient_id"],
            unique=False,
            sqlite_where=_UNREAD,
            postgresql_where=_UNREAD,
        )
        batch_op.create_index("ix_notifications_created_at", ["created_at"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("muted", JsonB, nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("quiet_start", sa.String(length=8), nullable=True),
        sa.Column("quiet_end", sa.String(length=8), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=False),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index("uq_notification_preferences_user_id", ["user_id"], unique=True)

    op.create_table(
        "queued_emails",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("recipient_id", GUID(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("due_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settled_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("message", JsonB, nullable=False),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_emails")),
    )
    with op.batch_alter_table("queued_emails", schema=None) as batch_op:
        batch_op.create_index(
            "uq_queued_emails_recipient_id_source_key",
            ["recipient_id", "source_key"],
            unique=True,
        )
        batch_op.create_index(
            "ix_queued_emails_waiting_due_at",
            ["due_at"],
            unique=False,
            sqlite_where=_WAITING,
            postgresql_where=_WAITING,
        )

    op.create_table(
        "announcements",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("course_id", GUID(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("posted_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("fanned_out_to", GUID(length=16), nullable=True),
        sa.Column("fanned_out_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_announcements_course_id_posted_at",
            ["course_id", "posted_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index("ix_announcements_course_id_posted_at")
    op.drop_table("announcements")
    with op.batch_alter_table("queued_emails", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_queued_emails_waiting_due_at", sqlite_where=_WAITING, postgresql_where=_WAITING
        )
        batch_op.drop_index("uq_queued_emails_recipient_id_source_key")
    op.drop_table("queued_emails")
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_index("uq_notification_preferences_user_id")
    op.drop_table("notification_preferences")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_created_at")
        batch_op.drop_index(
            "ix_notifications_unread", sqlite_where=_UNREAD, postgresql_where=_UNREAD
        )
        batch_op.drop_index("ix_notifications_recipient_id_created_at")
        batch_op.drop_index("uq_notifications_recipient_id_source_key")
    op.drop_table("notifications")
