"""catalog: co-instructor invitations (at most one pending per course and invitee) and
revisions of published courses (a working copy as JSON, and the ids of its sections and lessons)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = "status = 'pending'"


def upgrade() -> None:
    op.create_table(
        "co_instructor_invitations",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("course_id", GUID(length=16), nullable=False),
        sa.Column("invitee_id", GUID(length=16), nullable=False),
        sa.Column("invited_by", GUID(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("responded_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_co_instructor_invitations_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitee_id"],
            ["users.id"],
            name=op.f("fk_co_instructor_invitations_invitee_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_co_instructor_invitations_invited_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_co_instructor_invitations")),
    )
    with op.batch_alter_table("co_instructor_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "uq_co_instructor_invitations_course_id",
            ["course_id", "invitee_id"],
            unique=True,
            sqlite_where=sa.text(_PENDING),
            postgresql_where=sa.text(_PENDING),
        )
        batch_op.create_index(
            "ix_co_instructor_invitations_course_id_created_at",
            ["course_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_co_instructor_invitations_invitee_id_created_at",
            ["invitee_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "course_revisions",
        sa.Column("course_id", GUID(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", JsonB, nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("submitted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_revisions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_course_revisions")),
    )
    with op.batch_alter_table("course_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_revisions_status"), ["status"], unique=False)

    op.create_table(
        "course_revision_items",
        sa.Column("item_id", GUID(length=16), nullable=False),
        sa.Column("course_id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course_revisions.course_id"],
            name=op.f("fk_course_revision_items_course_id_course_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_course_revision_items")),
    )
    with op.batch_alter_table("course_revision_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_revision_items_course_id"), ["course_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("course_revision_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_revision_items_course_id"))
    op.drop_table("course_revision_items")
    with op.batch_alter_table("course_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_revisions_status"))
    op.drop_table("course_revisions")
    with op.batch_alter_table("co_instructor_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_co_instructor_invitations_invitee_id_created_at")
        batch_op.drop_index("ix_co_instructor_invitations_course_id_created_at")
        batch_op.drop_index(
            "uq_co_instructor_invitations_course_id",
            sqlite_where=sa.text(_PENDING),
            postgresql_where=sa.text(_PENDING),
        )
    op.drop_table("co_instructor_invitations")
