"""tutoring: availability, bookings (no two active ones of a tutor or of a student overlap:
exclusion constraints on PostgreSQL), reminders sent, testimonials, calendar feeds; orders
name the booking they pay for

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:25:18.165696
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("tutor_id", GUID(length=16), nullable=False),
        sa.Column("student_id", GUID(length=16), nullable=False),
        sa.Column("starts_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ends_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("blocks_until", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("price_currency", sa.String(length=3), nullable=False),
        sa.Column("cutoff_hours", sa.SmallInteger(), nullable=False),
        sa.Column("refund_percent_before", sa.SmallInteger(), nullable=False),
        sa.Column("refund_percent_after", sa.SmallInteger(), nullable=False),
        sa.Column("buffer_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("held_until", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=True),
        sa.Column("meeting_url", sa.String(length=2048), nullable=True),
        sa.Column("confirmed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("scheduled_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("ended_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["users.id"],
            name=op.f("fk_bookings_student_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"], ["users.id"], name=op.f("fk_bookings_tutor_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_status_held_until", ["status", "held_until"], unique=False
        )
        batch_op.create_index("ix_bookings_status_starts_at", ["status", "starts_at"], unique=False)
        batch_op.create_index(
            "ix_bookings_student_id_starts_at", ["student_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_bookings_tutor_id_starts_at", ["tutor_id", "starts_at"], unique=False
        )

    op.create_table(
        "calendar_feeds",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_table(
        "tutor_availability",
        sa.Column("tutor_id", GUID(length=16), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("windows", JsonB, nullable=False),
        sa.Column("durations", JsonB, nullable=False),
        sa.Column("buffer_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("minimum_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("maximum_days_ahead", sa.SmallInteger(), nullable=False),
        sa.Column("exceptions", JsonB, nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["users.id"],
            name=op.f("fk_tutor_availability_tutor_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tutor_id", name=op.f("pk_tutor_availability")),
    )
    op.create_table(
        "booking_reminders",
        sa.Column("booking_id", GUID(length=16), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("starts_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sent_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_reminders_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "booking_id", "lead_minutes", "starts_at", name=op.f("pk_booking_reminders")
        ),
    )
    op.create_table(
        "testimonials",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("booking_id", GUID(length=16), nullable=False),
        sa.Column("tutor_id", GUID(length=16), nullable=False),
        sa.Column("student_id", GUID(length=16), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_testimonials_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["users.id"],
            name=op.f("fk_testimonials_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["users.id"],
            name=op.f("fk_testimonials_tutor_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_testimonials")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_testimonials_booking_id")),
    )
    with op.batch_alter_table("testimonials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_testimonials_tutor_id_created_at", ["tutor_id", "created_at", "id"], unique=False
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("booking_id", GUID(length=16), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        # The database's own guard against double booking (SQLite bookings are checked inside
        # one writer's transaction instead): among held and confirmed bookings, no two of one
        # tutor overlap with the buffer after each, and no two of one student overlap.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_tutor EXCLUDE USING gist "
            "(tutor_id WITH =, tstzrange(starts_at, blocks_until) WITH &&) "
            "WHERE (status IN ('held', 'confirmed'))"
        )
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_student EXCLUDE USING gist "
            "(student_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            "WHERE (status IN ('held', 'confirmed'))"
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("booking_id")

    with op.batch_alter_table("testimonials", schema=None) as batch_op:
        batch_op.drop_index("ix_testimonials_tutor_id_created_at")

    op.drop_table("testimonials")
    op.drop_table("booking_reminders")
    op.drop_table("tutor_availability")
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_tutor_id_starts_at")
        batch_op.drop_index("ix_bookings_student_id_starts_at")
        batch_op.drop_index("ix_bookings_status_starts_at")
        batch_op.drop_index("ix_bookings_status_held_until")

    op.drop_table("bookings")
