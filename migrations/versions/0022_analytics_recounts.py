"""analytics: when each family's quarter hour was last recounted, so a recount another process
began after a handler was called spares it its own (issue 19)

Derived like the rollups: empty after upgrading, a missing row only means the next recount runs.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_recounts",
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("began", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("family", "slot", name=op.f("pk_analytics_recounts")),
    )


def downgrade() -> None:
    op.drop_table("analytics_recounts")
