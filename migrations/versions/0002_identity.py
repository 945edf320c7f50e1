"""identity: account status, 2FA and avatar on users; profiles, tutor applications, one-time
tokens, refresh-token families and the audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table(
    "users",
    sa.column("is_active", sa.Boolean()),
    sa.column("status", sa.String()),
    sa.column("role", sa.String()),
    sa.column("tutor_approval", sa.String()),
)


def upgrade() -> None:
    # Users first: on SQLite a batch ALTER copies and drops the table, which must happen before
    # other tables reference it.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="active")
        )
        batch_op.add_column(sa.Column("tutor_approval", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("sessions_valid_after", DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("recovery_code_hashes", JsonB, nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("avatar_key", sa.String(length=255), nullable=True))

    op.execute(_users.update().where(_users.c.is_active == sa.false()).values(status="suspended"))
    # Before approval existed every tutor taught: they stay approved.
    op.execute(_users.update().where(_users.c.role == "tutor").values(tutor_approval="approved"))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None, existing_type=sa.String(length=16))
        batch_op.alter_column("totp_enabled", server_default=None, existing_type=sa.Boolean())
        batch_op.alter_column("recovery_code_hashes", server_default=None, existing_type=JsonB)
        batch_op.drop_column("is_active")
        batch_op.create_index("ix_users_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_status"), ["status"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_id", GUID(length=16), nullable=True),
        sa.Column("target_type", sa.String(length=64), nullable=True),
        sa.Column("target_id", GUID(length=16), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("details", JsonB, nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_target_id"), ["target_id"], unique=False)

    op.create_table(
        "one_time_tokens",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("superseded_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_one_time_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_tokens_token_hash")),
    )
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_one_time_tokens_user_id_purpose", ["user_id", "purpose"], unique=False
        )

    op.create_table(
        "refresh_families",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("current_hash", sa.String(length=64), nullable=False),
        sa.Column("absolute_expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("idle_expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=64), nullable=True),
        sa.Column("rotations", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_families_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_families")),
    )
    with op.batch_alter_table("refresh_families", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_families_user_id"), ["user_id"], unique=False)

    op.create_table(
        "student_profiles",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("preferred_currency", sa.String(length=3), nullable=True),
        sa.Column("institution", sa.String(length=200), nullable=True),
        sa.Column("onboarding", JsonB, nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_student_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_student_profiles")),
    )
    op.create_table(
        "tutor_applications",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=False),
        sa.Column("subjects", JsonB, nullable=False),
        sa.Column("cv_key", sa.String(length=255), nullable=False),
        sa.Column("certificate_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("decided_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decided_by", GUID(length=16), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_tutor_applications_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tutor_applications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tutor_applications")),
    )
    with op.batch_alter_table("tutor_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tutor_applications_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tutor_applications_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "tutor_profiles",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=False),
        sa.Column("subjects", JsonB, nullable=False),
        sa.Column("languages", JsonB, nullable=False),
        sa.Column("hourly_rate_amount", sa.BigInteger(), nullable=True),
        sa.Column("hourly_rate_currency", sa.String(length=3), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("meeting_url", sa.String(length=2048), nullable=True),
        sa.Column("rating_average", sa.Float(), nullable=True),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tutor_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_tutor_profiles")),
    )


def downgrade() -> None:
    op.drop_table("tutor_profiles")
    with op.batch_alter_table("tutor_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tutor_applications_user_id"))
        batch_op.drop_index(batch_op.f("ix_tutor_applications_status"))

    op.drop_table("tutor_applications")
    op.drop_table("student_profiles")
    with op.batch_alter_table("refresh_families", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_families_user_id"))

    op.drop_table("refresh_families")
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_one_time_tokens_user_id_purpose")

    op.drop_table("one_time_tokens")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_target_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")

    # Users last: no other table references them any more (see upgrade).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    op.execute(_users.update().where(_users.c.status != "active").values(is_active=False))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("is_active", server_default=None, existing_type=sa.Boolean())
        batch_op.drop_index(batch_op.f("ix_users_status"))
        batch_op.drop_index("ix_users_created_at_id")
        batch_op.drop_column("avatar_key")
        batch_op.drop_column("recovery_code_hashes")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("sessions_valid_after")
        batch_op.drop_column("tutor_approval")
        batch_op.drop_column("status")
