"""The billing context's part of the composition root: the payment gateway and webhook
verifier from settings, and billing's use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.payments.sandbox import SandboxPaymentGateway
from elearn.adapters.payments.stripe_gateway import StripePaymentGateway
from elearn.adapters.payments.stripe_webhooks import StripeWebhookVerifier
from elearn.adapters.persistence.billing_queries import SqlaBillingQueries
from elearn.adapters.security.reference_data import BabelReferenceData
from elearn.application.billing import admin, checkout, earnings, refunds, withdrawals
from elearn.application.billing import wallet as credit_wallet
from elearn.application.billing.deps import BillingDeps
from elearn.application.billing.ports import BillingPolicy, PaymentGateway, WebhookVerifier
from elearn.application.catalog.api import CatalogApi
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def build_gateway(settings: Settings) -> PaymentGateway:
    if settings.payments_backend == "stripe":
        return StripePaymentGateway(
            settings.stripe_secret_key, api_base=settings.stripe_api_base or None
        )
    return SandboxPaymentGateway(settings.public_url)


def build_billing_deps(container: Container, gateway: PaymentGateway | None = None) -> BillingDeps:
    settings = container.settings
    return BillingDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        gateway=gateway or build_gateway(settings),
        queries=SqlaBillingQueries(container.sessions),
        currencies=BabelReferenceData(),
        catalog=CatalogApi(container.catalog.deps),
        authorizer=container.authorizer,
        learning=LearningApi(container.learning.deps),
        identity=IdentityApi(container.identity.deps),
        policy=billing_policy(settings),
    )


class BillingUseCases:
    """Every billing use case, built on first use from one set of dependencies."""

    def __init__(self, deps: BillingDeps, verifier: WebhookVerifier | None) -> None:
        self.deps = deps
        # None on the sandbox: no Stripe webhooks are taken there.
        self.webhooks = verifier

    @cached_property
    def start_checkout(self) -> checkout.StartCheckout:
        return checkout.StartCheckout(self.deps)

    @cached_property
    def handle_provider_event(self) -> checkout.HandleProviderEvent:
        return checkout.HandleProviderEvent(self.deps)

    @cached_property
    def sandbox_checkout(self) -> checkout.CompleteSandboxCheckout:
        return checkout.CompleteSandboxCheckout(self.deps, self.handle_provider_event)

    @cached_property
    def wallet(self) -> credit_wallet.GetWallet:
        return credit_wallet.GetWallet(self.deps)

    @cached_property
    def wallet_transactions(self) -> credit_wallet.ListWalletTransactions:
        return credit_wallet.ListWalletTransactions(self.deps)

    @cached_property
    def purchase_with_credits(self) -> credit_wallet.PurchaseWithCredits:
        return credit_wallet.PurchaseWithCredits(self.deps)

    @cached_property
    def refund_payment(self) -> refunds.RefundPayment:
        return refunds.RefundPayment(self.deps)

    @cached_property
    def earnings(self) -> earnings.GetEarnings:
        return earnings.GetEarnings(self.deps)

    @cached_property
    def set_up_payout_account(self) -> withdrawals.SetUpPayoutAccount:
        return withdrawals.SetUpPayoutAccount(self.deps)

    @cached_property
    def request_withdrawal(self) -> withdrawals.RequestWithdrawal:
        return withdrawals.RequestWithdrawal(self.deps)

    @cached_property
    def my_withdrawals(self) -> withdrawals.ListWithdrawals:
        return withdrawals.ListWithdrawals(self.deps, every_tutor=False)

    @cached_property
    def all_withdrawals(self) -> withdrawals.ListWithdrawals:
        return withdrawals.ListWithdrawals(self.deps, every_tutor=True)

    @cached_property
    def decide_withdrawal(self) -> withdrawals.DecideWithdrawal:
        return withdrawals.DecideWithdrawal(self.deps)

    @cached_property
    def pay_out(self) -> withdrawals.PayOutWithdrawal:
        return withdrawals.PayOutWithdrawal(self.deps)

    @cached_property
    def get_order(self) -> admin.GetOrder:
        return admin.GetOrder(self.deps)

    @cached_property
    def my_orders(self) -> admin.ListMyOrders:
        return admin.ListMyOrders(self.deps)

    @cached_property
    def list_orders(self) -> admin.ListOrders:
        return admin.ListOrders(self.deps)

    @cached_property
    def list_refunds(self) -> admin.ListRefunds:
        return admin.ListRefunds(self.deps)

    @cached_property
    def trial_balance(self) -> admin.GetTrialBalance:
        return admin.GetTrialBalance(self.deps)

    async def release_cleared_earnings(self) -> int:
        return await earnings.release_cleared_earnings(self.deps)

    async def retry_stale_refunds(self) -> int:
        return await refunds.retry_stale_refunds(self.deps)


def build_billing(container: Container, gateway: PaymentGateway | None = None) -> BillingUseCases:
    settings = container.settings
    verifier = (
        StripeWebhookVerifier(settings.stripe_webhook_secret, container.clock)
        if settings.payments_backend == "stripe"
        else None
    )
    return BillingUseCases(build_billing_deps(container, gateway), verifier)


# The billing use cases, as a route parameter: ``billing: Billing``.
Billing: TypeAlias = NamedDependency[BillingUseCases]


def billing_policy(settings: Settings) -> BillingPolicy:
    """Billing's section of the settings."""
    return BillingPolicy(
        platform_bps=settings.platform_fee_bps,
        clearing_days=settings.earnings_clearing_days,
        minimum_withdrawal_major=settings.minimum_withdrawal,
        max_topup_major=settings.maximum_topup,
        public_url=settings.public_url,
        default_currency=settings.default_currency,
        links=settings.front_end,
    )
