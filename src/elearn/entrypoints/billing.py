"""The billing context's part of the composition root: the payment gateway and webhook
verifier from settings, and billing's use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.payments.sandbox import HmacSandboxCheckoutLinks, SandboxPaymentGateway
from elearn.adapters.persistence.billing_queries import SqlaBillingQueries
from elearn.adapters.security.reference_data import BabelReferenceData
from elearn.application.billing import admin, checkout, earnings, refunds, withdrawals
from elearn.application.billing import wallet as credit_wallet
from elearn.application.billing.deps import BillingDeps
from elearn.application.billing.ports import (
    BillingPolicy,
    PaymentGateway,
    SandboxCheckoutLinks,
    WebhookVerifier,
)
from elearn.application.catalog.api import CatalogApi
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.application.ports import Clock
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def sandbox_links(settings: Settings, clock: Clock) -> SandboxCheckoutLinks:
    """The signer of the sandbox checkout's links (the same key in every process)."""
    return HmacSandboxCheckoutLinks(settings.media_signing_key or settings.jwt_secret, clock)


def build_gateway(settings: Settings, clock: Clock) -> PaymentGateway:
    if settings.payments_backend == "stripe":
        # Imported only where Stripe is configured: the stripe package holds ~12 MiB that a
        # process on the sandbox never uses.
        from elearn.adapters.payments.stripe_gateway import StripePaymentGateway

        return StripePaymentGateway(
            settings.stripe_secret_key, api_base=settings.stripe_api_base or None
        )
    return SandboxPaymentGateway(settings.public_url, sandbox_links(settings, clock))


def build_billing_deps(container: Container, gateway: PaymentGateway | None = None) -> BillingDeps:
    settings = container.settings
    return BillingDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        gateway=gateway or build_gateway(settings, container.clock),
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

    def __init__(
        self,
        deps: BillingDeps,
        verifier: WebhookVerifier | None,
        links: SandboxCheckoutLinks | None = None,
    ) -> None:
        self.deps = deps
        # None on the sandbox: no Stripe webhooks are taken there.
        self.webhooks = verifier
        # None with Stripe: there is no sandbox checkout page to open.
        self.sandbox_links = links

    @cached_property
    def start_checkout(self) -> checkout.StartCheckout:
        return checkout.StartCheckout(self.deps)

    @cached_property
    def handle_provider_event(self) -> checkout.HandleProviderEvent:
        return checkout.HandleProviderEvent(self.deps)

    @cached_property
    def sandbox_checkout(self) -> checkout.CompleteSandboxCheckout:
        return checkout.CompleteSandboxCheckout(
            self.deps, self.handle_provider_event, self.sandbox_links
        )

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
    verifier: WebhookVerifier | None = None
    if settings.payments_backend == "stripe":
        from elearn.adapters.payments.stripe_webhooks import StripeWebhookVerifier

        verifier = StripeWebhookVerifier(settings.stripe_webhook_secret, container.clock)
    links = (
        sandbox_links(settings, container.clock) if settings.payments_backend == "sandbox" else None
    )
    return BillingUseCases(build_billing_deps(container, gateway), verifier, links)


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
        return_origins=checkout_return_origins(settings),
    )


def checkout_return_origins(settings: Settings) -> tuple[str, ...]:
    """The origins a checkout may return to, normalised (``HTTPS://Shop.example:443`` is
    ``https://shop.example``); what is not an http(s) origin is left out. By default the
    public URL's, the front end's and the CORS origins."""
    given = settings.checkout_return_origins or [
        settings.public_url,
        settings.front_end.base_url,
        *settings.cors_allowed_origins,
    ]
    origins = (checkout.origin_of(value) for value in given)
    return tuple(dict.fromkeys(origin for origin in origins if origin is not None))
