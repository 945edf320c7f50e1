"""Withdrawals and payouts: a tutor asks, an admin decides, a worker pays out.

The payout is the one place money leaves the platform, so it is written for a worker that may
die at any point and a message that may come twice: the attempt is recorded before the gateway
is called; an earlier attempt's transfer is looked for before calling again (the provider
forgets idempotency keys after a day, and a message can be redelivered later than that); the
transfer carries ``payout:{withdrawal_id}`` as its idempotency key; and the ledger entry and the
paid mark commit together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.billing import deps as billing
from elearn.application.billing.deps import BillingDeps
from elearn.application.billing.ports import (
    BillingUnitOfWork,
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    WithdrawalView,
)
from elearn.application.errors import FieldError, InvalidInput, NotFound
from elearn.application.mail import EmailTemplates, MailAbout, PersonalMailer
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.billing import postings
from elearn.domain.billing.ledger import AccountKind, EntryKind
from elearn.domain.billing.withdrawal import (
    MAX_REASON,
    Withdrawal,
    WithdrawalFailed,
    WithdrawalStatus,
)
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import Conflict, RuleViolation
from elearn.domain.shared.events import DomainEvent

logger = logging.getLogger(__name__)


class WithdrawalNotFound(NotFound):
    code = "withdrawal-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such withdrawal")


class WithdrawalOpen(Conflict):
    code = "withdrawal-open"


class PayoutAccountMissing(RuleViolation):
    code = "payout-account-missing"


@dataclass(frozen=True, slots=True)
class PayoutAccountLink:
    account_id: str
    onboarding_url: str


class SetUpPayoutAccount:
    """The tutor's connected account at the payment provider, made on first use, and the link
    where they finish setting it up."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> PayoutAccountLink:
        deps = self._deps
        tutor_id = self._deps.authorizer.require(actor, Permission.WITHDRAW_EARNINGS)
        async with deps.uow(read_only=True) as uow:
            account_id = await uow.billing.payout_accounts.get(tutor_id)
            user = await deps.identity.user(uow, tutor_id)
        assert user is not None
        try:
            if account_id is None:
                account_id = await deps.gateway.create_payout_account(
                    user_id=tutor_id, email=user.email
                )
                async with deps.uow() as uow:
                    await uow.billing.payout_accounts.put(tutor_id, account_id, deps.clock.now())
                    await uow.commit()
            base = deps.policy.public_url.rstrip("/")
            url = await deps.gateway.onboarding_link(
                account_id,
                return_url=f"{base}/api/v1/me/earnings",
                refresh_url=f"{base}/api/v1/me/payout-account",
            )
        except GatewayError as error:
            raise billing.PaymentProviderUnavailable(
                "the payment provider did not answer; try again"
            ) from error
        return PayoutAccountLink(account_id=account_id, onboarding_url=url)


