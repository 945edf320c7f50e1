"""Everything billing use cases depend on, and the steps several of them share: posting to the
ledger, idempotent requests, and the course a student may buy.

Other contexts are reached through their published apis only (``catalog``, ``learning``,
``identity`` below), inside billing's own transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.audit import Audits
from elearn.application.authorization import Authorizer
from elearn.application.billing.ports import (
    BillingPolicy,
    BillingQueries,
    BillingUnitOfWork,
    Currencies,
    Fulfilment,
    IdempotencyClaim,
    IdempotencyKeyReused,
    PaymentGateway,
)
from elearn.application.catalog.api import CatalogApi, CourseForSale, CourseNotFound
from elearn.application.errors import (
    FieldError,
    InvalidInput,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
)
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.domain.billing.fees import FeeSplit
from elearn.domain.billing.ledger import EntryKind, JournalEntry, Line, balances_after
from elearn.domain.billing.order import ItemKind
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.money import Currency, Money

T = TypeVar("T")

# What an Idempotency-Key header may hold: printable ASCII, as Stripe's own keys.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class OrderNotFound(NotFound):
    code = "order-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such order")


class PaymentProviderUnavailable(ServiceUnavailable):
    code = "payment-provider-unavailable"


class AlreadyOwned(Conflict):
    code = "already-owned"


class IdempotencyMismatch(Conflict):
    code = "idempotency-key-reused"


@dataclass(frozen=True, kw_only=True)
class BillingDeps(Audits):
    uow: TransactionFactory[BillingUnitOfWork]
    clock: Clock
    ids: IdGenerator
    gateway: PaymentGateway
    queries: BillingQueries
    currencies: Currencies
    catalog: CatalogApi
    learning: LearningApi
    identity: IdentityApi
    policy: BillingPolicy
    authorizer: Authorizer
    fulfilments: dict[ItemKind, Fulfilment] = field(default_factory=dict)

    @property
    def fees(self) -> FeeSplit:
        return FeeSplit(self.policy.platform_bps)

    def currency(self, code: str, field: str = "currency") -> Currency:
        found = self.currencies.currency(code)
        if found is None:
            raise InvalidInput(
                "the currency is not one payments are taken in",
                errors=[FieldError(field, "is not an ISO 4217 currency in circulation")],
            )
        return found

    async def post(
        self,
        uow: BillingUnitOfWork,
        *,
        key: str,
        kind: EntryKind,
        lines: tuple[Line, ...],
        memo: str = "",
        reference_id: UUID | None = None,
    ) -> JournalEntry:
        """Posts an entry once: a key already in the ledger answers the first entry and changes
        nothing. The balances of people's accounts are locked first (in one global order), so
        concurrent postings see each other and none takes a balance below zero. The platform's
        own accounts have no floor to check: they are not locked, or every sale would wait for
        the one before it."""
        entry = JournalEntry(
            id=self.ids.new_id(),
            key=key,
            kind=kind,
            lines=lines,
            posted_at=self.clock.now(),
            memo=memo,
            reference_id=reference_id,
        )
        # The key is taken first (one statement, where looking it up and then inserting took
        # two): a posting of a key already in the ledger stops here, whatever the balances are
        # now; one of a key a concurrent transaction is posting waits for it and stops too.
        first = await uow.billing.ledger.claim(entry)
        if first is not None:
            return first
        # Only a debit can take an account below zero: an account the entry only credits is
        # neither read nor held here (a tutor's pending earnings would otherwise line up every
        # sale of that tutor behind the one before it, until it commits).
        held = [account for account in entry.debited_accounts if account.kind.never_negative]
        balances = await uow.billing.ledger.balances(held, for_update=True)
        balances_after(entry, balances)
        await uow.billing.ledger.append(entry)
        return entry

    async def course_to_buy(
        self,
        uow: BillingUnitOfWork,
        actor: Actor,
        course_key: UUID | str,
        *,
        check_owned: bool = True,
    ) -> CourseForSale:
        """A published, priced course the actor may buy: not one they teach, not one they own
        (unless ``check_owned`` is off: the caller checks that itself, under a lock)."""
        buyer_id = require_signed_in(actor)
        if not actor.email_verified:
            raise PermissionDenied(
                "verify your email address before paying", code="email-not-verified"
            )
        course = await self.catalog.course_for_sale(uow, course_key)
        if course is None or not course.is_published:
            raise CourseNotFound()
        if course.is_instructor(buyer_id):
            raise PermissionDenied("instructors do not buy their own course", code="own-course")
        if course.is_free or course.price is None:
            raise InvalidInput(
                "this course is free: enroll in it instead",
                errors=[FieldError("item.course_id", "names a free course")],
            )
        if check_owned:
            await self.require_not_owned(uow, buyer_id, course.id)
        return course

    async def require_not_owned(
        self, uow: BillingUnitOfWork, buyer_id: UUID, course_id: UUID
    ) -> None:
        if await self.learning.has_access(uow, buyer_id, course_id):
            raise AlreadyOwned("you already have this course")


def idempotency_claim(
    user_id: UUID, scope: str, key: str | None, fingerprint: str
) -> IdempotencyClaim | None:
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidParameter(
            "the Idempotency-Key header is 1 to 255 printable ASCII characters",
            errors=[FieldError("Idempotency-Key", "is 1 to 255 printable ASCII characters")],
        )
    return IdempotencyClaim(user_id=user_id, scope=scope, key=key, fingerprint=fingerprint)


async def replay(
    uow: BillingUnitOfWork, claim: IdempotencyClaim | None, result_type: type[T], now: datetime
) -> T | None:
    """The first result stored under the claim's key, or None after taking the key for this
    transaction (the caller then does the work and stores its result with ``remember``)."""
    if claim is None:
        return None
    try:
        return await uow.billing.idempotency.begin(claim, result_type, now)
    except IdempotencyKeyReused:
        raise IdempotencyMismatch(
            "this Idempotency-Key was sent before with a different request"
        ) from None


async def remember(uow: BillingUnitOfWork, claim: IdempotencyClaim | None, result: object) -> None:
    if claim is not None:
        await uow.billing.idempotency.complete(claim, result)


def amount_in(currency: Currency, amount: int, field: str = "amount") -> Money:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(
            "the amount is a positive number of minor units",
            errors=[FieldError(field, "is a positive whole number of minor units")],
        )
    return Money(amount, currency.code)
