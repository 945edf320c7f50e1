"""What other contexts may call of identity: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on identity's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from elearn.application.errors import NotFound, RateLimited
from elearn.application.identity.account import has_tutor_profile, presents_tutor_profile
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import IdentityUnitOfWork, UserFacts, is_bookable_tutor
from elearn.application.ports import Transaction
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import SessionRevoked
from elearn.domain.identity.user import AccountStatus, TutorApplicationDecided, TutorApproval, User
from elearn.domain.shared.money import Money

__all__ = [
    "AccountStatus",
    "IdentityApi",
    "Recipient",
    "Role",
    "SessionRevoked",
    "TutorApplicationDecided",
    "TutorApproval",
    "TutorTerms",
    "UserFacts",
    "recipient_of",
]


def _identity(uow: Transaction) -> IdentityUnitOfWork:
    """The caller's transaction with this context's stores. (mypy refuses a Protocol where a
    ``type[...]`` is expected; here the class only names the stores, it is never built.)"""
    return uow.as_context(IdentityUnitOfWork)  # type: ignore[type-abstract]


@dataclass(frozen=True, slots=True)
class TutorTerms:
    """What a tutor's profile says about taking lessons with them."""

    hourly_rate: Money | None
    time_zone: str
    meeting_url: str | None


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom an email goes to, and how they read it: the time zone and language of the profile
    they present (UTC and no preference when they have not said)."""

    id: UUID
    email: str
    full_name: str
    time_zone: str
    language: str | None


async def recipient_of(identity: IdentityUnitOfWork, user: User) -> Recipient:
    """The zone and language of the profile the account presents (see `has_tutor_profile`)."""
    zone, language = "UTC", None
    if has_tutor_profile(user):
        tutor = await identity.profiles.get_tutor(user.id)
        if tutor is not None:
            # The first language a tutor teaches in is the one they read best.
            zone, language = tutor.time_zone, next(iter(tutor.languages), None)
    else:
        student = await identity.profiles.get_student(user.id)
        if student is not None:
            zone, language = student.time_zone, student.language
    return Recipient(
        id=user.id,
        email=user.email.value,
        full_name=user.full_name,
        time_zone=zone,
        language=language,
    )


class IdentityApi:
    """Identity as other contexts see it, built by the composition root from its deps."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    # ---- for catalog and learning: accounts ------------------------------------------------
    async def user(self, uow: Transaction, user_id: UUID) -> UserFacts | None:
        return (await _identity(uow).users.facts([user_id])).get(user_id)

    async def users(self, uow: Transaction, user_ids: Collection[UUID]) -> dict[UUID, UserFacts]:
        """The facts of those of the accounts that exist, by id, read together."""
        return await _identity(uow).users.facts(user_ids)

    async def require_approved_tutor(self, uow: Transaction, user_id: UUID) -> UserFacts:
        """The account, which must have a verified email and be an approved tutor (the domain's
        errors say which is missing)."""
        user = await _identity(uow).users.get(user_id)
        if user is None:
            raise NotFound("there is no such account")
        user.require_verified_email()
        user.require_approved_tutor()
        return UserFacts.of(user)

    async def active_ids_with_role(self, uow: Transaction, role: Role) -> list[UUID]:
        """Everyone who holds ``role`` on an active account (the support desk's team leads)."""
        return await _identity(uow).users.active_ids_with_role(role)

    async def recipient(self, uow: Transaction, user_id: UUID) -> Recipient | None:
        """An account as an email addresses it; None when it is gone. One read: a sale's
        receipt and notifications each ask it, and the whole account aggregate and a profile
        read apart cost two statements and the loading of every column of the account."""
        found = await _identity(uow).users.addressee(user_id)
        if found is None:
            return None
        profile = (
            found.tutor
            if presents_tutor_profile(found.role, found.tutor_approval)
            else found.student
        )
        return Recipient(
            id=found.id,
            email=found.email,
            full_name=found.full_name,
            time_zone=profile.time_zone if profile is not None else "UTC",
            language=profile.language if profile is not None else None,
        )

    # ---- for tutoring: a tutor's terms and rating ---------------------------------------------
    async def tutor_terms(self, uow: Transaction, tutor_id: UUID) -> TutorTerms | None:
        profile = await _identity(uow).profiles.get_tutor(tutor_id)
        if profile is None:
            return None
        return TutorTerms(
            hourly_rate=profile.hourly_rate,
            time_zone=profile.time_zone,
            meeting_url=profile.meeting_url,
        )

    async def bookable_tutor_terms(self, uow: Transaction, tutor_id: UUID) -> TutorTerms | None:
        """The terms of a tutor students may book (an approved tutor whose account is active),
        in one read; None for anyone else. A bookable tutor without a profile has no rate."""
        standing = await _identity(uow).profiles.tutor_standing(tutor_id)
        if standing is None or not is_bookable_tutor(
            standing.role, standing.tutor_approval, standing.status
        ):
            return None
        return TutorTerms(
            hourly_rate=standing.hourly_rate,
            time_zone=standing.time_zone,
            meeting_url=standing.meeting_url,
        )

    async def hold_tutor_rating(self, uow: Transaction, tutor_id: UUID) -> None:
        """Locks the tutor's rating until the caller commits, so testimonials written at once
        each see every one committed before them and none is lost from the average."""
        await _identity(uow).profiles.lock_tutor(tutor_id)

    async def set_tutor_rating(
        self, uow: Transaction, tutor_id: UUID, *, count: int, average: float | None
    ) -> None:
        await _identity(uow).profiles.set_tutor_rating(tutor_id, count=count, average=average)

    # ---- for privacy: proving it is the person, and whether they came back -------------------
    async def password_matches(self, uow: Transaction, user_id: UUID, password: str) -> bool:
        """Whether ``password`` is the account's; guesses are limited per account like sign-in
        attempts (a stolen access token must not become a password oracle)."""
        deps = self._deps
        policy = deps.policy
        key = f"password-check:{user_id}"
        retry_after = await deps.rate_limiter.hit(
            key,
            limit=policy.login_attempts_per_account,
            window_seconds=policy.login_window_seconds,
        )
        if retry_after is not None:
            raise RateLimited(
                "too many password attempts; try again later", retry_after_seconds=retry_after
            )
        user = await _identity(uow).users.get(user_id)
        if user is None:
            await deps.hasher.verify_dummy(password)
            return False
        matches = await deps.hasher.verify(user.password_hash, password)
        if matches:
            await deps.rate_limiter.reset(key)
        return matches

    async def signed_in_since(self, uow: Transaction, user_id: UUID, since: datetime) -> bool:
        """Whether the person signed in after ``since`` (a session begun, ended since or not)."""
        return await _identity(uow).refresh_families.started_since(user_id, since)
