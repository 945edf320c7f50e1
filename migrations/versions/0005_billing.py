"""billing: the ledger (accounts, journal entries and lines), orders, refunds, withdrawals,
provider events handled, Idempotency-Keys and payout accounts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:48:54.227243
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=500), nullable=False),
        sa.Column("result", JsonB, nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "journal_entries",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("posted_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("reference_id", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_journal_entries_key")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index("ix_journal_entries_reference_id", ["reference_id"], unique=False)

    op.create_table(
        "ledger_accounts",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance >= 0 OR kind IN ('provider_clearing', 'platform_revenue', 'payouts')",
            name=op.f("ck_ledger_accounts_balance_not_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_accounts_key")),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_accounts_owner_id_kind", ["owner_id", "kind"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("buyer_id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("platform_bps", sa.Integer(), nullable=False),
        sa.Column("course_id", GUID(length=16), nullable=True),
        sa.Column("payee_id", GUID(length=16), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("provider_session_id", sa.String(length=255), nullable=True),
        sa.Column("checkout_url", sa.Text(), nullable=True),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=True),
        sa.Column("paid_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("closed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("earnings_released_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("provider_payment_id", name=op.f("uq_orders_provider_payment_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_buyer_id_created_at", ["buyer_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_orders_paid_at", ["paid_at"], unique=False)
        batch_op.create_index(
            "ix_orders_status_created_at", ["status", "created_at", "id"], unique=False
        )

    op.create_table(
        "payout_accounts",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_payout_accounts")),
    )
    op.create_table(
        "provider_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("received_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_events")),
    )
    op.create_table(
        "withdrawals",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("tutor_id", GUID(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("decided_by", GUID(length=16), nullable=True),
        sa.Column("decided_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("payout_attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("transfer_id", sa.String(length=255), nullable=True),
        sa.Column("paid_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
    )
    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_withdrawals_status_created_at", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_withdrawals_tutor_id_created_at", ["tutor_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_withdrawals_tutor_id",
            ["tutor_id", "currency"],
            unique=True,
            sqlite_where=sa.text("status IN ('requested', 'approved')"),
            postgresql_where=sa.text("status IN ('requested', 'approved')"),
        )

    op.create_table(
        "journal_lines",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("entry_id", GUID(length=16), nullable=False),
        sa.Column("account_id", GUID(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("posted_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_journal_lines_account_id_ledger_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_lines_entry_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_lines_account_id_posted_at", ["account_id", "posted_at", "id"], unique=False
        )

    op.create_table(
        "refunds",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", GUID(length=16), nullable=True),
        sa.Column("provider_refund_id", sa.String(length=255), nullable=True),
        sa.Column("completed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("platform_covered", sa.BigInteger(), nullable=False),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_refunds_order_id_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index("ix_refunds_order_id", ["order_id"], unique=False)
        batch_op.create_index(
            "ix_refunds_status_created_at", ["status", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_status_created_at")
        batch_op.drop_index("ix_refunds_order_id")

    op.drop_table("refunds")
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_lines_account_id_posted_at")

    op.drop_table("journal_lines")
    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_withdrawals_tutor_id",
            sqlite_where=sa.text("status IN ('requested', 'approved')"),
            postgresql_where=sa.text("status IN ('requested', 'approved')"),
        )
        batch_op.drop_index("ix_withdrawals_tutor_id_created_at")
        batch_op.drop_index("ix_withdrawals_status_created_at")

    op.drop_table("withdrawals")
    op.drop_table("provider_events")
    op.drop_table("payout_accounts")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_created_at")
        batch_op.drop_index("ix_orders_paid_at")
        batch_op.drop_index("ix_orders_buyer_id_created_at")

    op.drop_table("orders")
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_accounts_owner_id_kind")

    op.drop_table("ledger_accounts")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_entries_reference_id")

    op.drop_table("journal_entries")
    op.drop_table("idempotency_keys")
