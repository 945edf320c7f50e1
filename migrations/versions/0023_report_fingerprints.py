"""reporting: one queued or running report per fingerprint (issue 18)

The same report asked for twice by the same person (a double click, two tabs) made two reports.
A report now keeps the fingerprint of what was asked (who, kind, format, period, filters), and a
unique index over the fingerprints of reports still queued or running lets only one of them in,
whatever the concurrency; the second request answers the first. Reports asked for before keep
no fingerprint (NULL never conflicts).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 07:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IN_PROGRESS = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_reports_fingerprint",
            ["fingerprint"],
            unique=True,
            postgresql_where=_IN_PROGRESS,
            sqlite_where=_IN_PROGRESS,
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("uq_reports_fingerprint")
        batch_op.drop_column("fingerprint")
