"""Billing repositories: data mappers between the billing tables and the domain.

Orders, refunds and withdrawals are tracked aggregates, written back at commit like every
repository here. The ledger writes at once: people's balances are locked and moved by relative
updates inside the posting transaction, so concurrent postings see each other; the platform's
accounts are never locked nor updated (see ``SqlaLedger``).
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

import msgspec
from sqlalchemy import BindParameter, Table, bindparam, func, insert, select, update
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
from elearn.adapters.persistence.repository_base import (
    Embedded,
    FieldMap,
    SqlaRepository,
    dialect_insert,
    enum,
)
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
from elearn.domain.shared.events import DomainEvent
from elearn.domain.shared.money import Money

if TYPE_CHECKING:
    from elearn.adapters.persistence.unit_of_work import ChangeTracker

T = TypeVar("T")
PAID = (
    OrderStatus.SUCCEEDED.value,
    OrderStatus.PARTIALLY_REFUNDED.value,
)


def account_key(account: Account) -> str:
    owner = account.owner_id.hex if account.owner_id else "platform"
    return f"{account.kind.value}:{account.currency}:{owner}"


# ---- orders -----------------------------------------------------------------------------------
class SqlaOrderRepository(SqlaRepository[Order, OrderRow]):
    mapper = FieldMap(
        Order,
        OrderRow,
        fields={
            "kind": enum(ItemKind),
            "method": enum(PaymentMethod),
            "amount": Embedded(Money),
            "status": enum(OrderStatus),
        },
        fixed=("id", "created_at"),
    )

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


# ---- refunds ----------------------------------------------------------------------------------
class SqlaRefundRepository(SqlaRepository[Refund, RefundRow]):
    mapper = FieldMap(
        Refund,
        RefundRow,
        fields={"amount": Embedded(Money), "status": enum(RefundStatus)},
        fixed=("id", "created_at"),
    )

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


# ---- withdrawals ------------------------------------------------------------------------------
class SqlaWithdrawalRepository(SqlaRepository[Withdrawal, WithdrawalRow]):
    mapper = FieldMap(
        Withdrawal,
        WithdrawalRow,
        fields={"amount": Embedded(Money), "status": enum(WithdrawalStatus)},
        fixed=("id",),
        made_with={"created_at": lambda withdrawal: withdrawal.requested_at},
    )

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


# ---- the ledger -------------------------------------------------------------------------------
# Every sale's statements, built once with bound values (a statement built per call costs its
# cache key, each time: measured, the ledger's and the outbox's writes were a fifth of a sale's
# CPU). On the tables, not the ORM classes: a list of rows is one executemany, not the ORM's
# bulk paths.
_ACCOUNTS = cast(Table, LedgerAccountRow.__table__)
_KEYS: BindParameter[list[str]] = bindparam("keys", expanding=True)
_LOCK_ACCOUNTS = (
    select(LedgerAccountRow.key, LedgerAccountRow.id, LedgerAccountRow.balance)
    .where(LedgerAccountRow.key.in_(_KEYS))
    .order_by(LedgerAccountRow.key)
    # Not the key: the lines other transactions add point at the row (their foreign key's
    # share lock), and a balance's lock need not wait for them.
    .with_for_update(key_share=True)
)
_ACCOUNT_IDS_BY_KEY = select(LedgerAccountRow.key, LedgerAccountRow.id).where(
    LedgerAccountRow.key.in_(_KEYS)
)
_MOVE_BALANCE = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id == bindparam("account_id"))
    .values(balance=_ACCOUNTS.c.balance + bindparam("amount"))
)
_INSERT_ENTRY = insert(cast(Table, JournalEntryRow.__table__))
_INSERT_LINES = insert(cast(Table, JournalLineRow.__table__))
_CLAIM_ENTRY: dict[str, Any] = {}  # by dialect: INSERT ... ON CONFLICT (key) DO NOTHING


# The ids of committed ledger accounts, per database (its engine): a row is never deleted and its
# id never changes, so once read it need not be read again.
_ACCOUNT_IDS: weakref.WeakKeyDictionary[Any, dict[str, UUID]] = weakref.WeakKeyDictionary()


def _committed_account_ids(session: AsyncSession) -> dict[str, UUID]:
    engine = session.bind.sync_engine if session.bind is not None else None
    if engine is None:
        return {}
    known = _ACCOUNT_IDS.get(engine)
    if known is None:
        known = _ACCOUNT_IDS[engine] = {}
    return known


class SqlaLedger:
    """People's accounts (those with a floor) keep their balance on their row. An account a
    posting takes money from is locked, in key order, checked and moved by a relative update. An
    account it only credits cannot go below zero: it is not locked then, and its credit is added
    by one relative update when the transaction commits (``flush_changes``), so the row lock
    that update takes is held for the commit alone — every sale of one tutor credits the same
    pending account. The platform's own accounts (clearing, revenue, payouts: they may go
    negative) are neither locked nor updated: their balance is the sum of their lines, derived
    when read (``platform_balance`` and the trial balance)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._ids: dict[str, UUID] = {}
        # Balances of people's accounts locked in this transaction, as its postings left them:
        # nobody else can move them until it ends, so they are not read twice.
        self._locked: dict[str, int] = {}
        # Credits to people's accounts not locked in this transaction, written at commit.
        self._deferred: dict[str, int] = {}
        # Entries whose row ``claim`` wrote: ``append`` adds their lines.
        self._claimed: set[UUID] = set()

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

    async def claim(self, entry: JournalEntry) -> JournalEntry | None:
        if await self._insert_entry(entry, on_conflict_do_nothing=True):
            self._claimed.add(entry.id)
            return None
        first = await self.find(entry.key)
        assert first is not None, entry.key  # entries are never deleted
        return first

    async def _insert_entry(self, entry: JournalEntry, *, on_conflict_do_nothing: bool) -> bool:
        """The entry's row; with ``on_conflict_do_nothing``, False when its key was taken."""
        values = {
            "id": entry.id,
            "key": entry.key,
            "kind": entry.kind.value,
            "posted_at": entry.posted_at,
            "memo": entry.memo,
            "reference_id": entry.reference_id,
            "created_at": entry.posted_at,
            "updated_at": entry.posted_at,
        }
        stmt: Any = _INSERT_ENTRY
        if on_conflict_do_nothing:
            dialect = self.session.bind.dialect.name if self.session.bind is not None else ""
            stmt = _CLAIM_ENTRY.get(dialect)
            if stmt is None:
                stmt = _CLAIM_ENTRY[dialect] = dialect_insert(
                    self.session, JournalEntryRow.__table__
                ).on_conflict_do_nothing(index_elements=["key"])
        try:
            result = await self.session.execute(stmt, values)
        except IntegrityError as error:
            raise domain_error_for(error, CONSTRAINT_ERRORS) from error
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def balances(
        self, accounts: Iterable[Account], *, for_update: bool = False
    ) -> dict[Account, int]:
        by_key = {account_key(account): account for account in accounts}
        held = {key: account for key, account in by_key.items() if account.kind.never_negative}
        found = {account: 0 for account in by_key.values()}
        if for_update:
            await self._lock(held)
            found |= {account: self._locked[key] for key, account in held.items()}
        elif held:
            stmt = select(LedgerAccountRow.key, LedgerAccountRow.balance).where(
                LedgerAccountRow.key.in_(sorted(held))
            )
            for key, balance in await self.session.execute(stmt):
                found[held[key]] = self._locked.get(key, balance + self._deferred.get(key, 0))
        for key, account in by_key.items():
            if key not in held:
                found[account] = await self.platform_balance(account)
        return found

    async def platform_balance(self, account: Account) -> int:
        """An account without a floor: the sum of its lines (nothing stores it)."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(JournalLineRow.amount), 0))
            .join(LedgerAccountRow, LedgerAccountRow.id == JournalLineRow.account_id)
            .where(LedgerAccountRow.key == account_key(account))
        )
        return int(total or 0)

    async def _lock(self, held: dict[str, Account]) -> None:
        """Locks the people's accounts not locked yet, in key order (every posting takes them in
        that one order, so none deadlocks), creating those that do not exist."""
        wanted = sorted(key for key in held if key not in self._locked)
        if not wanted:
            return
        await self._select_locked(wanted)
        missing = [key for key in wanted if key not in self._locked]
        if missing:
            await self._create({key: held[key] for key in missing})
            await self._select_locked(missing)
        # Credits this transaction deferred to a row it now holds are written at once.
        now_held = {key: self._deferred.pop(key) for key in wanted if key in self._deferred}
        if now_held:
            await self._move({self._ids[key]: amount for key, amount in now_held.items()})
            for key, amount in now_held.items():
                self._locked[key] += amount

    async def _select_locked(self, keys: list[str]) -> None:
        for key, account_id, balance in await self.session.execute(_LOCK_ACCOUNTS, {"keys": keys}):
            self._ids[key] = account_id
            self._locked[key] = balance

    async def _unlocked_ids(self, accounts: dict[str, Account]) -> None:
        """The ids of accounts this transaction does not lock, read without a lock (an account
        row is made once, never deleted, and its id never changes: ids another transaction
        committed are remembered for the database, so a tutor's sales after the first read
        none), creating those that do not exist."""
        known = _committed_account_ids(self.session)
        for key in accounts:
            if key not in self._ids and key in known:
                self._ids[key] = known[key]
        wanted = sorted(key for key in accounts if key not in self._ids)
        for attempt in range(2):
            if not wanted:
                return
            found = await self.session.execute(_ACCOUNT_IDS_BY_KEY, {"keys": wanted})
            for key, account_id in found:
                self._ids[key] = account_id
                if attempt == 0:  # not one this transaction made: it may yet roll back
                    known[key] = account_id
            wanted = [key for key in wanted if key not in self._ids]
            if wanted and attempt == 0:
                await self._create({key: accounts[key] for key in wanted})

    async def _create(self, by_key: dict[str, Account]) -> None:
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
            for key in sorted(by_key)
        ]
        stmt = dialect_insert(self.session, LedgerAccountRow).values(rows)
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))

    async def append(self, entry: JournalEntry) -> None:
        by_key = {account_key(line.account): line.account for line in entry.lines}
        debited = {account_key(account) for account in entry.debited_accounts}
        await self._lock(
            {k: a for k, a in by_key.items() if a.kind.never_negative and k in debited}
        )
        await self._unlocked_ids({k: a for k, a in by_key.items() if k not in self._locked})
        if entry.id not in self._claimed:
            await self._insert_entry(entry, on_conflict_do_nothing=False)
        await self.session.execute(
            _INSERT_LINES,
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
            ],
        )
        moves: dict[UUID, int] = {}
        for line in entry.lines:
            key = account_key(line.account)
            if key in self._locked:
                moves[self._ids[key]] = moves.get(self._ids[key], 0) + line.amount
                self._locked[key] += line.amount
            elif line.account.kind.never_negative:
                self._deferred[key] = self._deferred.get(key, 0) + line.amount
        await self._move(moves)

    async def flush_changes(self) -> None:
        """Entries and held balances are written as they are posted."""

    async def flush_shared_rows(self) -> None:
        """The deferred credits, in key order (as every lock is taken), last of all."""
        if self._deferred:
            keys = sorted(self._deferred)
            await self._move({self._ids[key]: self._deferred[key] for key in keys})
            self._deferred = {}

    def pull_events(self) -> list[DomainEvent]:
        return []

    async def _move(self, moves: dict[UUID, int]) -> None:
        """Adds to people's balances, in the order given: one statement (an executemany) for
        every account, whatever their number."""
        if not moves:
            return
        await self.session.execute(
            _MOVE_BALANCE,
            [{"account_id": account_id, "amount": amount} for account_id, amount in moves.items()],
        )


# ---- provider events, idempotency keys, payout accounts ---------------------------------------
class SqlaProviderEventLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, event_id: str, event_type: str, received_at: datetime) -> bool:
        stmt = dialect_insert(self.session, ProviderEventRow).values(
            id=event_id, type=event_type[:100], received_at=received_at
        )
        result = await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlaIdempotencyStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def begin(self, claim: IdempotencyClaim, result_type: type[T], now: datetime) -> T | None:
        stmt = dialect_insert(self.session, IdempotencyKeyRow).values(
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
        stmt = dialect_insert(self.session, PayoutAccountRow).values(
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
    def tracking(self) -> list[ChangeTracker]:
        return [self.orders, self.refunds, self.withdrawals, self.ledger]
