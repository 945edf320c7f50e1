"""The double-entry ledger: accounts, journal entries and the rules every posting keeps.

Sign convention: a line's amount is added to its account's balance. Money a person or the
platform holds with us is a positive balance (a wallet of 50 USD is +5000); the two external
accounts mirror what entered and left: ``provider_clearing`` goes negative by what the payment
provider collected for us, ``payouts`` goes positive by what was sent to tutors. Every entry sums
to zero per currency, so the whole ledger does too (the trial balance).

Accounts that hold other people's money (student wallets and the tutor balances) never go below
zero. Platform revenue may: a refund the tutor's balance cannot cover is a loss the platform
bears, recorded as such, not a debt invented on someone's account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.money import Money

MAX_KEY = 200


class UnbalancedEntry(RuleViolation):
    code = "unbalanced-entry"


class InsufficientFunds(RuleViolation):
    code = "insufficient-funds"

    def __init__(self, message: str, *, account: Account | None = None) -> None:
        super().__init__(message)
        self.account = account


class AccountKind(StrEnum):
    PROVIDER_CLEARING = "provider_clearing"
    PLATFORM_REVENUE = "platform_revenue"
    STUDENT_WALLET = "student_wallet"
    TUTOR_PENDING = "tutor_pending"
    TUTOR_AVAILABLE = "tutor_available"
    TUTOR_HOLD = "tutor_hold"
    PAYOUTS = "payouts"

    @property
    def has_owner(self) -> bool:
        return self in _OWNED

    @property
    def never_negative(self) -> bool:
        """Holds a person's money: no posting may take it below zero."""
        return self in _OWNED


_OWNED = frozenset(
    {
        AccountKind.STUDENT_WALLET,
        AccountKind.TUTOR_PENDING,
        AccountKind.TUTOR_AVAILABLE,
        AccountKind.TUTOR_HOLD,
    }
)


class EntryKind(StrEnum):
    CARD_PAYMENT = "card_payment"
    WALLET_TOPUP = "wallet_topup"
    CREDIT_PURCHASE = "credit_purchase"
    REFUND = "refund"
    EARNINGS_RELEASE = "earnings_release"
    WITHDRAWAL_HOLD = "withdrawal_hold"
    WITHDRAWAL_RELEASE = "withdrawal_release"
    PAYOUT = "payout"


@dataclass(frozen=True, slots=True, order=True)
class Account:
    kind: AccountKind
    currency: str
    owner_id: UUID | None = None

    def __post_init__(self) -> None:
        Money(0, self.currency)  # validates the code
        if self.kind.has_owner != (self.owner_id is not None):
            raise RuleViolation(
                f"a {self.kind} account "
                + ("belongs to one person" if self.kind.has_owner else "belongs to the platform")
            )

    @classmethod
    def platform(cls, kind: AccountKind, currency: str) -> Account:
        return cls(kind, currency)

    @classmethod
    def of(cls, kind: AccountKind, owner_id: UUID, currency: str) -> Account:
        return cls(kind, currency, owner_id)


@dataclass(frozen=True, slots=True)
class Line:
    account: Account
    amount: int  # minor units of the account's currency, signed

    @property
    def money(self) -> Money:
        return Money(self.amount, self.account.currency)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """An append-only posting. ``key`` makes it idempotent: recording a key that is already in
    the ledger changes nothing and answers the entry first recorded under it."""

    id: UUID
    key: str
    kind: EntryKind
    lines: tuple[Line, ...]
    posted_at: datetime
    memo: str = ""
    reference_id: UUID | None = None

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > MAX_KEY:
            raise UnbalancedEntry(f"an entry's key is 1 to {MAX_KEY} characters")
        if len(self.lines) < 2:
            raise UnbalancedEntry("an entry has at least two lines")
        if len({line.account for line in self.lines}) != len(self.lines):
            raise UnbalancedEntry("an entry names each account once")
        totals: dict[str, int] = defaultdict(int)
        for line in self.lines:
            if isinstance(line.amount, bool) or not isinstance(line.amount, int):
                raise UnbalancedEntry("line amounts are whole minor units")
            if line.amount == 0:
                raise UnbalancedEntry("a line moves a non-zero amount")
            totals[line.account.currency] += line.amount
        unbalanced = sorted(currency for currency, total in totals.items() if total)
        if unbalanced:
            raise UnbalancedEntry(f"the entry does not sum to zero in {', '.join(unbalanced)}")

    @property
    def accounts(self) -> list[Account]:
        return sorted(line.account for line in self.lines)

    def amount_for(self, account: Account) -> int:
        return sum(line.amount for line in self.lines if line.account == account)

    @property
    def debited_accounts(self) -> list[Account]:
        """The accounts this entry takes money from: the only ones it could take below zero, so
        the only balances a posting must read (and hold) before it is made."""
        return sorted(line.account for line in self.lines if line.amount < 0)


def entry_lines(movements: Iterable[tuple[Account, int]]) -> tuple[Line, ...]:
    """Lines from (account, amount) pairs: amounts on one account are summed and zero lines
    dropped, so builders can state each movement plainly."""
    totals: dict[Account, int] = defaultdict(int)
    for account, amount in movements:
        totals[account] += amount
    return tuple(Line(account, amount) for account, amount in totals.items() if amount)


def balances_after(entry: JournalEntry, balances: Mapping[Account, int]) -> dict[Account, int]:
    """The balances of the entry's accounts once it is posted; refuses a posting that would take
    an account holding someone's money below zero."""
    after = {}
    for line in entry.lines:
        new = balances.get(line.account, 0) + line.amount
        if new < 0 and line.account.kind.never_negative:
            raise InsufficientFunds(
                f"the {line.account.kind.replace('_', ' ')} holds too little for this",
                account=line.account,
            )
        after[line.account] = new
    return after


@dataclass
class Ledger:
    """The whole ledger in memory: every rule of posting in one place. The database-backed
    ledger applies the same ``balances_after`` to locked balances; this one is the model that
    property tests drive."""

    entries: dict[str, JournalEntry] = field(default_factory=dict)
    balances: dict[Account, int] = field(default_factory=lambda: defaultdict(int))

    def record(self, entry: JournalEntry) -> JournalEntry:
        first = self.entries.get(entry.key)
        if first is not None:
            return first
        self.balances.update(balances_after(entry, self.balances))
        self.entries[entry.key] = entry
        return entry

    def balance(self, account: Account) -> int:
        return self.balances.get(account, 0)

    def trial_balance(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for account, balance in self.balances.items():
            totals[account.currency] += balance
        return dict(totals)
