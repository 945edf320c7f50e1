"""Billing tables: the ledger (accounts, entries, lines), orders, refunds, withdrawals, the
provider's events handled, Idempotency-Keys and tutors' payout accounts.

The database keeps the money rules again where concurrent requests could break them: an
entry's key is unique (posting twice is impossible), accounts that hold people's money have a
check against going below zero, a provider event id is stored once, and a tutor has at most one
open withdrawal per currency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import JsonB
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.shared.errors import Conflict

_OPEN_WITHDRAWAL = "status IN ('requested', 'approved')"


class LedgerAccountRow(Base):
    """An account and, for a person's account (one with a floor), its balance: the sum of its
    lines, kept up to date in the transaction that posts them so it can be locked and checked.
    The platform's own accounts (clearing, revenue, payouts) keep 0 here: their balance is
    derived from their lines when read, so that no sale locks or updates them."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("key"),
        CheckConstraint(
            "balance >= 0 OR kind IN ('provider_clearing', 'platform_revenue', 'payouts')",
            name="balance_not_negative",
        ),
        Index("ix_ledger_accounts_owner_id_kind", "owner_id", "kind"),
    )

    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    owner_id: Mapped[UUID | None]
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class JournalEntryRow(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_journal_entries_reference_id", "reference_id"),
    )

    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime]
    memo: Mapped[str] = mapped_column(String(500), default="")
    reference_id: Mapped[UUID | None]


class JournalLineRow(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        # An account's history, newest first.
        Index("ix_journal_lines_account_id_posted_at", "account_id", "posted_at", "id"),
        # Analytics recomputes its rollups of a time range from the lines posted in it.
        Index("ix_journal_lines_posted_at", "posted_at"),
    )

    entry_id: Mapped[UUID] = mapped_column(ForeignKey("journal_entries.id", ondelete="RESTRICT"))
    account_id: Mapped[UUID] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)
    posted_at: Mapped[datetime]


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("provider_payment_id"),
        Index("ix_orders_buyer_id_created_at", "buyer_id", "created_at", "id"),
        Index("ix_orders_status_created_at", "status", "created_at", "id"),
        Index("ix_orders_paid_at", "paid_at"),
    )

    # No foreign keys to people or courses: money records outlive what they were about.
    buyer_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    platform_bps: Mapped[int] = mapped_column(Integer)
    course_id: Mapped[UUID | None]
    booking_id: Mapped[UUID | None]
    payee_id: Mapped[UUID | None]
    status: Mapped[str] = mapped_column(String(24))
    provider_session_id: Mapped[str | None] = mapped_column(String(255))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    earnings_released_at: Mapped[datetime | None]
    success_url: Mapped[str | None] = mapped_column(Text)
    cancel_url: Mapped[str | None] = mapped_column(Text)


class RefundRow(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        Index("ix_refunds_order_id", "order_id"),
        Index("ix_refunds_status_created_at", "status", "created_at", "id"),
    )

    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[UUID | None]
    provider_refund_id: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None]
    platform_covered: Mapped[int] = mapped_column(BigInteger, default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(500))


class WithdrawalRow(Base):
    __tablename__ = "withdrawals"
    __table_args__ = (
        Index("ix_withdrawals_tutor_id_created_at", "tutor_id", "created_at", "id"),
        Index("ix_withdrawals_status_created_at", "status", "created_at", "id"),
        # One open request per tutor and currency, even for requests made at once.
        Index(
            "uq_withdrawals_tutor_id",
            "tutor_id",
            "currency",
            unique=True,
            sqlite_where=text(_OPEN_WITHDRAWAL),
            postgresql_where=text(_OPEN_WITHDRAWAL),
        ),
    )

    tutor_id: Mapped[UUID]
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    decided_by: Mapped[UUID | None]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    payout_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None]
    transfer_id: Mapped[str | None] = mapped_column(String(255))
    paid_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(String(500))


class ProviderEventRow(DefaultBase):
    __tablename__ = "provider_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]


class IdempotencyKeyRow(DefaultBase):
    __tablename__ = "idempotency_keys"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(500))
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    created_at: Mapped[datetime]


class PayoutAccountRow(DefaultBase):
    __tablename__ = "payout_accounts"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


# The constraints above that stand for a domain conflict (see `integrity`).
CONSTRAINT_ERRORS: ConstraintErrors = {
    "uq_withdrawals_tutor_id": lambda: Conflict(
        "a withdrawal in this currency is already waiting to be paid", code="withdrawal-open"
    ),
    "uq_journal_entries_key": lambda: Conflict(
        "this was recorded at the same moment by another request", code="already-recorded"
    ),
}
