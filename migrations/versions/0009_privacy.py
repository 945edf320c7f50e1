"""privacy: a person's data exports and erasures (one scheduled erasure per person; the done
ones are the record of the erasure)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:29:35.398688
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCHEDULED = sa.text("status = 'scheduled'")


def upgrade() -> None:
    op.create_table(
        "data_exports",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("requested_by", GUID(length=16), nullable=True),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ready_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("file_key", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_data_exports_status_expires_at", ["status", "expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_data_exports_user_id_requested_at",
            ["user_id", "requested_at", "id"],
            unique=False,
        )

    op.create_table(
        "erasures",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("requested_by", GUID(length=16), nullable=True),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("due_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancelled_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("erased_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("summary", JsonB, nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.create_index("ix_erasures_status_due_at", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_erasures_user_id", ["user_id"], unique=False)
        batch_op.create_index(
            "uq_erasures_user_id",
            ["user_id"],
            unique=True,
            sqlite_where=_SCHEDULED,
            postgresql_where=_SCHEDULED,
        )


def downgrade() -> None:
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_erasures_user_id", sqlite_where=_SCHEDULED, postgresql_where=_SCHEDULED
        )
        batch_op.drop_index("ix_erasures_user_id")
        batch_op.drop_index("ix_erasures_status_due_at")
    op.drop_table("erasures")
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_data_exports_user_id_requested_at")
        batch_op.drop_index("ix_data_exports_status_expires_at")
    op.drop_table("data_exports")
