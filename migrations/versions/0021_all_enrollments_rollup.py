"""analytics: enrollments in every course per quarter hour, kept beside the per-course rows

Staff's dashboard summed the per-course `enrollments` rows of a range: one row per course and
quarter hour (about a million a year at the benchmark's scale). `all_enrollments` holds their
sum per quarter hour, which the keeper now writes with the other learning figures; this
revision fills it for the slots already counted, so the staff series keeps its history without
a rebuild. Downgrading deletes those rows.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO analytics_rollups (metric, dimension, currency, slot, value)"
        " SELECT 'all_enrollments', '', '', slot, SUM(value) FROM analytics_rollups"
        " WHERE metric = 'enrollments' GROUP BY slot"
    )


def downgrade() -> None:
    op.execute("DELETE FROM analytics_rollups WHERE metric = 'all_enrollments'")
