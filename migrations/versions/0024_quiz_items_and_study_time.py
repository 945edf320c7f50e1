"""analytics: quiz answers per question and study time per quarter hour (issue 18)

Two sources the dashboards could not count from: ``analytics_quiz_answers`` (whether each
question of a submitted attempt earned its full points, written by analytics from the
``learning.quiz_submitted`` event) and learning's ``study_time`` (seconds progress reports
credited, per student and quarter hour of UTC). A rollup's dimension grows to 100 characters to
name a quiz question (``<lesson UUID.hex>:<question id>``). Attempts submitted and reports made
before the upgrade are not itemised: nothing kept then says which question was right or on
which day time was spent.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_quiz_answers",
        sa.Column("attempt_id", GUID(length=16), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("course_id", GUID(length=16), nullable=False),
        sa.Column("lesson_id", GUID(length=16), nullable=False),
        sa.Column("submitted_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "attempt_id", "question_id", name=op.f("pk_analytics_quiz_answers")
        ),
    )
    with op.batch_alter_table("analytics_quiz_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analytics_quiz_answers_submitted_at", ["submitted_at"], unique=False
        )
    op.create_table(
        "study_time",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("quarter_hour", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_study_time_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "quarter_hour", name=op.f("pk_study_time")),
    )
    with op.batch_alter_table("study_time", schema=None) as batch_op:
        batch_op.create_index("ix_study_time_quarter_hour", ["quarter_hour"], unique=False)
    with op.batch_alter_table("analytics_rollups", schema=None) as batch_op:
        batch_op.alter_column(
            "dimension",
            existing_type=sa.String(length=40),
            type_=sa.String(length=100),
            existing_nullable=False,
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM analytics_rollups WHERE length(dimension) > 40"))
    with op.batch_alter_table("analytics_rollups", schema=None) as batch_op:
        batch_op.alter_column(
            "dimension",
            existing_type=sa.String(length=100),
            type_=sa.String(length=40),
            existing_nullable=False,
        )
    with op.batch_alter_table("study_time", schema=None) as batch_op:
        batch_op.drop_index("ix_study_time_quarter_hour")
    op.drop_table("study_time")
    with op.batch_alter_table("analytics_quiz_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_quiz_answers_submitted_at")
    op.drop_table("analytics_quiz_answers")
