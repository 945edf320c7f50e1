"""analytics: rollups per quarter hour and dimension, people and course viewers seen per day, and
the time indexes the rollups are recomputed by

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 00:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_rollups",
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "metric", "dimension", "currency", "slot", name=op.f("pk_analytics_rollups")
        ),
    )
    with op.batch_alter_table("analytics_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_rollups_metric_slot", ["metric", "slot"])
    op.create_table(
        "analytics_sightings",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_id", GUID(length=16), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "subject", "day", "person_id", name=op.f("pk_analytics_sightings")
        ),
    )
    with op.batch_alter_table("analytics_sightings", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_sightings_day", ["day", "kind", "subject"])
    # Rollups are recomputed by time range: these find a range's rows without a full scan.
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index("ix_enrollments_enrolled_at", ["enrolled_at"])
        batch_op.create_index("ix_enrollments_completed_at", ["completed_at"])
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.create_index("ix_journal_lines_posted_at", ["posted_at"])


def downgrade() -> None:
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_lines_posted_at")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollments_completed_at")
        batch_op.drop_index("ix_enrollments_enrolled_at")
    with op.batch_alter_table("analytics_sightings", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_sightings_day")
    op.drop_table("analytics_sightings")
    with op.batch_alter_table("analytics_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_rollups_metric_slot")
    op.drop_table("analytics_rollups")
