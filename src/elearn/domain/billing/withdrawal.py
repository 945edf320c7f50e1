"""Withdrawals: a tutor asks for their available earnings, an admin decides, a worker pays out.

``requested → approved → paid | failed`` and ``requested → rejected``. The amount sits in the
tutor's withdrawal hold from the request until it is paid out (hold → payouts) or given back
(hold → available, when rejected or failed).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from elearn.domain.shared.errors import IllegalTransition
from elearn.domain.shared.events import DomainEvent, RecordsEvents
from elearn.domain.shared.money import Money

MAX_REASON = 500


class WithdrawalStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"
    FAILED = "failed"
    REJECTED = "rejected"


OPEN = frozenset({WithdrawalStatus.REQUESTED, WithdrawalStatus.APPROVED})


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithdrawalApproved(DomainEvent):
    """A payout is owed: the payout worker reacts to it."""

    event_type: ClassVar[str] = "billing.withdrawal_approved"
    withdrawal_id: UUID
    tutor_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithdrawalFailed(DomainEvent):
    event_type: ClassVar[str] = "billing.withdrawal_failed"
    withdrawal_id: UUID
    tutor_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithdrawalPaid(DomainEvent):
    """The payout left the platform: the money is on its way to the tutor's account."""

    event_type: ClassVar[str] = "billing.withdrawal_paid"
    withdrawal_id: UUID
    tutor_id: UUID


@dataclass(kw_only=True, eq=False)
class Withdrawal(RecordsEvents):
    id: UUID
    tutor_id: UUID
    amount: Money
    requested_at: datetime
    status: WithdrawalStatus = WithdrawalStatus.REQUESTED
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    # The payout: every attempt is counted before the gateway is called, so a redelivered
    # message knows an earlier one may have sent money and looks for its transfer first.
    payout_attempts: int = 0
    last_attempt_at: datetime | None = None
    transfer_id: str | None = None
    paid_at: datetime | None = None
    failure_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def _move(self, allowed: WithdrawalStatus, to: WithdrawalStatus, action: str) -> None:
        if self.status is not allowed:
            raise IllegalTransition("withdrawal", self.status.value, action)
        self.status = to

    def approve(self, admin_id: UUID, now: datetime, event_id: UUID) -> None:
        self._move(WithdrawalStatus.REQUESTED, WithdrawalStatus.APPROVED, "approve")
        self.decided_by, self.decided_at = admin_id, now
        self.record(
            WithdrawalApproved(
                event_id=event_id, occurred_at=now, withdrawal_id=self.id, tutor_id=self.tutor_id
            )
        )

    def reject(self, admin_id: UUID, now: datetime, reason: str) -> None:
        self._move(WithdrawalStatus.REQUESTED, WithdrawalStatus.REJECTED, "reject")
        self.decided_by, self.decided_at = admin_id, now
        self.reason = reason[:MAX_REASON]

    def start_attempt(self, now: datetime) -> None:
        if self.status is not WithdrawalStatus.APPROVED:
            raise IllegalTransition("withdrawal", self.status.value, "pay out")
        self.payout_attempts += 1
        self.last_attempt_at = now

    def mark_paid(self, transfer_id: str, now: datetime, event_id: UUID) -> None:
        self._move(WithdrawalStatus.APPROVED, WithdrawalStatus.PAID, "mark paid")
        self.transfer_id = transfer_id
        self.paid_at = now
        self.record(
            WithdrawalPaid(
                event_id=event_id, occurred_at=now, withdrawal_id=self.id, tutor_id=self.tutor_id
            )
        )

    def mark_failed(self, reason: str, now: datetime, event_id: UUID) -> None:
        self._move(WithdrawalStatus.APPROVED, WithdrawalStatus.FAILED, "mark failed")
        self.failure_reason = reason[:MAX_REASON]
        self.paid_at = None
        self.record(
            WithdrawalFailed(
                event_id=event_id, occurred_at=now, withdrawal_id=self.id, tutor_id=self.tutor_id
            )
        )

    @property
    def payout_key(self) -> str:
        """The idempotency key toward the payment provider: our own id, never random."""
        return f"payout:{self.id}"
