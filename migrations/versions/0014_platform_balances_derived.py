"""platform ledger accounts (provider clearing, platform revenue, payouts) no longer keep a
stored balance: theirs is the sum of their lines, derived when read, so that no sale has to lock
and update them. Their stored balance is set to 0, so nothing can read a stale figure from it;
going back sums their lines into it again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds without a floor (``AccountKind.never_negative`` is false): the platform's own.
_PLATFORM_KINDS = ("provider_clearing", "platform_revenue", "payouts")
_ACCOUNTS = sa.table(
    "ledger_accounts", sa.column("id"), sa.column("kind"), sa.column("balance", sa.BigInteger)
)
_LINES = sa.table("journal_lines", sa.column("account_id"), sa.column("amount", sa.BigInteger))


def upgrade() -> None:
    op.execute(sa.update(_ACCOUNTS).where(_ACCOUNTS.c.kind.in_(_PLATFORM_KINDS)).values(balance=0))


def downgrade() -> None:
    summed = (
        sa.select(sa.func.coalesce(sa.func.sum(_LINES.c.amount), 0))
        .where(_LINES.c.account_id == _ACCOUNTS.c.id)
        .scalar_subquery()
    )
    op.execute(
        sa.update(_ACCOUNTS).where(_ACCOUNTS.c.kind.in_(_PLATFORM_KINDS)).values(balance=summed)
    )
