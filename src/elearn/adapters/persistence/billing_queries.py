"""Billing's read side: wallets, earnings, account histories, orders, refunds, withdrawals and
the trial balance, shaped like the API's answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.billing import (
    JournalEntryRow,
    JournalLineRow,
    LedgerAccountRow,
    OrderRow,
    RefundRow,
    WithdrawalRow,
)
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.application.billing.ports import (
    AccountBalance,
    CurrencyTotal,
    EarningsView,
    LedgerLineView,
    OrderFilters,
    OrderView,
    RefundView,
    TrialBalance,
    WithdrawalView,
)
from elearn.application.paging import Page
from elearn.domain.billing.fees import BASIS_POINTS, FeeSplit
from elearn.domain.billing.ledger import AccountKind, EntryKind
from elearn.domain.billing.order import OrderStatus, RefundStatus
from elearn.domain.billing.withdrawal import WithdrawalStatus
from elearn.domain.shared.money import Money

T = TypeVar("T")
_TUTOR_BALANCES = (
    AccountKind.TUTOR_PENDING.value,
    AccountKind.TUTOR_AVAILABLE.value,
    AccountKind.TUTOR_HOLD.value,
)


def _tutor_share(amount: Any) -> Any:
    """FeeSplit.tutor_share in SQL, for the non-negative amounts of orders: the platform's fee
    rounded down (integer division), the rest the tutor's."""
    return amount - amount * OrderRow.platform_bps // BASIS_POINTS


