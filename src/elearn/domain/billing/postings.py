"""What each money movement posts: the accounting of billing, one function per business event.

Each returns the journal lines; the caller gives the entry its idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.domain.billing.fees import Split
from elearn.domain.billing.ledger import Account, AccountKind, Line, entry_lines
from elearn.domain.shared.money import Money

K = AccountKind


def clearing(currency: str) -> Account:
    return Account.platform(K.PROVIDER_CLEARING, currency)


def revenue(currency: str) -> Account:
    return Account.platform(K.PLATFORM_REVENUE, currency)


def wallet(owner_id: UUID, currency: str) -> Account:
    return Account.of(K.STUDENT_WALLET, owner_id, currency)


def tutor_account(kind: AccountKind, tutor_id: UUID, currency: str) -> Account:
    return Account.of(kind, tutor_id, currency)


def sale(source: Account, split: Split, tutor_id: UUID | None) -> tuple[Line, ...]:
    """A sale paid from ``source`` (provider clearing for a card, the buyer's wallet for
    credits): the platform's fee to revenue, the tutor's share to their pending earnings. A sale
    without a tutor (none to pay) keeps it all as revenue."""
    gross = split.platform + split.tutor
    currency = gross.currency
    if tutor_id is None:
        return entry_lines([(source, -gross.amount), (revenue(currency), gross.amount)])
    return entry_lines(
        [
            (source, -gross.amount),
            (revenue(currency), split.platform.amount),
            (tutor_account(K.TUTOR_PENDING, tutor_id, currency), split.tutor.amount),
        ]
    )


def topup(buyer_id: UUID, amount: Money) -> tuple[Line, ...]:
    return entry_lines(
        [
            (clearing(amount.currency), -amount.amount),
            (wallet(buyer_id, amount.currency), amount.amount),
        ]
    )


@dataclass(frozen=True, slots=True)
class RefundPosting:
    lines: tuple[Line, ...]
    from_pending: int
    from_available: int
    platform_covered: int  # the tutor's part their balances could not give back


def refund(
    *,
    destination: Account,
    amount: Money,
    platform_back: Money,
    tutor_back: Money,
    tutor_id: UUID | None,
    pending: int,
    available: int,
) -> RefundPosting:
    """Gives ``amount`` back to ``destination`` (provider clearing for a card, the wallet for
    credits). The platform returns its fee part; the tutor's part comes from their pending
    earnings first, then from available; what those cannot cover, platform revenue bears."""
    currency = amount.currency
    if tutor_id is None:  # nobody's balance to take from: the platform gives it all back
        pending = available = 0
    from_pending = min(max(pending, 0), tutor_back.amount)
    from_available = min(max(available, 0), tutor_back.amount - from_pending)
    covered = tutor_back.amount - from_pending - from_available
    movements: list[tuple[Account, int]] = [
        (destination, amount.amount),
        (revenue(currency), -platform_back.amount - covered),
    ]
    if tutor_id is not None:
        movements += [
            (tutor_account(K.TUTOR_PENDING, tutor_id, currency), -from_pending),
            (tutor_account(K.TUTOR_AVAILABLE, tutor_id, currency), -from_available),
        ]
    return RefundPosting(entry_lines(movements), from_pending, from_available, covered)


def topup_refund(buyer_id: UUID, amount: Money, *, platform_covers: int = 0) -> tuple[Line, ...]:
    """Credits back to the card they came from. ``platform_covers`` is the part the wallet no
    longer holds when the provider has refunded already (the credits were spent): platform
    revenue bears it, as it bears a tutor's shortfall."""
    currency = amount.currency
    return entry_lines(
        [
            (wallet(buyer_id, currency), -(amount.amount - platform_covers)),
            (revenue(currency), -platform_covers),
            (clearing(currency), amount.amount),
        ]
    )


def move(
    tutor_id: UUID, amount: Money, source: AccountKind, target: AccountKind
) -> tuple[Line, ...]:
    """Between two of a tutor's own accounts: pending → available (earnings cleared),
    available → hold (withdrawal requested), hold → available (rejected or failed)."""
    return entry_lines(
        [
            (tutor_account(source, tutor_id, amount.currency), -amount.amount),
            (tutor_account(target, tutor_id, amount.currency), amount.amount),
        ]
    )


def payout(tutor_id: UUID, amount: Money) -> tuple[Line, ...]:
    return entry_lines(
        [
            (tutor_account(K.TUTOR_HOLD, tutor_id, amount.currency), -amount.amount),
            (Account.platform(K.PAYOUTS, amount.currency), amount.amount),
        ]
    )
