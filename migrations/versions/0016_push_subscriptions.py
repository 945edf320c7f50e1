"""push subscriptions: the Web Push subscriptions of people's browsers, one per endpoint, each
bound to the sign-in that registered it; notifications' pushes held by quiet hours

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PUSH_HELD = sa.text("push_due_at IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("person_id", GUID(length=16), nullable=False),
        sa.Column("session_id", GUID(length=16), nullable=True),
        sa.Column("endpoint", sa.String(length=1024), nullable=False),
        sa.Column("p256dh", sa.String(length=128), nullable=False),
        sa.Column("auth", sa.String(length=64), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
    )
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.create_index("uq_push_subscriptions_endpoint", ["endpoint"], unique=True)
        batch_op.create_index(
            "ix_push_subscriptions_person_id_created_at", ["person_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_push_subscriptions_session_id", ["session_id"], unique=False)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_due_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_notifications_push_due_at",
            ["push_due_at"],
            unique=False,
            sqlite_where=_PUSH_HELD,
            postgresql_where=_PUSH_HELD,
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_push_due_at")
        batch_op.drop_column("push_due_at")
    op.drop_table("push_subscriptions")