class RequestWithdrawal:
    """Moves ``amount`` of the tutor's available earnings to a withdrawal hold: at least the
    minimum, at most what is available, one open request per currency."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        amount: int,
        currency: str | None,
        *,
        idempotency_key: str | None = None,
    ) -> WithdrawalView:
        deps = self._deps
        tutor_id = self._deps.authorizer.require(actor, Permission.WITHDRAW_EARNINGS)
        found = deps.currency(currency or deps.policy.default_currency)
        money = billing.amount_in(found, amount)
        minimum = found.major(deps.policy.minimum_withdrawal_major)
        if money < minimum:
            raise InvalidInput(
                "the amount is below the least that can be withdrawn",
                errors=[FieldError("amount", f"is at least {minimum.amount} minor units")],
            )
        claim = billing.idempotency_claim(
            tutor_id, "withdrawal", idempotency_key, f"{money.amount} {money.currency}"
        )
        async with deps.uow() as uow:
            done = await billing.replay(uow, claim, _WithdrawalTaken, deps.clock.now())
            if done is None:
                # Locking the available balance first serialises a tutor's requests in this
                # currency, so the one-open-request check below cannot race.
                available = postings.tutor_account(
                    AccountKind.TUTOR_AVAILABLE, tutor_id, money.currency
                )
                await uow.billing.ledger.balances([available], for_update=True)
                if await uow.billing.withdrawals.open_for(tutor_id, money.currency):
                    raise WithdrawalOpen(
                        f"a withdrawal in {money.currency} is already waiting to be paid"
                    )
                if await uow.billing.payout_accounts.get(tutor_id) is None:
                    raise PayoutAccountMissing(
                        "set up where to be paid first (POST /api/v1/me/payout-account)"
                    )
                withdrawal = Withdrawal(
                    id=deps.ids.new_id(),
                    tutor_id=tutor_id,
                    amount=money,
                    requested_at=deps.clock.now(),
                )
                await deps.post(
                    uow,
                    key=f"withdrawal:{withdrawal.id}:hold",
                    kind=EntryKind.WITHDRAWAL_HOLD,
                    lines=postings.move(
                        tutor_id, money, AccountKind.TUTOR_AVAILABLE, AccountKind.TUTOR_HOLD
                    ),
                    reference_id=withdrawal.id,
                )
                await uow.billing.withdrawals.add(withdrawal)
                done = _WithdrawalTaken(withdrawal.id)
                await billing.remember(uow, claim, done)
                await uow.commit()
        return await _view(deps, done.withdrawal_id)


@dataclass(frozen=True, slots=True)
class _WithdrawalTaken:
    withdrawal_id: UUID


class ListWithdrawals:
    """A tutor's own withdrawals; with ``every_tutor``, an admin's view of all of them."""

    def __init__(self, deps: BillingDeps, *, every_tutor: bool) -> None:
        self._deps = deps
        self._every_tutor = every_tutor

    async def __call__(
        self,
        actor: Actor,
        status: WithdrawalStatus | None = None,
        *,
        tutor_id: UUID | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[WithdrawalView]:
        if self._every_tutor:
            self._deps.authorizer.authorize(actor, Permission.VIEW_ANY_WITHDRAWAL)
        else:
            tutor_id = require_signed_in(actor)
        check_limit(limit)
        return await page_of(
            self._deps.queries.withdrawals(tutor_id, status, limit=limit, cursor=cursor)
        )


class DecideWithdrawal:
    """An admin approves a request (a payout is owed, through the outbox) or rejects it (the
    hold goes back to available); audited."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def approve(self, actor: Actor, withdrawal_id: UUID) -> WithdrawalView:
        deps = self._deps
        admin_id = deps.authorizer.require(actor, Permission.DECIDE_WITHDRAWAL)
        async with deps.uow() as uow:
            withdrawal = await self._get(uow, withdrawal_id)
            withdrawal.approve(admin_id, deps.clock.now(), deps.ids.new_id())
            self._audit(uow, actor, AuditAction.WITHDRAWAL_APPROVED, withdrawal)
            await uow.commit()
        return await _view(deps, withdrawal_id)

    async def reject(self, actor: Actor, withdrawal_id: UUID, reason: str) -> WithdrawalView:
        deps = self._deps
        admin_id = deps.authorizer.require(actor, Permission.DECIDE_WITHDRAWAL)
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(
                "say why the withdrawal is rejected",
                errors=[FieldError("reason", f"is 1 to {MAX_REASON} characters")],
            )
        async with deps.uow() as uow:
            withdrawal = await self._get(uow, withdrawal_id)
            withdrawal.reject(admin_id, deps.clock.now(), reason)
            await release_hold(deps, uow, withdrawal)
            self._audit(uow, actor, AuditAction.WITHDRAWAL_REJECTED, withdrawal, reason=reason)
            await uow.commit()
        return await _view(deps, withdrawal_id)

    async def _get(self, uow: BillingUnitOfWork, withdrawal_id: UUID) -> Withdrawal:
        withdrawal = await uow.billing.withdrawals.get(withdrawal_id, for_update=True)
        if withdrawal is None:
            raise WithdrawalNotFound()
        return withdrawal

    def _audit(
        self,
        uow: BillingUnitOfWork,
        actor: Actor,
        action: AuditAction,
        withdrawal: Withdrawal,
        **details: Any,
    ) -> None:
        self._deps.audit(
            uow,
            actor,
            action,
            target_type="withdrawal",
            target_id=withdrawal.id,
            amount=withdrawal.amount.amount,
            currency=withdrawal.amount.currency,
            **details,
        )


