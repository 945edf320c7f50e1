"""Billing repositories: data mappers between the billing tables and the domain.

Orders, refunds and withdrawals are tracked aggregates, written back at commit like every
repository here. The ledger writes at once: its balances are locked and moved by relative
updates inside the posting transaction, so concurrent postings see each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.adapters.persistence.integrity import domain_error_for
from elearn.adapters.persistence.models.billing import (
    CONSTRAINT_ERRORS,
    IdempotencyKeyRow,
    JournalEntryRow,
    JournalLineRow,
    LedgerAccountRow,
    OrderRow,
    PayoutAccountRow,
    ProviderEventRow,
    RefundRow,
    WithdrawalRow,
)
from elearn.adapters.persistence.repositories import TrackingRepository
from elearn.application.billing.ports import IdempotencyClaim, IdempotencyKeyReused
from elearn.domain.billing.ledger import Account, AccountKind, EntryKind, JournalEntry, Line
from elearn.domain.billing.order import (
    ItemKind,
    Order,
    OrderStatus,
    PaymentMethod,
    Refund,
    RefundStatus,
)
from elearn.domain.billing.withdrawal import OPEN, Withdrawal, WithdrawalStatus
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.money import Money

T = TypeVar("T")
PAID = (
    OrderStatus.SUCCEEDED.value,
    OrderStatus.PARTIALLY_REFUNDED.value,
)


def insert_ignoring_duplicates(session: AsyncSession, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` in the session's dialect."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table)


def account_key(account: Account) -> str:
    owner = account.owner_id.hex if account.owner_id else "platform"
    return f"{account.kind.value}:{account.currency}:{owner}"


# ---- orders -----------------------------------------------------------------------------------
class SqlaOrderRepository(TrackingRepository[Order, OrderRow]):
    async def add(self, order: Order) -> None:
        row = OrderRow(id=order.id, created_at=order.created_at)
        self._to_row(order, row)
        self.session.add(row)
        self._track(order.id, order, row)

    async def get(self, order_id: UUID, *, for_update: bool = False) -> Order | None:
        if order_id in self._tracked and not for_update:
            return self._tracked[order_id][0]
        row = await self._get_row(
            select(OrderRow).where(OrderRow.id == order_id), for_update=for_update
        )
        return self._load(row) if row is not None else None

    async def by_payment_id(self, payment_id: str, *, for_update: bool = False) -> Order | None:
        row = await self._get_row(
            select(OrderRow).where(OrderRow.provider_payment_id == payment_id),
            for_update=for_update,
        )
        return self._load(row) if row is not None else None

    async def due_for_release(self, paid_before: datetime, *, limit: int) -> list[Order]:
        stmt = (
            select(OrderRow)
            .where(
                OrderRow.kind == ItemKind.COURSE.value,
                OrderRow.payee_id.is_not(None),
                OrderRow.earnings_released_at.is_(None),
                OrderRow.paid_at.is_not(None),
                OrderRow.paid_at <= paid_before,
                OrderRow.status.in_((*PAID, OrderStatus.REFUNDED.value)),
            )
            .order_by(OrderRow.paid_at, OrderRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    def _from_row(self, row: OrderRow) -> Order:
        return Order(
            id=row.id,
            buyer_id=row.buyer_id,
            kind=ItemKind(row.kind),
            method=PaymentMethod(row.method),
            amount=Money(row.amount, row.currency),
            created_at=row.created_at,
            platform_bps=row.platform_bps,
            course_id=row.course_id,
            booking_id=row.booking_id,
            payee_id=row.payee_id,
            status=OrderStatus(row.status),
            provider_session_id=row.provider_session_id,
            checkout_url=row.checkout_url,
            provider_payment_id=row.provider_payment_id,
            paid_at=row.paid_at,
            closed_at=row.closed_at,
            failure_reason=row.failure_reason,
            refunded_amount=row.refunded_amount,
            earnings_released_at=row.earnings_released_at,
        )

    def _to_row(self, order: Order, row: OrderRow) -> None:
        row.buyer_id = order.buyer_id
        row.kind = order.kind.value
        row.method = order.method.value
        row.amount = order.amount.amount
        row.currency = order.amount.currency
        row.platform_bps = order.platform_bps
        row.course_id = order.course_id
        row.booking_id = order.booking_id
        row.payee_id = order.payee_id
        row.status = order.status.value
        row.provider_session_id = order.provider_session_id
        row.checkout_url = order.checkout_url
        row.provider_payment_id = order.provider_payment_id
        row.paid_at = order.paid_at
        row.closed_at = order.closed_at
        row.failure_reason = order.failure_reason
        row.refunded_amount = order.refunded_amount
        row.earnings_released_at = order.earnings_released_at


# ---- refunds ----------------------------------------------------------------------------------
class SqlaRefundRepository(TrackingRepository[Refund, RefundRow]):
    async def add(self, refund: Refund) -> None:
        row = RefundRow(id=refund.id, created_at=refund.created_at)
        self._to_row(refund, row)
        self.session.add(row)
        self._track(refund.id, refund, row)

    async def get(self, refund_id: UUID, *, for_update: bool = False) -> Refund | None:
        if refund_id in self._tracked and not for_update:
            return self._tracked[refund_id][0]
        row = await self._get_row(
            select(RefundRow).where(RefundRow.id == refund_id), for_update=for_update
        )
        return self._load(row) if row is not None else None

    async def pending_amount(self, order_id: UUID) -> int:
        stored = await self.session.scalar(
            select(func.coalesce(func.sum(RefundRow.amount), 0)).where(
                RefundRow.order_id == order_id,
                RefundRow.status == RefundStatus.PENDING.value,
                RefundRow.id.not_in([key for key in self._tracked]),
            )
        )
        tracked = sum(
            refund.amount.amount
            for refund in self.seen
            if refund.order_id == order_id and refund.status is RefundStatus.PENDING
        )
        return int(stored or 0) + tracked

    async def stale_pending(self, created_before: datetime, *, limit: int) -> list[Refund]:
        stmt = (
            select(RefundRow)
            .where(
                RefundRow.status == RefundStatus.PENDING.value,
                RefundRow.created_at < created_before,
            )
            .order_by(RefundRow.created_at)
            .limit(limit)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    def _from_row(self, row: RefundRow) -> Refund:
        return Refund(
            id=row.id,
            order_id=row.order_id,
            amount=Money(row.amount, row.currency),
            reason=row.reason,
            created_at=row.created_at,
            requested_by=row.requested_by,
            status=RefundStatus(row.status),
            provider_refund_id=row.provider_refund_id,
            completed_at=row.completed_at,
            platform_covered=row.platform_covered,
            failure_reason=row.failure_reason,
        )

    def _to_row(self, refund: Refund, row: RefundRow) -> None:
        row.order_id = refund.order_id
        row.amount = refund.amount.amount
        row.currency = refund.amount.currency
        row.reason = refund.reason
        row.requested_by = refund.requested_by
        row.status = refund.status.value
        row.provider_refund_id = refund.provider_refund_id
        row.completed_at = refund.completed_at
        row.platform_covered = refund.platform_covered
        row.failure_reason = refund.failure_reason


# ---- withdrawals ------------------------------------------------------------------------------
class SqlaWithdrawalRepository(TrackingRepository[Withdrawal, WithdrawalRow]):
    async def add(self, withdrawal: Withdrawal) -> None:
        row = WithdrawalRow(id=withdrawal.id, created_at=withdrawal.requested_at)
        self._to_row(withdrawal, row)
        self.session.add(row)
        self._track(withdrawal.id, withdrawal, row)

    async def get(self, withdrawal_id: UUID, *, for_update: bool = False) -> Withdrawal | None:
        if withdrawal_id in self._tracked and not for_update:
            return self._tracked[withdrawal_id][0]
        row = await self._get_row(
            select(WithdrawalRow).where(WithdrawalRow.id == withdrawal_id), for_update=for_update
        )
        return self._load(row) if row is not None else None

    async def open_for(self, tutor_id: UUID, currency: str) -> Withdrawal | None:
        found = await self._load_many(
            select(WithdrawalRow).where(
                WithdrawalRow.tutor_id == tutor_id,
                WithdrawalRow.currency == currency,
                WithdrawalRow.status.in_([status.value for status in OPEN]),
            ),
            lambda w: w.tutor_id == tutor_id and w.amount.currency == currency and w.is_open,
        )
        return found[0] if found else None

    def _from_row(self, row: WithdrawalRow) -> Withdrawal:
        return Withdrawal(
            id=row.id,
            tutor_id=row.tutor_id,
            amount=Money(row.amount, row.currency),
            requested_at=row.requested_at,
            status=WithdrawalStatus(row.status),
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            reason=row.reason,
            payout_attempts=row.payout_attempts,
            last_attempt_at=row.last_attempt_at,
            transfer_id=row.transfer_id,
            paid_at=row.paid_at,
            failure_reason=row.failure_reason,
        )

    def _to_row(self, withdrawal: Withdrawal, row: WithdrawalRow) -> None:
        row.tutor_id = withdrawal.tutor_id
        row.amount = withdrawal.amount.amount
        row.currency = withdrawal.amount.currency
        row.status = withdrawal.status.value
        row.requested_at = withdrawal.requested_at
        row.decided_by = withdrawal.decided_by
        row.decided_at = withdrawal.decided_at
        row.reason = withdrawal.reason
        row.payout_attempts = withdrawal.payout_attempts
        row.last_attempt_at = withdrawal.last_attempt_at
        row.transfer_id = withdrawal.transfer_id
        row.paid_at = withdrawal.paid_at
        row.failure_reason = withdrawal.failure_reason


# ---- the ledger -------------------------------------------------------------------------------
class SqlaLedger:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._ids: dict[str, UUID] = {}

    async def find(self, key: str) -> JournalEntry | None:
        entry = await self.session.scalar(select(JournalEntryRow).where(JournalEntryRow.key == key))
        if entry is None:
            return None
        lines = await self.session.execute(
            select(
                JournalLineRow.amount,
                LedgerAccountRow.kind,
                LedgerAccountRow.currency,
                LedgerAccountRow.owner_id,
            )
            .join(LedgerAccountRow, LedgerAccountRow.id == JournalLineRow.account_id)
            .where(JournalLineRow.entry_id == entry.id)
        )
        return JournalEntry(
            id=entry.id,
            key=entry.key,
            kind=EntryKind(entry.kind),
            lines=tuple(
                Line(Account(AccountKind(kind), currency, owner_id), amount)
                for amount, kind, currency, owner_id in lines
            ),
            posted_at=entry.posted_at,
            memo=entry.memo,
            reference_id=entry.reference_id,
        )

    async def balances(
        self, accounts: Iterable[Account], *, for_update: bool = False
    ) -> dict[Account, int]:
        by_key = {account_key(account): account for account in accounts}
        if for_update:
            await self._create_missing(by_key)
        stmt = (
            select(LedgerAccountRow.key, LedgerAccountRow.id, LedgerAccountRow.balance)
            .where(LedgerAccountRow.key.in_(sorted(by_key)))
            .order_by(LedgerAccountRow.key)
        )
        if for_update:
            stmt = stmt.with_for_update()
        found = {account: 0 for account in by_key.values()}
        for key, account_id, balance in await self.session.execute(stmt):
            self._ids[key] = account_id
            found[by_key[key]] = balance
        return found

    async def _create_missing(self, by_key: dict[str, Account]) -> None:
        missing = [key for key in by_key if key not in self._ids]
        if not missing:
            return
        now = datetime.now(UTC)
        rows = [
            {
                "id": uuid.uuid4(),
                "key": key,
                "kind": by_key[key].kind.value,
                "currency": by_key[key].currency,
                "owner_id": by_key[key].owner_id,
                "balance": 0,
                "created_at": now,
                "updated_at": now,
            }
            for key in sorted(missing)
        ]
        stmt = insert_ignoring_duplicates(self.session, LedgerAccountRow).values(rows)
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))

    async def append(self, entry: JournalEntry) -> None:
        keys = {account_key(line.account) for line in entry.lines}
        if not keys <= self._ids.keys():
            await self.balances([line.account for line in entry.lines], for_update=True)
        try:
            await self.session.execute(
                insert(JournalEntryRow).values(
                    id=entry.id,
                    key=entry.key,
                    kind=entry.kind.value,
                    posted_at=entry.posted_at,
                    memo=entry.memo,
                    reference_id=entry.reference_id,
                    created_at=entry.posted_at,
                    updated_at=entry.posted_at,
                )
            )
        except IntegrityError as error:
            raise domain_error_for(error, CONSTRAINT_ERRORS) from error
        await self.session.execute(
            insert(JournalLineRow).values(
                [
                    {
                        "id": uuid.uuid4(),
                        "entry_id": entry.id,
                        "account_id": self._ids[account_key(line.account)],
                        "amount": line.amount,
                        "posted_at": entry.posted_at,
                        "created_at": entry.posted_at,
                        "updated_at": entry.posted_at,
                    }
                    for line in entry.lines
                ]
            )
        )
        for line in entry.lines:
            await self.session.execute(
                update(LedgerAccountRow)
                .where(LedgerAccountRow.id == self._ids[account_key(line.account)])
                .values(balance=LedgerAccountRow.balance + line.amount)
            )


# ---- provider events, idempotency keys, payout accounts ---------------------------------------
class SqlaProviderEventLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, event_id: str, event_type: str, received_at: datetime) -> bool:
        stmt = insert_ignoring_duplicates(self.session, ProviderEventRow).values(
            id=event_id, type=event_type[:100], received_at=received_at
        )
        result = await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlaIdempotencyStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def begin(self, claim: IdempotencyClaim, result_type: type[T], now: datetime) -> T | None:
        stmt = insert_ignoring_duplicates(self.session, IdempotencyKeyRow).values(
            user_id=claim.user_id,
            scope=claim.scope,
            key=claim.key,
            fingerprint=claim.fingerprint[:500],
            result=None,
            created_at=now,
        )
        result = await self.session.execute(
            stmt.on_conflict_do_nothing(index_elements=["user_id", "scope", "key"])
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return None
        row = await self.session.get(
            IdempotencyKeyRow, (claim.user_id, claim.scope, claim.key), populate_existing=True
        )
        if row is None or row.fingerprint != claim.fingerprint[:500]:
            raise IdempotencyKeyReused()
        if row.result is None:
            raise Conflict(
                "a request with this Idempotency-Key is still being handled",
                code="idempotency-key-in-use",
            )
        return msgspec.convert(row.result, result_type)

    async def complete(self, claim: IdempotencyClaim, result: object) -> None:
        await self.session.execute(
            update(IdempotencyKeyRow)
            .where(
                IdempotencyKeyRow.user_id == claim.user_id,
                IdempotencyKeyRow.scope == claim.scope,
                IdempotencyKeyRow.key == claim.key,
            )
            .values(result=msgspec.to_builtins(result))
        )


class SqlaPayoutAccounts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: UUID) -> str | None:
        return await self.session.scalar(
            select(PayoutAccountRow.account_id).where(PayoutAccountRow.user_id == user_id)
        )

    async def put(self, user_id: UUID, account_id: str, now: datetime) -> None:
        stmt = insert_ignoring_duplicates(self.session, PayoutAccountRow).values(
            user_id=user_id, account_id=account_id, created_at=now
        )
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id"]))


class SqlaBillingStore:
    """Every billing repository of one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.orders = SqlaOrderRepository(session)
        self.refunds = SqlaRefundRepository(session)
        self.withdrawals = SqlaWithdrawalRepository(session)
        self.ledger = SqlaLedger(session)
        self.provider_events = SqlaProviderEventLog(session)
        self.idempotency = SqlaIdempotencyStore(session)
        self.payout_accounts = SqlaPayoutAccounts(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.orders, self.refunds, self.withdrawals]
