"""Billing as a module: payments, the ledger, wallets, earnings, refunds and payouts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.billing_personal_data import BillingPersonalData
from elearn.adapters.persistence.billing_reports import billing_reports
from elearn.adapters.persistence.billing_repositories import SqlaBillingStore
from elearn.adapters.persistence.models import billing as billing_tables
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.application.billing.receipts import SendReceipt
from elearn.application.billing.withdrawals import SendPayoutFailedEmail
from elearn.domain.billing.order import OrderPaid
from elearn.domain.billing.withdrawal import WithdrawalApproved, WithdrawalFailed
from elearn.entrypoints.billing import BillingUseCases, billing_policy, build_billing
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container
    from elearn.entrypoints.settings import Settings


def _use_cases(container: Container, options: Mapping[str, Any]) -> BillingUseCases:
    # ``gateway``: a payment gateway to use instead of the one the settings name.
    return build_billing(container, options.get("gateway"))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.billing.routes import BILLING_CONTROLLERS

    return BILLING_CONTROLLERS


def _root_routes(settings: Settings) -> Sequence[ControllerRouterHandler]:
    if settings.payments_backend != "sandbox":
        return ()
    from elearn.entrypoints.http.billing.sandbox import SandboxCheckoutController

    return (SandboxCheckoutController,)


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        "billing.pay_out_withdrawal": Subscription(
            WithdrawalApproved.event_type, c.billing.pay_out
        ),
        "billing.send_payout_failed_email": Subscription(
            WithdrawalFailed.event_type,
            SendPayoutFailedEmail(c.billing.deps, c.personal_mailer(), c.templates),
        ),
        "billing.send_receipt": Subscription(
            OrderPaid.event_type, SendReceipt(c.billing.deps, c.personal_mailer(), c.templates)
        ),
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    return (
        PeriodicJob(
            "billing.release_cleared_earnings",
            timedelta(hours=1),
            c.billing.release_cleared_earnings,
        ),
        PeriodicJob(
            "billing.retry_stale_refunds", timedelta(minutes=5), c.billing.retry_stale_refunds
        ),
    )


async def _close(billing: BillingUseCases) -> None:
    await billing.deps.gateway.aclose()


MODULE = Module(
    name="billing",
    use_cases=_use_cases,
    policy=billing_policy,
    routes=_routes,
    root_routes=_root_routes,
    subscriptions=_subscriptions,
    periodic_jobs=_periodic_jobs,
    stores=(StoreDeclaration("billing", SqlaBillingStore, trackers=lambda s: s.tracking),),
    constraint_errors=billing_tables.CONSTRAINT_ERRORS,
    personal_data=lambda c: BillingPersonalData(),
    report_sources=lambda c: billing_reports(),
    tables=billing_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "billing",
    close=_close,
)