async def release_hold(deps: BillingDeps, uow: BillingUnitOfWork, withdrawal: Withdrawal) -> None:
    await deps.post(
        uow,
        key=f"withdrawal:{withdrawal.id}:release",
        kind=EntryKind.WITHDRAWAL_RELEASE,
        lines=postings.move(
            withdrawal.tutor_id,
            withdrawal.amount,
            AccountKind.TUTOR_HOLD,
            AccountKind.TUTOR_AVAILABLE,
        ),
        reference_id=withdrawal.id,
    )


class PayOutWithdrawal:
    """The payout worker's handler for an approved withdrawal (at-least-once delivery).

    A gateway that cannot be reached raises, so the job is retried with backoff; a refusal for
    good returns the hold to available, marks the withdrawal failed and tells the tutor."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        deps = self._deps
        withdrawal_id: UUID = event.withdrawal_id  # type: ignore[attr-defined]
        async with deps.uow() as uow:
            withdrawal = await uow.billing.withdrawals.get(withdrawal_id, for_update=True)
            if withdrawal is None or withdrawal.status is not WithdrawalStatus.APPROVED:
                return
            withdrawal.start_attempt(deps.clock.now())
            destination = await uow.billing.payout_accounts.get(withdrawal.tutor_id)
            await uow.commit()
        if destination is None:
            await self._failed(withdrawal_id, "the tutor has no payout account")
            return
        group = withdrawal.payout_key
        try:
            transfer_id = await deps.gateway.find_transfer(group=group)
        except GatewayRejected as error:
            # Not knowing whether an earlier attempt paid is never a reason to give the money
            # back: retry (a bad key gets fixed) rather than risk paying twice.
            raise GatewayUnavailable(f"looking for an earlier transfer failed: {error}") from error
        try:
            if transfer_id is None:
                transfer_id = await deps.gateway.transfer(
                    destination=destination,
                    amount=withdrawal.amount,
                    idempotency_key=withdrawal.payout_key,
                    group=group,
                )
        except GatewayRejected as error:
            await self._failed(withdrawal_id, str(error) or "the provider refused the payout")
            return
        await self._paid(withdrawal_id, transfer_id)

    async def _paid(self, withdrawal_id: UUID, transfer_id: str) -> None:
        deps = self._deps
        async with deps.uow() as uow:
            withdrawal = await uow.billing.withdrawals.get(withdrawal_id, for_update=True)
            if withdrawal is None or withdrawal.status is not WithdrawalStatus.APPROVED:
                return
            await deps.post(
                uow,
                key=f"withdrawal:{withdrawal.id}:payout",
                kind=EntryKind.PAYOUT,
                lines=postings.payout(withdrawal.tutor_id, withdrawal.amount),
                memo=transfer_id,
                reference_id=withdrawal.id,
            )
            withdrawal.mark_paid(transfer_id, deps.clock.now(), deps.ids.new_id())
            await uow.commit()

    async def _failed(self, withdrawal_id: UUID, reason: str) -> None:
        deps = self._deps
        async with deps.uow() as uow:
            withdrawal = await uow.billing.withdrawals.get(withdrawal_id, for_update=True)
            if withdrawal is None or withdrawal.status is not WithdrawalStatus.APPROVED:
                return
            await release_hold(deps, uow, withdrawal)
            withdrawal.mark_failed(reason, deps.clock.now(), deps.ids.new_id())
            await uow.commit()


class SendPayoutFailedEmail:
    """Tells the tutor their payout failed and the money is available again."""

    def __init__(
        self, deps: BillingDeps, mailer: PersonalMailer, templates: EmailTemplates
    ) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, WithdrawalFailed)
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            tutor = await deps.identity.recipient(uow, event.tutor_id)
            withdrawal = await uow.billing.withdrawals.get(event.withdrawal_id)
        if tutor is None or withdrawal is None:
            return
        currency = deps.currency(withdrawal.amount.currency)
        context: dict[str, object] = {
            "full_name": tutor.full_name,
            "amount": currency.format(withdrawal.amount),
            "reason": withdrawal.failure_reason or "",
            "earnings_url": deps.policy.links.earnings(),
        }
        message = self._templates.render(
            "payout_failed", context, to=[tutor.email], language=tutor.language
        )
        await self._mailer.send(message, MailAbout(event.tutor_id, "payout", str(event.event_id)))


async def _view(deps: BillingDeps, withdrawal_id: UUID) -> WithdrawalView:
    view = await deps.queries.withdrawal(withdrawal_id)
    if view is None:
        raise WithdrawalNotFound()
    return view
