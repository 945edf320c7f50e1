"""Orders: what a student buys, how it is paid, and what was given back.

An order is also its payment: ``pending → succeeded | failed | expired`` while the provider
collects the money, then ``succeeded → partially_refunded → refunded`` as refunds go out.
A provider's confirmed capture wins over an earlier declined attempt (Checkout lets a buyer try
another card in the same session), so ``failed → succeeded`` is allowed; nothing leaves
``expired`` or ``refunded``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from elearn.domain.billing.fees import FeeSplit, Split
from elearn.domain.shared.errors import IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents
from elearn.domain.shared.money import Money

MAX_REASON = 500


class OrderStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class ItemKind(StrEnum):
    COURSE = "course"
    WALLET_TOPUP = "wallet_topup"
    BOOKING = "booking"  # a 1:1 lesson


class PaymentMethod(StrEnum):
    CARD = "card"
    CREDITS = "credits"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class InvalidRefund(RuleViolation):
    code = "invalid-refund"


_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.SUCCEEDED, OrderStatus.FAILED, OrderStatus.EXPIRED}
    ),
    OrderStatus.FAILED: frozenset({OrderStatus.SUCCEEDED}),
    OrderStatus.SUCCEEDED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
}
PAID = frozenset({OrderStatus.SUCCEEDED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderPaid(DomainEvent):
    """The money for an order is in (by card or from the wallet): the buyer gets a receipt."""

    event_type: ClassVar[str] = "billing.order_paid"
    order_id: UUID
    buyer_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class PaymentRefunded(DomainEvent):
    """Money went back to the buyer on an order (to their card or their credits)."""

    event_type: ClassVar[str] = "billing.payment_refunded"
    refund_id: UUID
    order_id: UUID
    buyer_id: UUID
    amount: int
    currency: str


@dataclass(kw_only=True, eq=False)
class Order(RecordsEvents):
    id: UUID
    buyer_id: UUID
    kind: ItemKind
    method: PaymentMethod
    amount: Money
    created_at: datetime
    # The split in force when the order was made: a later change of the rate rewrites nothing.
    platform_bps: int
    course_id: UUID | None = None
    booking_id: UUID | None = None
    payee_id: UUID | None = None  # the tutor paid for it; None for a wallet top-up
    status: OrderStatus = OrderStatus.PENDING
    provider_session_id: str | None = None
    checkout_url: str | None = None
    provider_payment_id: str | None = None
    paid_at: datetime | None = None
    closed_at: datetime | None = None  # failed or expired
    failure_reason: str | None = None
    refunded_amount: int = 0
    earnings_released_at: datetime | None = None
    # Where the payment page sends the buyer back (the shop's own pages); None: the API's order.
    success_url: str | None = None
    cancel_url: str | None = None

    def __post_init__(self) -> None:
        if not self.amount.is_positive:
            raise RuleViolation("an order is for a positive amount")
        FeeSplit(self.platform_bps)
        if (self.kind is ItemKind.COURSE) != (self.course_id is not None):
            raise RuleViolation("a course order names its course, and only it does")
        if (self.kind is ItemKind.BOOKING) != (self.booking_id is not None):
            raise RuleViolation("a booking order names its booking, and only it does")

    # ---- reading -------------------------------------------------------------------------------
    @property
    def fees(self) -> FeeSplit:
        return FeeSplit(self.platform_bps)

    @property
    def split(self) -> Split:
        """What the platform and the tutor get of the sale; a top-up is nobody's earning."""
        if self.payee_id is None:
            return Split(platform=self.amount, tutor=Money(0, self.amount.currency))
        return self.fees.split(self.amount)

    @property
    def is_paid(self) -> bool:
        return self.status in PAID

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_amount, self.amount.currency)

    @property
    def refundable(self) -> Money:
        return self.amount - self.refunded if self.is_paid else Money(0, self.amount.currency)

    def refund_split(self, amount: Money, *, already: Money | None = None) -> Split:
        """The platform's and the tutor's part of refunding ``amount`` after ``already`` (what
        was refunded before; by default what this order records). Taken as the difference of
        cumulative splits, so partial refunds that add up to the whole give back exactly the
        sale's split, to the unit."""
        if self.payee_id is None:
            return Split(platform=amount, tutor=Money(0, amount.currency))
        before_total = self.refunded if already is None else already
        before = self.fees.tutor_share(before_total)
        after = self.fees.tutor_share(before_total + amount)
        tutor = after - before
        return Split(platform=amount - tutor, tutor=tutor)

    # ---- moves ---------------------------------------------------------------------------------
    def _move(self, to: OrderStatus, action: str) -> None:
        if to not in _MOVES.get(self.status, frozenset()):
            raise IllegalTransition("payment", self.status.value, action)
        self.status = to

    def checkout_opened(self, session_id: str, url: str) -> None:
        self.provider_session_id = session_id
        self.checkout_url = url

    def succeed(self, now: datetime, *, payment_id: str | None, event_id: UUID) -> None:
        self._move(OrderStatus.SUCCEEDED, "complete")
        self.paid_at = now
        self.closed_at = None
        self.failure_reason = None
        if payment_id:
            self.provider_payment_id = payment_id
        self.record(
            OrderPaid(event_id=event_id, occurred_at=now, order_id=self.id, buyer_id=self.buyer_id)
        )

    def fail(self, now: datetime, reason: str) -> None:
        self._move(OrderStatus.FAILED, "fail")
        self.closed_at = now
        self.failure_reason = reason[:MAX_REASON]

    def expire(self, now: datetime) -> None:
        self._move(OrderStatus.EXPIRED, "expire")
        self.closed_at = now

    def check_refund(self, amount: Money) -> None:
        if not self.is_paid or self.status is OrderStatus.REFUNDED:
            raise IllegalTransition("payment", self.status.value, "refund")
        if amount.currency != self.amount.currency or not amount.is_positive:
            raise InvalidRefund(f"a refund is a positive amount in {self.amount.currency}")
        if self.refundable < amount:
            raise InvalidRefund(
                f"at most {self.refundable.amount} minor units are left to refund"
                if self.refundable.is_positive
                else "this payment is refunded in full already"
            )

    def record_refund(self, amount: Money) -> None:
        self.check_refund(amount)
        self.refunded_amount += amount.amount
        self._move(
            OrderStatus.REFUNDED
            if self.refunded_amount == self.amount.amount
            else OrderStatus.PARTIALLY_REFUNDED,
            "refund",
        )

    def release_earnings(self, now: datetime) -> None:
        self.earnings_released_at = now