class SqlaBillingQueries:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def wallet(self, user_id: UUID) -> list[Money]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(LedgerAccountRow.currency, LedgerAccountRow.balance)
                .where(
                    LedgerAccountRow.owner_id == user_id,
                    LedgerAccountRow.kind == AccountKind.STUDENT_WALLET.value,
                )
                .order_by(LedgerAccountRow.currency)
            )
            return [Money(balance, currency) for currency, balance in rows]

    async def account_lines(
        self, accounts_of: UUID, kinds: tuple[str, ...], *, limit: int, cursor: str | None
    ) -> Page[LedgerLineView]:
        stmt = (
            select(
                JournalLineRow.id,
                JournalLineRow.posted_at,
                JournalLineRow.amount,
                LedgerAccountRow.kind.label("account"),
                LedgerAccountRow.currency,
                JournalEntryRow.id.label("entry_id"),
                JournalEntryRow.kind,
                JournalEntryRow.memo,
                JournalEntryRow.reference_id,
            )
            .join(LedgerAccountRow, LedgerAccountRow.id == JournalLineRow.account_id)
            .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
            .where(LedgerAccountRow.owner_id == accounts_of, LedgerAccountRow.kind.in_(kinds))
        )
        stmt = newest_first_after(stmt, cursor, JournalLineRow.posted_at, JournalLineRow.id)
        return await fetch_page(
            self._sessions, stmt, limit, _line_view, lambda row: (row.posted_at, row.id)
        )

    async def earnings(self, tutor_id: UUID) -> list[EarningsView]:
        async with self._sessions() as session:
            balances = await session.execute(
                select(
                    LedgerAccountRow.kind, LedgerAccountRow.currency, LedgerAccountRow.balance
                ).where(LedgerAccountRow.owner_id == tutor_id)
            )
            paid_out = await session.execute(
                select(LedgerAccountRow.currency, func.sum(-JournalLineRow.amount))
                .join(LedgerAccountRow, LedgerAccountRow.id == JournalLineRow.account_id)
                .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
                .where(
                    LedgerAccountRow.owner_id == tutor_id,
                    JournalEntryRow.kind == EntryKind.PAYOUT.value,
                )
                .group_by(LedgerAccountRow.currency)
            )
            # The tutor's share of each sale less their share of what was refunded of it
            # (FeeSplit's rule, the platform's fee rounded down per amount), summed per currency:
            # a sale refunded in full counts nothing.
            earned = await session.execute(
                select(
                    OrderRow.currency,
                    func.sum(
                        _tutor_share(OrderRow.amount) - _tutor_share(OrderRow.refunded_amount)
                    ),
                )
                .where(OrderRow.payee_id == tutor_id, OrderRow.paid_at.is_not(None))
                .group_by(OrderRow.currency)
            )
        by_currency: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for kind, currency, balance in balances:
            if kind in _TUTOR_BALANCES:  # not the wallet a tutor may hold as a buyer
                by_currency[currency][kind] = balance
        for currency, total in paid_out:
            by_currency[currency]["paid_out"] = int(total or 0)
        for currency, total in earned:
            by_currency[currency]["earned"] = int(total or 0)
        return [
            EarningsView(
                pending=Money(values[AccountKind.TUTOR_PENDING.value], currency),
                available=Money(values[AccountKind.TUTOR_AVAILABLE.value], currency),
                on_hold=Money(values[AccountKind.TUTOR_HOLD.value], currency),
                total_earned=Money(values["earned"], currency),
                paid_out=Money(values["paid_out"], currency),
            )
            # Every currency the tutor has earned in, even once all of it was refunded.
            for currency, values in sorted(by_currency.items())
        ]

    async def order(self, order_id: UUID) -> OrderView | None:
        async with self._sessions() as session:
            row = await session.get(OrderRow, order_id)
            return _order_view(row) if row is not None else None

    async def orders(
        self, filters: OrderFilters, *, limit: int, cursor: str | None
    ) -> Page[OrderView]:
        stmt = select(OrderRow)
        if filters.status is not None:
            stmt = stmt.where(OrderRow.status == filters.status.value)
        if filters.buyer_id is not None:
            stmt = stmt.where(OrderRow.buyer_id == filters.buyer_id)
        if filters.kind is not None:
            stmt = stmt.where(OrderRow.kind == filters.kind)
        if filters.method is not None:
            stmt = stmt.where(OrderRow.method == filters.method)
        if filters.paid_only:
            stmt = stmt.where(OrderRow.paid_at.is_not(None))
        return await self._newest_first(stmt, OrderRow, _order_view, limit=limit, cursor=cursor)

    async def refund(self, refund_id: UUID) -> RefundView | None:
        async with self._sessions() as session:
            row = await session.get(RefundRow, refund_id)
            return _refund_view(row) if row is not None else None

    async def refunds(
        self, order_id: UUID | None, status: RefundStatus | None, *, limit: int, cursor: str | None
    ) -> Page[RefundView]:
        stmt = select(RefundRow)
        if order_id is not None:
            stmt = stmt.where(RefundRow.order_id == order_id)
        if status is not None:
            stmt = stmt.where(RefundRow.status == status.value)
        return await self._newest_first(stmt, RefundRow, _refund_view, limit=limit, cursor=cursor)

    async def withdrawal(self, withdrawal_id: UUID) -> WithdrawalView | None:
        async with self._sessions() as session:
            row = await session.get(WithdrawalRow, withdrawal_id)
            return _withdrawal_view(row) if row is not None else None

    async def withdrawals(
        self,
        tutor_id: UUID | None,
        status: WithdrawalStatus | None,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[WithdrawalView]:
        stmt = select(WithdrawalRow)
        if tutor_id is not None:
            stmt = stmt.where(WithdrawalRow.tutor_id == tutor_id)
        if status is not None:
            stmt = stmt.where(WithdrawalRow.status == status.value)
        return await self._newest_first(
            stmt, WithdrawalRow, _withdrawal_view, limit=limit, cursor=cursor
        )

    async def _newest_first(
        self,
        stmt: Select[Any],
        table: Any,
        view: Callable[[Any], T],
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[T]:
        """A page of whole rows of ``table``, newest first."""
        stmt = newest_first_after(stmt, cursor, table.created_at, table.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: view(row[0]),
            lambda row: (row[0].created_at, row[0].id),
        )

    async def trial_balance(self) -> TrialBalance:
        """Balances derived from the lines themselves (not the running balance kept for
        locking), so the report checks the books rather than repeating them."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(
                    LedgerAccountRow.kind,
                    LedgerAccountRow.owner_id,
                    LedgerAccountRow.currency,
                    func.coalesce(func.sum(JournalLineRow.amount), 0),
                )
                .join(
                    JournalLineRow, JournalLineRow.account_id == LedgerAccountRow.id, isouter=True
                )
                .group_by(
                    LedgerAccountRow.id,
                    LedgerAccountRow.kind,
                    LedgerAccountRow.owner_id,
                    LedgerAccountRow.currency,
                )
                .order_by(LedgerAccountRow.currency, LedgerAccountRow.kind)
            )
            accounts = [
                AccountBalance(kind=kind, owner_id=owner_id, balance=Money(int(total), currency))
                for kind, owner_id, currency, total in rows
            ]
        totals: dict[str, int] = defaultdict(int)
        for account in accounts:
            totals[account.balance.currency] += account.balance.amount
        currency_totals = [
            CurrencyTotal(total=Money(total, currency), balanced=total == 0)
            for currency, total in sorted(totals.items())
        ]
        return TrialBalance(
            accounts=accounts,
            totals=currency_totals,
            balanced=all(total.balanced for total in currency_totals),
        )


def _line_view(row: Row[Any]) -> LedgerLineView:
    return LedgerLineView(
        entry_id=row.entry_id,
        kind=row.kind,
        account=row.account,
        amount=Money(row.amount, row.currency),
        posted_at=row.posted_at,
        memo=row.memo,
        reference_id=row.reference_id,
    )


def _order_view(row: OrderRow) -> OrderView:
    amount = Money(row.amount, row.currency)
    if row.payee_id is None:  # a top-up: the buyer's own credit, no fee and nobody's share
        platform_fee, tutor_share = Money(0, row.currency), None
    else:
        split = FeeSplit(row.platform_bps).split(amount)
        platform_fee, tutor_share = split.platform, split.tutor
    return OrderView(
        id=row.id,
        buyer_id=row.buyer_id,
        kind=row.kind,
        method=row.method,
        status=OrderStatus(row.status),
        amount=amount,
        refunded=Money(row.refunded_amount, row.currency),
        course_id=row.course_id,
        booking_id=row.booking_id,
        payee_id=row.payee_id,
        platform_fee=platform_fee,
        tutor_share=tutor_share,
        created_at=row.created_at,
        paid_at=row.paid_at,
        provider_payment_id=row.provider_payment_id,
        failure_reason=row.failure_reason,
    )


def _refund_view(row: RefundRow) -> RefundView:
    return RefundView(
        id=row.id,
        order_id=row.order_id,
        amount=Money(row.amount, row.currency),
        status=RefundStatus(row.status),
        reason=row.reason,
        requested_by=row.requested_by,
        platform_covered=Money(row.platform_covered, row.currency),
        created_at=row.created_at,
        completed_at=row.completed_at,
        failure_reason=row.failure_reason,
    )


def _withdrawal_view(row: WithdrawalRow) -> WithdrawalView:
    return WithdrawalView(
        id=row.id,
        tutor_id=row.tutor_id,
        amount=Money(row.amount, row.currency),
        status=WithdrawalStatus(row.status),
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        reason=row.reason,
        paid_at=row.paid_at,
        transfer_id=row.transfer_id,
        failure_reason=row.failure_reason,
    )
