"""/api/v1 billing routes: checkout and the provider's webhooks, the wallet, earnings,
withdrawals, and the admin views of payments, refunds, withdrawals and the ledger.

Handlers only translate; who may do what is decided by the use cases. Money-moving POSTs take
an ``Idempotency-Key`` header: the same key from the same user answers the first result.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Request, post
from litestar import get as get_route
from litestar.params import FromPath, HeaderParameter, JSONBody

from elearn.application.billing.checkout import CheckoutItem, CheckoutStarted, ReturnUrls
from elearn.application.billing.earnings import EarningsReport
from elearn.application.billing.ports import (
    InvalidWebhook,
    LedgerLineView,
    MyOrderView,
    OrderFilters,
    OrderView,
    RefundView,
    TrialBalance,
    WithdrawalView,
)
from elearn.application.billing.wallet import CreditPurchase
from elearn.application.billing.withdrawals import PayoutAccountLink
from elearn.application.paging import Page
from elearn.domain.billing.order import (
    MAX_REASON,
    ItemKind,
    OrderStatus,
    PaymentMethod,
    RefundStatus,
)
from elearn.domain.billing.withdrawal import WithdrawalStatus
from elearn.domain.shared.money import Money
from elearn.entrypoints.billing import Billing
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import CurrencyCode, MoneyBody, RequestBody
from elearn.entrypoints.http.catalog.routes import Cursor, Limit
from elearn.entrypoints.http.docs import RequestExample, request_examples
from elearn.entrypoints.http.problem_codes import problems

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        max_length=255,
        pattern="^[!-~]{1,255}$",  # printable ASCII, as Stripe's keys
        description="The same key again (a retry) answers the first result, with no new effect.",
    ),
]
Amount = Annotated[int, msgspec.Meta(ge=1, le=10**12, description="minor units (4999 = 49.99 USD)")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON)]


# ---- bodies ----------------------------------------------------------------------------------
class CourseItem(RequestBody, tag_field="kind", tag="course"):
    course_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TopUpItem(RequestBody, tag_field="kind", tag="wallet_topup"):
    amount: Amount
    currency: CurrencyCode | None = None


ReturnUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2048,
        description="An absolute URL on an allowed origin (ELEARN_CHECKOUT_RETURN_ORIGINS)",
        examples=["https://shop.example/orders/thanks"],
    ),
]


class CheckoutBody(RequestBody):
    item: CourseItem | TopUpItem
    # Where the payment page sends the buyer back; left out, to this order in the API.
    success_url: ReturnUrl | None = None
    cancel_url: ReturnUrl | None = None


class RefundBody(RequestBody):
    reason: Reason
    # Left out: all that is left of the payment. In the payment's currency (else 422).
    amount: MoneyBody | None = None


class WithdrawalBody(RequestBody):
    amount: Amount
    currency: CurrencyCode | None = None  # the platform's default currency


class RejectBody(RequestBody):
    reason: Reason


class WebhookAck(msgspec.Struct):
    received: bool = True


# ---- checkout and webhooks -------------------------------------------------------------------
class CheckoutController(Controller):
    path = "/checkout"
    tags = ["billing"]

    @problems(
        "already-owned",
        "course-not-found",
        "email-not-verified",
        "idempotency-key-reused",
        "invalid-input",
        "invalid-parameter",
        "own-course",
        "payment-provider-unavailable",
        "return-url-not-allowed",
    )
    @request_examples(
        course=RequestExample(
            "A course, by its id or slug",
            {
                "item": {"kind": "course", "course_id": "python-for-beginners"},
                "success_url": "https://shop.example/orders/thanks",
                "cancel_url": "https://shop.example/basket",
            },
        ),
        credits=RequestExample(
            "Wallet credits (20.00 USD)",
            {"item": {"kind": "wallet_topup", "amount": 2000, "currency": "USD"}},
        ),
    )
    @post(
        "",
        operation_id="start_checkout",
        summary="Pay by card",
        guards=[signed_in],
        status_code=201,
    )
    async def start(
        self,
        data: JSONBody[CheckoutBody],
        actor: CurrentActor,
        billing: Billing,
        idempotency_key: IdempotencyKey = None,
    ) -> CheckoutStarted:
        """A course (published, priced, not yours, not owned: 409) or wallet credits; answers
        the order and the payment page to send the buyer to. Needs a verified email. The page
        sends the buyer back to `success_url` once paid and to `cancel_url` if they give up;
        a URL on an origin not allowed answers 422 `return-url-not-allowed`."""
        item = data.item
        if isinstance(item, CourseItem):
            command = CheckoutItem(kind="course", course_id=item.course_id)
        else:
            command = CheckoutItem(kind="wallet_topup", amount=item.amount, currency=item.currency)
        return await billing.start_checkout(
            actor,
            command,
            return_to=ReturnUrls(success_url=data.success_url, cancel_url=data.cancel_url),
            idempotency_key=idempotency_key,
        )


class WebhooksController(Controller):
    path = "/webhooks"
    tags = ["billing"]

    @problems("invalid-webhook")
    @post("/stripe", operation_id="stripe_webhook", summary="Stripe's events", status_code=200)
    async def stripe(self, request: Request, billing: Billing) -> WebhookAck:
        """Signed by Stripe (`Stripe-Signature`); a bad or missing signature, or a timestamp
        more than 5 minutes off, answers 400 and changes nothing. Each event takes effect once,
        however often and in whatever order it comes; unknown types are acknowledged."""
        if billing.webhooks is None:
            raise InvalidWebhook("this platform takes no Stripe webhooks (sandbox payments)")
        event = billing.webhooks.verify(
            await request.body(), request.headers.get("stripe-signature")
        )
        await billing.handle_provider_event(event)
        return WebhookAck()


# ---- the student's wallet and orders ---------------------------------------------------------
class MyBillingController(Controller):
    path = "/me"
    tags = ["billing"]
    guards = [signed_in]

    @get_route("/wallet", operation_id="get_my_wallet", summary="Your credit balances")
    async def wallet(self, actor: CurrentActor, billing: Billing) -> Page[Money]:
        """One balance per currency you hold credits in, all on one page."""
        return await billing.wallet(actor)

    @get_route(
        "/wallet/transactions", operation_id="list_my_wallet_transactions", summary="Wallet history"
    )
    async def wallet_transactions(
        self, actor: CurrentActor, billing: Billing, limit: Limit = 20, cursor: Cursor = None
    ) -> Page[LedgerLineView]:
        """Top-ups, purchases and refunds, newest first (amounts signed: + in, - out)."""
        return await billing.wallet_transactions(actor, limit=limit, cursor=cursor)

    @get_route("/orders", operation_id="list_my_orders", summary="Your orders")
    async def orders(
        self, actor: CurrentActor, billing: Billing, limit: Limit = 20, cursor: Cursor = None
    ) -> Page[MyOrderView]:
        """What you paid and what came back, newest first; `booking_id` or `course_id` says
        what each was for."""
        return await billing.my_orders(actor, limit=limit, cursor=cursor)

    @problems("order-not-found", "two-factor-required")
    @get_route("/orders/{order_id:uuid}", operation_id="get_my_order", summary="An order")
    async def order(
        self, order_id: FromPath[UUID], actor: CurrentActor, billing: Billing
    ) -> MyOrderView:
        """Where the payment page sends the buyer back: `status` says whether it was paid."""
        return await billing.get_order(actor, order_id)

    @get_route("/earnings", operation_id="get_my_earnings", summary="Your earnings")
    async def earnings(
        self, actor: CurrentActor, billing: Billing, limit: Limit = 20, cursor: Cursor = None
    ) -> EarningsReport:
        """Per currency: pending (until the sale clears), available (to withdraw), on hold
        (being withdrawn), total earned and paid out; and the entries behind them, newest
        first."""
        return await billing.earnings(actor, limit=limit, cursor=cursor)

    @problems("not-a-tutor")
    @post(
        "/payout-account",
        operation_id="set_up_payout_account",
        summary="Where you are paid",
        status_code=200,
    )
    async def payout_account(self, actor: CurrentActor, billing: Billing) -> PayoutAccountLink:
        """Tutors: your account at the payment provider (made on first call) and the link where
        you finish setting it up."""
        return await billing.set_up_payout_account(actor)

    @problems(
        "idempotency-key-reused",
        "insufficient-funds",
        "invalid-input",
        "invalid-parameter",
        "not-a-tutor",
        "payout-account-missing",
        "withdrawal-open",
    )
    @post(
        "/withdrawals",
        operation_id="request_withdrawal",
        summary="Withdraw earnings",
        status_code=201,
    )
    async def request_withdrawal(
        self,
        data: JSONBody[WithdrawalBody],
        actor: CurrentActor,
        billing: Billing,
        idempotency_key: IdempotencyKey = None,
    ) -> WithdrawalView:
        """Tutors: at least the minimum, at most what is available, one open request per
        currency (409). The amount is held until an admin decides."""
        return await billing.request_withdrawal(
            actor, data.amount, data.currency, idempotency_key=idempotency_key
        )

    @get_route("/withdrawals", operation_id="list_my_withdrawals", summary="Your withdrawals")
    async def withdrawals(
        self,
        actor: CurrentActor,
        billing: Billing,
        status: WithdrawalStatus | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[WithdrawalView]:
        return await billing.my_withdrawals(actor, status, limit=limit, cursor=cursor)


class CoursePurchaseController(Controller):
    path = "/courses"
    tags = ["billing"]

    @problems(
        "already-owned",
        "course-not-found",
        "email-not-verified",
        "insufficient-funds",
        "invalid-input",
        "invalid-parameter",
        "own-course",
    )
    @post(
        "/{course_key:str}/purchase-with-credits",
        operation_id="purchase_with_credits",
        summary="Buy a course with credits",
        guards=[signed_in],
        status_code=201,
    )
    async def purchase(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        billing: Billing,
        idempotency_key: IdempotencyKey = None,
    ) -> CreditPurchase:
        """Pays from your wallet in the course's currency and enrolls you, at once; 422
        `insufficient-funds` when the wallet holds too little."""
        return await billing.purchase_with_credits(
            actor, course_key, idempotency_key=idempotency_key
        )


# ---- administration --------------------------------------------------------------------------
class BillingAdminController(Controller):
    path = "/admin"
    tags = ["billing"]
    guards = [signed_in]

    @get_route("/orders", operation_id="list_orders", summary="Orders")
    async def orders(
        self,
        actor: CurrentActor,
        billing: Billing,
        status: OrderStatus | None = None,
        buyer_id: UUID | None = None,
        kind: ItemKind | None = None,
        method: PaymentMethod | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[OrderView]:
        """Every order, newest first, whatever became of it."""
        filters = OrderFilters(
            status=status,
            buyer_id=buyer_id,
            kind=kind.value if kind else None,
            method=method.value if method else None,
        )
        return await billing.list_orders(actor, filters, limit=limit, cursor=cursor)

    @get_route("/payments", operation_id="list_payments", summary="Payments")
    async def payments(
        self,
        actor: CurrentActor,
        billing: Billing,
        status: OrderStatus | None = None,
        buyer_id: UUID | None = None,
        method: PaymentMethod | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[OrderView]:
        """Orders that were paid (by card or credits), with what was refunded of them."""
        filters = OrderFilters(
            status=status,
            buyer_id=buyer_id,
            method=method.value if method else None,
            paid_only=True,
        )
        return await billing.list_orders(actor, filters, limit=limit, cursor=cursor)

    @problems(
        "currency-mismatch",
        "illegal-transition",
        "invalid-input",
        "invalid-refund",
        "order-not-found",
        "two-factor-required",
    )
    @request_examples(
        part=RequestExample(
            "Part of it (10.00 USD of a payment in USD)",
            {"reason": "one lesson missed", "amount": {"amount": 1000, "currency": "USD"}},
        ),
        rest=RequestExample("All that is left", {"reason": "asked within the guarantee"}),
    )
    @post(
        "/payments/{order_id:uuid}/refund",
        operation_id="refund_payment",
        summary="Refund",
        status_code=201,
    )
    async def refund(
        self,
        order_id: FromPath[UUID],
        data: JSONBody[RefundBody],
        actor: CurrentActor,
        billing: Billing,
    ) -> RefundView:
        """Admins: all that is left of the payment, or `amount` (in the payment's currency, else
        422 `currency-mismatch`); card payments go back to the card, credit payments to the
        wallet; a full refund takes the course back."""
        amount = data.amount.to_money() if data.amount is not None else None
        return await billing.refund_payment(actor, order_id, amount=amount, reason=data.reason)

    @get_route("/refunds", operation_id="list_refunds", summary="Refunds")
    async def refunds(
        self,
        actor: CurrentActor,
        billing: Billing,
        order_id: UUID | None = None,
        status: RefundStatus | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[RefundView]:
        return await billing.list_refunds(
            actor, order_id=order_id, status=status, limit=limit, cursor=cursor
        )

    @get_route("/withdrawals", operation_id="list_withdrawals", summary="Withdrawals")
    async def withdrawals(
        self,
        actor: CurrentActor,
        billing: Billing,
        status: WithdrawalStatus | None = None,
        tutor_id: UUID | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[WithdrawalView]:
        return await billing.all_withdrawals(
            actor, status, tutor_id=tutor_id, limit=limit, cursor=cursor
        )

    @problems("illegal-transition", "withdrawal-not-found")
    @post(
        "/withdrawals/{withdrawal_id:uuid}/approve",
        operation_id="approve_withdrawal",
        summary="Approve a withdrawal",
        status_code=200,
    )
    async def approve(
        self, withdrawal_id: FromPath[UUID], actor: CurrentActor, billing: Billing
    ) -> WithdrawalView:
        """Admins; the payout worker then sends the money; audited."""
        return await billing.decide_withdrawal.approve(actor, withdrawal_id)

    @problems("illegal-transition", "invalid-input", "withdrawal-not-found")
    @post(
        "/withdrawals/{withdrawal_id:uuid}/reject",
        operation_id="reject_withdrawal",
        summary="Reject a withdrawal",
        status_code=200,
    )
    async def reject(
        self,
        withdrawal_id: FromPath[UUID],
        data: JSONBody[RejectBody],
        actor: CurrentActor,
        billing: Billing,
    ) -> WithdrawalView:
        """Admins; the amount goes back to the tutor's available earnings; audited."""
        return await billing.decide_withdrawal.reject(actor, withdrawal_id, data.reason)

    @get_route("/ledger/trial-balance", operation_id="get_trial_balance", summary="Trial balance")
    async def trial_balance(self, actor: CurrentActor, billing: Billing) -> TrialBalance:
        """Every account's balance, derived from its lines, and each currency's total: zero
        when the books balance."""
        return await billing.trial_balance(actor)


BILLING_CONTROLLERS = [
    CheckoutController,
    WebhooksController,
    MyBillingController,
    CoursePurchaseController,
    BillingAdminController,
]
