"""What billing use cases need: the payment gateway, the provider's events, the stores of the
write side and the read-side queries shaped like the API's answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from elearn.application.errors import ApplicationError
from elearn.application.links import FrontEndLinks
from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.billing.ledger import Account, JournalEntry
from elearn.domain.billing.order import Order, OrderStatus, Refund, RefundStatus
from elearn.domain.billing.withdrawal import Withdrawal, WithdrawalStatus
from elearn.domain.shared.money import Currency, Money

T = TypeVar("T")


# ---- the payment gateway ---------------------------------------------------------------------
class GatewayError(Exception):
    """The payment provider did not do what was asked."""


class GatewayUnavailable(GatewayError):
    """Network trouble, a timeout or a provider error after the client's own retries: the same
    call (with the same idempotency key) may be tried again later."""


class GatewayRejected(GatewayError):
    """The provider refused for good (a bad account, an amount it will not move): retrying the
    same call cannot help."""


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    order_id: UUID
    amount: Money
    description: str
    buyer_email: str
    success_url: str
    cancel_url: str

    @property
    def idempotency_key(self) -> str:
        return f"checkout:{self.order_id}"


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    session_id: str
    url: str


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    refund_id: str
    status: str  # "succeeded", "pending" (the provider finishes it later) or "failed"


class SandboxCheckoutLinks(Protocol):
    """The sandbox's stand-in for a provider's unguessable checkout address: a signed link bound
    to one order, that expires some time after the order was made. The same order always gets
    the same token, so a checkout replayed under its Idempotency-Key answers the same link."""

    def link_token(self, order_id: UUID) -> str:
        """The token of the order's checkout page."""
        ...

    def verify(self, order_id: UUID, token: str | None, *, order_created_at: datetime) -> bool:
        """Whether ``token`` is this very order's and the link has not expired."""
        ...


class PaymentGateway(Protocol):
    """One-time payments by a hosted checkout, refunds, and payouts to tutors' connected
    accounts. Every call that creates something takes an idempotency key built from our own ids,
    so a retried call never creates a second object."""

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...

    async def refund(
        self, *, payment_id: str, amount: Money, idempotency_key: str, order_id: UUID
    ) -> ProviderRefund: ...

    async def create_payout_account(self, *, user_id: UUID, email: str) -> str:
        """A connected account for the tutor; its id."""
        ...

    async def onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        """Where the tutor gives the provider what it needs to pay them."""
        ...

    async def find_transfer(self, *, group: str) -> str | None:
        """The id of a transfer made earlier for ``group`` (an earlier attempt may have paid and
        died before recording it), or None."""
        ...

    async def transfer(
        self, *, destination: str, amount: Money, idempotency_key: str, group: str
    ) -> str:
        """Sends ``amount`` to the connected account ``destination``; the transfer's id."""
        ...

    async def aclose(self) -> None:
        """Lets go of connections (the process or its event loop is ending)."""
        ...


# ---- events from the payment provider ---------------------------------------------------------
class InvalidWebhook(ApplicationError):
    """A webhook whose signature, timestamp or body cannot be trusted (HTTP 400)."""

    code = "invalid-webhook"


