"""Paying by card: an order and the provider's hosted checkout, then the provider's events.

Every event, from a Stripe webhook or from the sandbox's buttons, goes through
``HandleProviderEvent``: stored by id in the transaction that applies it, so it takes effect
once whatever how often or in which order it comes. A capture is the one place a card payment
posts to the ledger and grants what was bought.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.billing import deps as billing
from elearn.application.billing.deps import BillingDeps, OrderNotFound, PaymentProviderUnavailable
from elearn.application.billing.ports import (
    CHARGE_REFUNDED,
    CHECKOUT_ASYNC_FAILED,
    CHECKOUT_ASYNC_SUCCEEDED,
    CHECKOUT_COMPLETED,
    CHECKOUT_EXPIRED,
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    BillingUnitOfWork,
    CheckoutRequest,
    GatewayError,
    PaidOrder,
    ProviderEvent,
    SandboxCheckoutLinks,
)
from elearn.application.billing.refunds import apply_refund, complete_refund, start_refund
from elearn.application.errors import FieldError, InvalidInput, PermissionDenied
from elearn.domain.billing import postings
from elearn.domain.billing.ledger import EntryKind
from elearn.domain.billing.order import ItemKind, Order, OrderStatus, PaymentMethod, Refund
from elearn.domain.shared.money import Money

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckoutItem:
    kind: Literal["course", "wallet_topup"]
    course_id: UUID | str | None = None
    amount: int | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnUrls:
    """Where the payment page sends the buyer back: after paying, and after giving up. Each
    must be on an origin the platform allows (its public URL and its front ends by default)."""

    success_url: str | None = None
    cancel_url: str | None = None


class ReturnUrlNotAllowed(InvalidInput):
    code = "return-url-not-allowed"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (the port only when it is not the
    scheme's own), or None for anything else: no credentials, spaces or control characters."""
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{parts.hostname.lower()}{shown_port}"


def check_return_urls(urls: ReturnUrls | None, allowed_origins: tuple[str, ...]) -> ReturnUrls:
    """The URLs (none given: none), or 422 naming each field whose URL is not an absolute
    http(s) URL on an allowed origin: the payment page must not send people anywhere."""
    urls = urls or ReturnUrls()
    errors = []
    for field, url in (("success_url", urls.success_url), ("cancel_url", urls.cancel_url)):
        if url is None:
            continue
        origin = origin_of(url)
        if origin is None:
            errors.append(FieldError(field, "is an absolute http or https URL"))
        elif origin not in allowed_origins:
            allowed = ", ".join(allowed_origins) or "none"
            errors.append(FieldError(field, f"is not on an allowed origin ({allowed})"))
    if errors:
        raise ReturnUrlNotAllowed("the payment page cannot send you back there", errors=errors)
    return urls


@dataclass(frozen=True, slots=True)
class CheckoutStarted:
    order_id: UUID
    checkout_url: str


@dataclass(frozen=True, slots=True)
class _OrderTaken:
    order_id: UUID


