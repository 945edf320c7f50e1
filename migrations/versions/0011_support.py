"""support: tickets, their messages (internal notes among them), agents and canned responses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:34:00.229181
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QUEUED = sa.text("status = 'open'")
_ACTIVE = sa.text("status IN ('assigned', 'waiting_on_customer')")


def _instant(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, DateTimeUTC(timezone=True), nullable=nullable)


def _audit_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        _instant("created_at"),
        _instant("updated_at"),
    ]


def upgrade() -> None:
    op.create_table(
        "support_agents",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("presence", sa.String(length=16), nullable=False),
        sa.Column("categories", JsonB, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        _instant("last_assigned_at", nullable=True),
        _instant("settings_changed_at", nullable=True),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_agents")),
    )
    op.create_table(
        "support_canned_responses",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("created_by", GUID(length=16), nullable=False),
        _instant("written_at"),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_canned_responses")),
    )
    with op.batch_alter_table("support_canned_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_canned_responses_written_at", ["written_at", "id"], unique=False
        )

    op.create_table(
        "support_tickets",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("customer_id", GUID(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("priority_rank", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        _instant("opened_at"),
        _instant("activity_at"),
        _instant("first_response_due"),
        _instant("resolution_due"),
        sa.Column("assignee_id", GUID(length=16), nullable=True),
        _instant("assigned_at", nullable=True),
        _instant("first_responded_at", nullable=True),
        _instant("waiting_since", nullable=True),
        _instant("auto_close_warned_at", nullable=True),
        _instant("resolved_at", nullable=True),
        _instant("closed_at", nullable=True),
        _instant("first_response_breached_at", nullable=True),
        _instant("resolution_breached_at", nullable=True),
        sa.Column("rating_score", sa.SmallInteger(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_tickets_assignee_id_active",
            ["assignee_id"],
            unique=False,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        )
        batch_op.create_index(
            "ix_support_tickets_customer_id_opened_at",
            ["customer_id", "opened_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_support_tickets_queue",
            ["priority_rank", "first_response_due", "opened_at", "id"],
            unique=False,
            sqlite_where=_QUEUED,
            postgresql_where=_QUEUED,
        )
        batch_op.create_index(
            "ix_support_tickets_status_resolved_at", ["status", "resolved_at"], unique=False
        )
        batch_op.create_index(
            "ix_support_tickets_status_waiting_since", ["status", "waiting_since"], unique=False
        )

    op.create_table(
        "support_messages",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("ticket_id", GUID(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=False),
        sa.Column("from_agent", sa.Boolean(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _instant("posted_at"),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_messages_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
    )
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_messages_ticket_id_posted_at", ["ticket_id", "posted_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("support_messages")
    op.drop_table("support_tickets")
    op.drop_table("support_canned_responses")
    op.drop_table("support_agents")