CHECKOUT_COMPLETED = "checkout.session.completed"
CHECKOUT_EXPIRED = "checkout.session.expired"
# A delayed payment method (SEPA, ACH) settling after the session completed.
CHECKOUT_ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
CHECKOUT_ASYNC_FAILED = "checkout.session.async_payment_failed"
PAYMENT_SUCCEEDED = "payment_intent.succeeded"
PAYMENT_FAILED = "payment_intent.payment_failed"
CHARGE_REFUNDED = "charge.refunded"


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A verified event from the payment provider, reduced to what billing reads from it."""

    id: str
    type: str
    order_id: UUID | None = None
    session_id: str | None = None
    payment_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    amount_refunded: int | None = None  # charge.refunded: everything refunded so far
    failure: str | None = None
    # Whether the money is in: a checkout completed with a delayed method is not paid yet.
    paid: bool = True


class WebhookVerifier(Protocol):
    def verify(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """The event the payload carries; raises InvalidWebhook if it cannot be trusted."""
        ...


class Currencies(Protocol):
    def currency(self, code: str) -> Currency | None:
        """The currency with its exponent, if it is in circulation."""
        ...


# ---- write side ------------------------------------------------------------------------------
class OrderRepository(Protocol):
    async def add(self, order: Order) -> None: ...

    async def get(self, order_id: UUID, *, for_update: bool = False) -> Order | None: ...

    async def by_payment_id(self, payment_id: str, *, for_update: bool = False) -> Order | None: ...

    async def due_for_release(self, paid_before: datetime, *, limit: int) -> list[Order]:
        """Paid course orders whose tutor share is still pending and that were paid before
        ``paid_before``, oldest first, locked (others skip them)."""
        ...


class RefundRepository(Protocol):
    async def add(self, refund: Refund) -> None: ...

    async def get(self, refund_id: UUID, *, for_update: bool = False) -> Refund | None: ...

    async def pending_amount(self, order_id: UUID) -> int:
        """What pending refunds of the order are about to give back."""
        ...

    async def stale_pending(self, created_before: datetime, *, limit: int) -> list[Refund]:
        """Card refunds still pending since before ``created_before`` (the provider call never
        came back), oldest first."""
        ...


class WithdrawalRepository(Protocol):
    async def add(self, withdrawal: Withdrawal) -> None: ...

    async def get(self, withdrawal_id: UUID, *, for_update: bool = False) -> Withdrawal | None: ...

    async def open_for(self, tutor_id: UUID, currency: str) -> Withdrawal | None: ...


class LedgerRepository(Protocol):
    async def find(self, key: str) -> JournalEntry | None: ...

    async def claim(self, entry: JournalEntry) -> JournalEntry | None:
        """Records the entry under its key in this transaction (None; ``append`` then adds its
        lines), or answers the entry recorded under that key before, storing nothing. A claim
        of a key another transaction holds waits for that one to end, then answers its entry."""
        ...

    async def balances(
        self, accounts: Iterable[Account], *, for_update: bool = False
    ) -> dict[Account, int]:
        """Current balances (0 for an account never posted to). ``for_update`` locks people's
        accounts (those with a floor) until the transaction ends, in one global order so that
        postings never deadlock; the platform's accounts are never locked, their balance is the
        sum of their lines."""
        ...

    async def append(self, entry: JournalEntry) -> None:
        """Stores the entry (unless claimed) with its lines and moves its people's balances (the
        platform's are derived from the lines); the caller has checked it."""
        ...


class ProviderEventLog(Protocol):
    async def claim(self, event_id: str, event_type: str, received_at: datetime) -> bool:
        """Records the event as handled in this transaction; False if it was handled before
        (then the caller does nothing). Concurrent claims of one id: one wins."""
        ...


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    user_id: UUID
    scope: str
    key: str
    fingerprint: str


class IdempotencyKeyReused(Exception):
    """The key came with a different request than the first time."""


class IdempotencyStore(Protocol):
    async def begin(self, claim: IdempotencyClaim, result_type: type[T], now: datetime) -> T | None:
        """Takes the key for this transaction, or answers the result stored under it. A
        concurrent request with the same key waits for the first one's transaction and then sees
        its result; a rolled-back first request leaves the key free."""
        ...

    async def complete(self, claim: IdempotencyClaim, result: object) -> None: ...


class PayoutAccountRepository(Protocol):
    async def get(self, user_id: UUID) -> str | None: ...

    async def put(self, user_id: UUID, account_id: str, now: datetime) -> None: ...


class BillingStore(Protocol):
    """The billing repositories of one unit of work (``uow.billing``).

    Properties, not attributes: read-only members let an implementation hold its own
    repository types, where a settable attribute would have to be exactly the port.
    """

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def refunds(self) -> RefundRepository: ...

    @property
    def withdrawals(self) -> WithdrawalRepository: ...

    @property
    def ledger(self) -> LedgerRepository: ...

    @property
    def provider_events(self) -> ProviderEventLog: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def payout_accounts(self) -> PayoutAccountRepository: ...


# ---- read side -------------------------------------------------------------------------------
# Every amount is Money, the API's one shape for money: ``{"amount": 4999, "currency": "USD"}``.
@dataclass(frozen=True, slots=True)
class LedgerLineView:
    entry_id: UUID
    kind: str  # what the entry was: card_payment, refund, payout, ...
    account: str  # which of the owner's accounts the line moved
    amount: Money  # signed: + in, - out
    posted_at: datetime
    memo: str
    reference_id: UUID | None


@dataclass(frozen=True, slots=True)
class EarningsView:
    """A tutor's earnings in one currency (every amount is in it)."""

    pending: Money
    available: Money
    on_hold: Money
    total_earned: Money  # their share of every sale, less what refunds took back of it
    paid_out: Money