class StartCheckout:
    """Opens the provider's checkout for a course or for wallet credits. With an
    Idempotency-Key, the same key answers the same order and checkout page."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        item: CheckoutItem,
        *,
        return_to: ReturnUrls | None = None,
        idempotency_key: str | None = None,
    ) -> CheckoutStarted:
        deps = self._deps
        buyer_id = require_signed_in(actor)
        return_to = check_return_urls(return_to, deps.policy.return_origins)
        claim = billing.idempotency_claim(
            buyer_id, "checkout", idempotency_key, repr((item, return_to))
        )
        async with deps.uow() as uow:
            taken = await billing.replay(uow, claim, _OrderTaken, deps.clock.now())
            if taken is None:
                order = await self._new_order(uow, actor, buyer_id, item)
                order.success_url, order.cancel_url = return_to.success_url, return_to.cancel_url
                await uow.billing.orders.add(order)
                taken = _OrderTaken(order.id)
                await billing.remember(uow, claim, taken)
                await uow.commit()
        return await checkout_page(deps, taken.order_id)

    async def _new_order(
        self, uow: BillingUnitOfWork, actor: Actor, buyer_id: UUID, item: CheckoutItem
    ) -> Order:
        deps = self._deps
        now = deps.clock.now()
        if item.kind == "course":
            if item.course_id is None:
                raise InvalidInput(
                    "say which course", errors=[FieldError("item.course_id", "is required")]
                )
            course = await deps.course_to_buy(uow, actor, item.course_id)
            assert course.price is not None
            return Order(
                id=deps.ids.new_id(),
                buyer_id=buyer_id,
                kind=ItemKind.COURSE,
                method=PaymentMethod.CARD,
                amount=course.price,
                created_at=now,
                platform_bps=deps.policy.platform_bps,
                course_id=course.id,
                payee_id=course.owner_id,
            )
        if not actor.email_verified:
            raise PermissionDenied(
                "verify your email address before paying", code="email-not-verified"
            )
        currency = deps.currency(item.currency or deps.policy.default_currency, "item.currency")
        amount = billing.amount_in(currency, item.amount or 0, "item.amount")
        lowest, highest = currency.major(1), currency.major(deps.policy.max_topup_major)
        if not lowest <= amount <= highest:
            raise InvalidInput(
                "a top-up is out of range",
                errors=[
                    FieldError(
                        "item.amount",
                        f"is between {lowest.amount} and {highest.amount} minor units",
                    )
                ],
            )
        return Order(
            id=deps.ids.new_id(),
            buyer_id=buyer_id,
            kind=ItemKind.WALLET_TOPUP,
            method=PaymentMethod.CARD,
            amount=amount,
            created_at=now,
            platform_bps=deps.policy.platform_bps,
        )


async def checkout_page(deps: BillingDeps, order_id: UUID) -> CheckoutStarted:
    """The order's checkout page, opened at the provider if it is not yet. The provider
    call carries ``checkout:{order_id}`` as its idempotency key, so a repeat (a retried
    request, a replayed Idempotency-Key) gets the same session back."""
    async with deps.uow(read_only=True) as uow:
        order = await uow.billing.orders.get(order_id)
        if order is None:
            raise OrderNotFound()
        if order.checkout_url:
            return CheckoutStarted(order.id, order.checkout_url)
        buyer = await deps.identity.user(uow, order.buyer_id)
        email = buyer.email if buyer is not None else ""
    description = await _description(deps, order)
    own_page = f"{deps.policy.public_url.rstrip('/')}/api/v1/me/orders/{order.id}"
    try:
        session = await deps.gateway.create_checkout(
            CheckoutRequest(
                order_id=order.id,
                amount=order.amount,
                description=description,
                buyer_email=email,
                success_url=order.success_url or own_page,
                cancel_url=order.cancel_url or own_page,
            )
        )
    except GatewayError as error:
        logger.warning("checkout for order %s not opened: %s", order.id, error)
        raise PaymentProviderUnavailable(
            "the payment provider did not answer; send the same request again"
        ) from error
    async with deps.uow() as uow:
        order = await uow.billing.orders.get(order_id, for_update=True)
        assert order is not None
        order.checkout_opened(session.session_id, session.url)
        await uow.commit()
    return CheckoutStarted(order.id, session.url)


async def _description(deps: BillingDeps, order: Order) -> str:
    if order.kind is ItemKind.WALLET_TOPUP:
        return "Wallet credits"
    if order.kind is ItemKind.BOOKING:
        return "A 1:1 lesson"
    assert order.course_id is not None
    async with deps.uow(read_only=True) as uow:
        course = await deps.catalog.course_for_sale(uow, order.course_id)
    return f"Course: {course.title}" if course is not None else "Course"


async def capture(
    deps: BillingDeps, uow: BillingUnitOfWork, order: Order, payment_id: str | None
) -> None:
    """The money is in: the order succeeds, the ledger records it and the buyer gets what they
    paid for, in the caller's transaction. Capturing a paid order again changes nothing."""
    if order.is_paid:
        if payment_id and not order.provider_payment_id:
            order.provider_payment_id = payment_id
        return
    order.succeed(deps.clock.now(), payment_id=payment_id, event_id=deps.ids.new_id())
    source = (
        postings.clearing(order.amount.currency)
        if order.method is PaymentMethod.CARD
        else postings.wallet(order.buyer_id, order.amount.currency)
    )
    if order.kind is ItemKind.WALLET_TOPUP:
        lines, kind = postings.topup(order.buyer_id, order.amount), EntryKind.WALLET_TOPUP
    else:
        lines = postings.sale(source, order.split, order.payee_id)
        kind = (
            EntryKind.CARD_PAYMENT
            if order.method is PaymentMethod.CARD
            else EntryKind.CREDIT_PURCHASE
        )
    await deps.post(
        uow, key=f"order:{order.id}:capture", kind=kind, lines=lines, reference_id=order.id
    )
    fulfil = deps.fulfilments.get(order.kind)
    if fulfil is not None:
        paid = PaidOrder(
            id=order.id, buyer_id=order.buyer_id, amount=order.amount, booking_id=order.booking_id
        )
        refused = await fulfil(uow, paid)
        if refused is not None:
            await start_refund(
                deps, uow, order, order.amount, reason=refused.reason, requested_by=None
            )
    elif order.course_id is not None:
        if not await deps.learning.grant_purchase(uow, order.buyer_id, order.course_id):
            # Paid twice by card for one course (two checkouts open at once): the money is in,
            # so it is recorded and stays refundable by an admin; there is nothing to grant.
            logger.warning("order %s paid for a course the buyer already has", order.id)