@dataclass(kw_only=True, eq=False)
class Refund:
    """Money given back on an order: asked by an admin (``requested_by``) or reported by the
    provider (a refund made in its dashboard)."""

    id: UUID
    order_id: UUID
    amount: Money
    reason: str
    created_at: datetime
    requested_by: UUID | None = None
    status: RefundStatus = RefundStatus.PENDING
    provider_refund_id: str | None = None
    completed_at: datetime | None = None
    # The tutor's part that their balances could not give back, borne by platform revenue.
    platform_covered: int = 0
    failure_reason: str | None = None

    def checkout_opened(self, session_id: str, url: str) -> None:
        self.provider_session_id = session_id
        self.checkout_url = url

    def succeed(self, now: datetime, *, provider_refund_id: str | None, covered: int) -> None:
        if self.status is not RefundStatus.PENDING:
            raise IllegalTransition("refund", self.status.value, "complete")
        self.status = RefundStatus.SUCCEEDED
        self.completed_at = now
        self.provider_refund_id = provider_refund_id or self.provider_refund_id
        self.platform_covered = covered

    def fail(self, now: datetime, reason: str) -> None:
        if self.status is not RefundStatus.PENDING:
            raise IllegalTransition("refund", self.status.value, "fail")
        self.status = RefundStatus.FAILED
        self.completed_at = now
        self.failure_reason = reason[:MAX_REASON]