@dataclass(frozen=True, slots=True)
class MyOrderView:
    """An order as its buyer sees it: what they paid and got back, not how it was shared."""

    id: UUID
    kind: str
    method: str
    status: OrderStatus
    amount: Money
    refunded: Money
    course_id: UUID | None
    booking_id: UUID | None
    created_at: datetime
    paid_at: datetime | None
    provider_payment_id: str | None  # the payment's reference at the provider (card statements)
    failure_reason: str | None


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as staff see it: with the split of the sale and whom it pays."""

    id: UUID
    buyer_id: UUID
    kind: str
    method: str
    status: OrderStatus
    amount: Money
    refunded: Money
    course_id: UUID | None
    booking_id: UUID | None
    payee_id: UUID | None
    # The sale's split when paid: the platform's fee and the tutor's share. A wallet top-up has
    # no fee (the credit is the buyer's) and no tutor: 0 and null.
    platform_fee: Money
    tutor_share: Money | None
    created_at: datetime
    paid_at: datetime | None
    provider_payment_id: str | None
    failure_reason: str | None

    def for_buyer(self) -> MyOrderView:
        return MyOrderView(
            id=self.id,
            kind=self.kind,
            method=self.method,
            status=self.status,
            amount=self.amount,
            refunded=self.refunded,
            course_id=self.course_id,
            booking_id=self.booking_id,
            created_at=self.created_at,
            paid_at=self.paid_at,
            provider_payment_id=self.provider_payment_id,
            failure_reason=self.failure_reason,
        )


@dataclass(frozen=True, slots=True)
class RefundView:
    id: UUID
    order_id: UUID
    amount: Money
    status: RefundStatus
    reason: str
    requested_by: UUID | None
    platform_covered: Money
    created_at: datetime
    completed_at: datetime | None
    failure_reason: str | None


@dataclass(frozen=True, slots=True)
class WithdrawalView:
    id: UUID
    tutor_id: UUID
    amount: Money
    status: WithdrawalStatus
    requested_at: datetime
    decided_at: datetime | None
    reason: str | None
    paid_at: datetime | None
    transfer_id: str | None
    failure_reason: str | None


@dataclass(frozen=True, slots=True)
class AccountBalance:
    kind: str
    owner_id: UUID | None
    balance: Money


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    total: Money
    balanced: bool


@dataclass(frozen=True, slots=True)
class TrialBalance:
    accounts: list[AccountBalance]
    totals: list[CurrencyTotal]
    balanced: bool


@dataclass(frozen=True, slots=True)
class OrderFilters:
    status: OrderStatus | None = None
    buyer_id: UUID | None = None
    kind: str | None = None
    method: str | None = None
    paid_only: bool = False


@dataclass(frozen=True, slots=True)
class BillingPolicy:
    platform_bps: int = 1500
    clearing_days: int = 7
    # The least a tutor may withdraw, in major units of its currency (10 = 10.00 USD, 10 JPY).
    minimum_withdrawal_major: int = 10
    max_topup_major: int = 1000
    public_url: str = "http://127.0.0.1:8000"
    default_currency: str = "USD"
    links: FrontEndLinks = field(default_factory=FrontEndLinks)
    # Origins (scheme://host[:port]) a checkout may send the buyer back to.
    return_origins: tuple[str, ...] = ()


class BillingQueries(Protocol):
    async def wallet(self, user_id: UUID) -> list[Money]: ...

    async def account_lines(
        self, accounts_of: UUID, kinds: tuple[str, ...], *, limit: int, cursor: str | None
    ) -> Page[LedgerLineView]: ...

    async def earnings(self, tutor_id: UUID) -> list[EarningsView]: ...

    async def order(self, order_id: UUID) -> OrderView | None: ...

    async def orders(
        self, filters: OrderFilters, *, limit: int, cursor: str | None
    ) -> Page[OrderView]: ...

    async def refunds(
        self, order_id: UUID | None, status: RefundStatus | None, *, limit: int, cursor: str | None
    ) -> Page[RefundView]: ...

    async def refund(self, refund_id: UUID) -> RefundView | None: ...

    async def withdrawal(self, withdrawal_id: UUID) -> WithdrawalView | None: ...

    async def withdrawals(
        self,
        tutor_id: UUID | None,
        status: WithdrawalStatus | None,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[WithdrawalView]: ...

    async def trial_balance(self) -> TrialBalance: ...


# ---- what other contexts see of an order they fulfil (through ``billing/api.py``) -------------
@dataclass(frozen=True, slots=True)
class PaidOrder:
    id: UUID
    buyer_id: UUID
    amount: Money
    booking_id: UUID | None


@dataclass(frozen=True, slots=True)
class NotFulfilled:
    """A fulfilment's answer when what was paid for can no longer be given: billing then gives
    the order back in full, in the same transaction."""

    reason: str


# What another context does once an order of its kind is paid, in the capturing transaction
# (tutoring confirms a booking). Registered by the composition root.
Fulfilment = Callable[[Transaction, PaidOrder], Awaitable[NotFulfilled | None]]


class BillingUnitOfWork(Transaction, Protocol):
    """The billing context's unit of work: its own stores and nothing else."""

    billing: BillingStore