class HandleProviderEvent:
    """Applies one verified provider event, once."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(self, event: ProviderEvent) -> None:
        deps = self._deps
        now = deps.clock.now()
        async with deps.uow() as uow:
            if not await uow.billing.provider_events.claim(event.id, event.type, now):
                return
            order = await self._order_for(uow, event)
            if order is None:
                if event.type in _HANDLED:
                    logger.warning("event %s (%s) names no order of ours", event.id, event.type)
                await uow.commit()
                return
            if event.type in _CAPTURES:
                if event.paid:
                    await capture(deps, uow, order, event.payment_id)
                elif event.payment_id and not order.provider_payment_id:
                    order.provider_payment_id = event.payment_id
            elif event.type == CHECKOUT_EXPIRED:
                if order.status is OrderStatus.PENDING:
                    order.expire(now)
            elif event.type in (PAYMENT_FAILED, CHECKOUT_ASYNC_FAILED):
                if order.status is OrderStatus.PENDING:
                    order.fail(now, event.failure or "the payment was declined")
            elif event.type == CHARGE_REFUNDED:
                await self._refunded_at_provider(uow, order, event)
            await uow.commit()

    async def _order_for(self, uow: BillingUnitOfWork, event: ProviderEvent) -> Order | None:
        orders = uow.billing.orders
        if event.order_id is not None:
            order = await orders.get(event.order_id, for_update=True)
            if order is not None:
                return order
        if event.payment_id:
            return await orders.by_payment_id(event.payment_id, for_update=True)
        return None

    async def _refunded_at_provider(
        self, uow: BillingUnitOfWork, order: Order, event: ProviderEvent
    ) -> None:
        """A refund we did not ask for (made in the provider's dashboard), or ours reported
        back: only what the provider refunded beyond what we already know of is recorded. A
        refunded charge was captured, so a refund that arrives before the capture's own event
        captures first; every order of events ends in the same state."""
        deps = self._deps
        await capture(deps, uow, order, event.payment_id)
        known = order.refunded_amount + await uow.billing.refunds.pending_amount(order.id)
        missing = (event.amount_refunded or 0) - known
        if missing <= 0:
            return
        refund = Refund(
            id=deps.ids.new_id(),
            order_id=order.id,
            amount=Money(min(missing, order.refundable.amount), order.amount.currency),
            reason="refunded at the payment provider",
            created_at=deps.clock.now(),
        )
        await uow.billing.refunds.add(refund)
        # The money is back on the card already: what the wallet no longer holds is the platform's.
        await apply_refund(deps, uow, order, refund, already=known, spent_credits_covered=True)
        await complete_refund(deps, uow, order, refund, provider_refund_id=None)


_CAPTURES = frozenset({CHECKOUT_COMPLETED, CHECKOUT_ASYNC_SUCCEEDED, PAYMENT_SUCCEEDED})
_HANDLED = _CAPTURES | {CHECKOUT_EXPIRED, CHECKOUT_ASYNC_FAILED, PAYMENT_FAILED, CHARGE_REFUNDED}


class CompleteSandboxCheckout:
    """The sandbox's checkout page: its buttons become the same events a Stripe webhook sends,
    through the same path, so the whole flow works with no keys.

    The page acts for the order's buyer only: signed in as them, or holding the signed link
    that checkout handed out for that order (``SandboxCheckoutLinks``), until it expires. An
    order id alone finds nothing (404), so nobody pays or declines someone else's order."""

    def __init__(
        self,
        deps: BillingDeps,
        handle: HandleProviderEvent,
        links: SandboxCheckoutLinks | None,
    ) -> None:
        self._deps = deps
        self._handle = handle
        self._links = links

    async def order(self, actor: Actor, order_id: UUID, *, link_token: str | None = None) -> Order:
        async with self._deps.uow(read_only=True) as uow:
            order = await uow.billing.orders.get(order_id)
        if order is None or order.method is not PaymentMethod.CARD:
            raise OrderNotFound()
        by_link = self._links is not None and self._links.verify(
            order.id, link_token, order_created_at=order.created_at
        )
        if not by_link and actor.user_id != order.buyer_id:
            raise OrderNotFound()
        return order

    async def __call__(
        self,
        actor: Actor,
        order_id: UUID,
        outcome: Literal["succeed", "fail"],
        *,
        link_token: str | None = None,
    ) -> Order:
        order = await self.order(actor, order_id, link_token=link_token)
        payment_id = f"sandbox_pi_{order.id.hex}"
        await self._handle(
            ProviderEvent(
                id=f"sandbox_evt_{order.id.hex}_{outcome}",
                type=CHECKOUT_COMPLETED if outcome == "succeed" else PAYMENT_FAILED,
                order_id=order.id,
                payment_id=payment_id,
                amount=order.amount.amount,
                currency=order.amount.currency,
                failure=None if outcome == "succeed" else "declined in the sandbox",
            )
        )
        return await self.order(actor, order_id, link_token=link_token)
