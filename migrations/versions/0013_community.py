"""community: course forums (threads, nested replies, votes, subscriptions, edit history) and
content reports; full-text search of threads on PostgreSQL

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:25:31.795973
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "forum_votes",
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", GUID(length=16), nullable=False),
        sa.Column("voter_id", GUID(length=16), nullable=False),
        sa.Column("voted_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["voter_id"],
            ["users.id"],
            name=op.f("fk_forum_votes_voter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "target_type", "target_id", "voter_id", name=op.f("pk_forum_votes")
        ),
    )
    with op.batch_alter_table("forum_votes", schema=None) as batch_op:
        batch_op.create_index("ix_forum_votes_voter_id", ["voter_id"], unique=False)

    op.create_table(
        "forum_threads",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("course_id", GUID(length=16), nullable=False),
        sa.Column("lesson_id", GUID(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("accepted_reply_id", GUID(length=16), nullable=True),
        sa.Column("edited_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_activity_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_forum_threads_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_forum_threads_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_threads")),
    )
    with op.batch_alter_table("forum_threads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forum_threads_course_id_created_at", ["course_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_forum_threads_course_id_last_activity_at",
            ["course_id", "last_activity_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_forum_threads_lesson_id_created_at", ["lesson_id", "created_at"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        # As the catalog's: the 'simple' configuration (no stemming, no stop words) suits
        # forums in many languages; titles weigh more than bodies.
        op.execute(
            "ALTER TABLE forum_threads ADD COLUMN search_document tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', title), 'A') || "
            "setweight(to_tsvector('simple', body_source), 'B')) STORED"
        )
        op.execute(
            "CREATE INDEX ix_forum_threads_search_document ON forum_threads "
            "USING gin (search_document)"
        )

    op.create_table(
        "content_reports",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("course_id", GUID(length=16), nullable=False),
        sa.Column("thread_id", GUID(length=16), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", GUID(length=16), nullable=False),
        sa.Column("reporter_id", GUID(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", GUID(length=16), nullable=True),
        sa.Column("resolved_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_content_reports_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_content_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_content_reports_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_reports")),
    )
    with op.batch_alter_table("content_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_content_reports_status_created_at", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_content_reports_open_by_reporter",
            ["reporter_id", "target_type", "target_id"],
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        )

    op.create_table(
        "forum_edits",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("thread_id", GUID(length=16), nullable=False),
        sa.Column("reply_id", GUID(length=16), nullable=True),
        sa.Column("editor_id", GUID(length=16), nullable=False),
        sa.Column("edited_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("previous_title", sa.String(length=200), nullable=True),
        sa.Column("previous_source", sa.Text(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_edits_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_edits")),
    )
    with op.batch_alter_table("forum_edits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forum_edits_thread_id_edited_at", ["thread_id", "edited_at", "id"], unique=False
        )

    op.create_table(
        "forum_replies",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("thread_id", GUID(length=16), nullable=False),
        sa.Column("parent_id", GUID(length=16), nullable=True),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("edited_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_forum_replies_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_replies_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_replies")),
    )
    with op.batch_alter_table("forum_replies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forum_replies_thread_id_created_at", ["thread_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "forum_subscriptions",
        sa.Column("thread_id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("subscribed_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("last_notified_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_subscriptions_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_forum_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "user_id", name=op.f("pk_forum_subscriptions")),
    )
    with op.batch_alter_table("forum_subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_forum_subscriptions_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("forum_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_subscriptions_user_id")
    op.drop_table("forum_subscriptions")
    with op.batch_alter_table("forum_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_replies_thread_id_created_at")
    op.drop_table("forum_replies")
    with op.batch_alter_table("forum_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_edits_thread_id_edited_at")
    op.drop_table("forum_edits")
    with op.batch_alter_table("content_reports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_content_reports_open_by_reporter", sqlite_where=_OPEN, postgresql_where=_OPEN
        )
        batch_op.drop_index("ix_content_reports_status_created_at")
    op.drop_table("content_reports")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_forum_threads_search_document")
    with op.batch_alter_table("forum_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_threads_lesson_id_created_at")
        batch_op.drop_index("ix_forum_threads_course_id_last_activity_at")
        batch_op.drop_index("ix_forum_threads_course_id_created_at")
    op.drop_table("forum_threads")
    with op.batch_alter_table("forum_votes", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_votes_voter_id")
    op.drop_table("forum_votes")
