"""What other contexts may call of identity: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on identity's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import IdentityUnitOfWork
from elearn.application.ports import Transaction

# Re-exported: tutoring's read-side queries pick bookable tutors by these stored values in SQL.
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import AccountStatus, TutorApproval

__all__ = ["AccountStatus", "IdentityApi", "Person", "Role", "TutorApproval", "TutorTerms"]


@dataclass(frozen=True, slots=True)
class Person:
    """Who someone is, as far as writing to them, naming them or booking them goes."""

    id: UUID
    full_name: str
    email: str
    offers_lessons: bool  # an approved tutor whose account is active


@dataclass(frozen=True, slots=True)
class TutorTerms:
    """What a tutor's profile says about taking lessons with them."""

    hourly_rate_amount: int | None
    hourly_rate_currency: str | None
    time_zone: str
    meeting_url: str | None


class IdentityApi:
    """Identity's facade for other contexts, built by the composition root."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    # ---- people and tutors' terms (billing, tutoring) -----------------------------------------
    async def person(self, transaction: Transaction, user_id: UUID) -> Person | None:
        user = await transaction.as_context(IdentityUnitOfWork).users.get(user_id)
        if user is None:
            return None
        return Person(
            id=user.id,
            full_name=user.full_name,
            email=user.email.value,
            offers_lessons=user.is_approved_tutor and user.is_active,
        )

    async def tutor_terms(self, transaction: Transaction, tutor_id: UUID) -> TutorTerms | None:
        profile = await transaction.as_context(IdentityUnitOfWork).profiles.get_tutor(tutor_id)
        if profile is None:
            return None
        return TutorTerms(
            hourly_rate_amount=profile.hourly_rate_amount,
            hourly_rate_currency=profile.hourly_rate_currency,
            time_zone=profile.time_zone,
            meeting_url=profile.meeting_url,
        )
