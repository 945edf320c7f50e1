"""orders: where the payment page sends the buyer back (success_url, cancel_url)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 18:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("success_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("cancel_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("cancel_url")
        batch.drop_column("success_url")
