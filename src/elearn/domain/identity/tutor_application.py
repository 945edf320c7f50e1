"""A request to teach: documents in, a staff decision out."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import IllegalTransition, RuleViolation

MAX_REJECTION_REASON = 2000


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclasses.dataclass(kw_only=True, eq=False)
class TutorApplication:
    id: UUID
    user_id: UUID
    headline: str
    subjects: tuple[str, ...]
    cv_key: str
    certificate_key: str
    status: ApplicationStatus = ApplicationStatus.PENDING
    submitted_at: datetime
    decided_at: datetime | None = None
    decided_by: UUID | None = None
    rejection_reason: str | None = None

    def approve(self, *, by: UUID, now: datetime) -> None:
        self._decide("approve")
        self.status = ApplicationStatus.APPROVED
        self.decided_by = by
        self.decided_at = now

    def reject(self, *, by: UUID, reason: str, now: datetime) -> None:
        reason = reason.strip()
        if not reason or len(reason) > MAX_REJECTION_REASON:
            raise RuleViolation(
                f"a rejection needs a reason of 1 to {MAX_REJECTION_REASON} characters",
                code="reason-required",
            )
        self._decide("reject")
        self.status = ApplicationStatus.REJECTED
        self.rejection_reason = reason
        self.decided_by = by
        self.decided_at = now

    def _decide(self, action: str) -> None:
        if self.status is not ApplicationStatus.PENDING:
            raise IllegalTransition("tutor application", self.status.value, action)
