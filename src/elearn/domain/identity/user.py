from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.shared.errors import Conflict, Forbidden, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

MAX_FULL_NAME_LENGTH = 120


class EmailTaken(Conflict):
    code = "email-taken"


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRegistered(DomainEvent):
    event_type = "identity.user_registered"
    user_id: UUID
    email: str
    full_name: str
    role: Role


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class TutorApproval(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EmailNotVerified(Forbidden):
    code = "email-not-verified"

    def __init__(self) -> None:
        super().__init__("verify your email address first; we can send the link again")


class NotATutor(Forbidden):
    """Teaching needs a tutor account; this one never applied (a student, or staff)."""

    code = "not-a-tutor"

    def __init__(self) -> None:
        super().__init__(
            "only approved tutors teach; apply to teach from your account "
            "(POST /api/v1/me/tutor-application)"
        )


class TutorNotApproved(Forbidden):
    code = "tutor-not-approved"

    def __init__(self) -> None:
        super().__init__("your tutor application is waiting for approval by our staff")


class TutorApplicationRejected(Forbidden):
    code = "tutor-application-rejected"

    def __init__(self) -> None:
        super().__init__(
            "your tutor application was not approved; you may apply again "
            "(POST /api/v1/me/tutor-application)"
        )


class TwoFactorCodeRejected(RuleViolation):
    code = "invalid-otp"

    def __init__(
        self, message: str = "the one-time code is wrong, expired or already used"
    ) -> None:
        super().__init__(message)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmailVerificationRequested(DomainEvent):
    """Someone should get a fresh verification link: the worker issues the token and mails it,
    so the token itself is never stored in the clear, not even in the outbox."""

    event_type = "identity.email_verification_requested"
    user_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class PasswordResetRequested(DomainEvent):
    event_type = "identity.password_reset_requested"
    user_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class TutorApplicationDecided(DomainEvent):
    event_type = "identity.tutor_application_decided"
    user_id: UUID
    email: str
    full_name: str
    approved: bool
    reason: str | None


@dataclasses.dataclass(kw_only=True, eq=False)
class User(RecordsEvents):
    id: UUID
    email: EmailAddress
    full_name: str
    role: Role
    password_hash: str
    status: AccountStatus = AccountStatus.ACTIVE
    email_verified_at: datetime | None = None
    tutor_approval: TutorApproval | None = None
    # Access tokens issued before this instant are refused (password change, suspension...).
    sessions_valid_after: datetime | None = None
    totp_secret: str | None = None
    totp_enabled: bool = False
    totp_last_step: int | None = None
    recovery_code_hashes: tuple[str, ...] = ()
    avatar_key: str | None = None
    created_at: datetime

    @classmethod
    def register(
        cls,
        *,
        user_id: UUID,
        event_id: UUID,
        email: EmailAddress,
        full_name: str,
        role: Role,
        password_hash: str,
        now: datetime,
        email_verified: bool = False,
        tutor_approval: TutorApproval | None = None,
    ) -> User:
        name = _valid_full_name(full_name)
        if role is Role.TUTOR and tutor_approval is None:
            tutor_approval = TutorApproval.PENDING
        user = cls(
            id=user_id,
            email=email,
            full_name=name,
            role=role,
            password_hash=password_hash,
            email_verified_at=now if email_verified else None,
            tutor_approval=tutor_approval,
            created_at=now,
        )
        user.record(
            UserRegistered(
                event_id=event_id,
                occurred_at=now,
                user_id=user_id,
                email=email.value,
                full_name=name,
                role=role,
            )
        )
        return user

    # ---- state ---------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_approved_tutor(self) -> bool:
        return self.role is Role.TUTOR and self.tutor_approval is TutorApproval.APPROVED

    def accepts_sessions_issued_at(self, issued_at: datetime) -> bool:
        return sessions_accepted(
            status=self.status, sessions_valid_after=self.sessions_valid_after, issued_at=issued_at
        )

    def require_verified_email(self) -> None:
        """Buying, booking, posting, messaging and submitting for review need a verified email."""
        if not self.is_email_verified:
            raise EmailNotVerified()

    def require_approved_tutor(self) -> None:
        """Each way of not being an approved tutor has its own error: the answer says what to
        do next."""
        if self.is_approved_tutor:
            return
        if self.tutor_approval is TutorApproval.PENDING:
            raise TutorNotApproved()
        if self.tutor_approval is TutorApproval.REJECTED:
            raise TutorApplicationRejected()
        raise NotATutor()

    # ---- profile ---------------------------------------------------------------------------
    def rename(self, full_name: str) -> None:
        self.full_name = _valid_full_name(full_name)

    def set_avatar(self, storage_key: str | None) -> None:
        self.avatar_key = storage_key

    # ---- credentials -----------------------------------------------------------------------
    def verify_email(self, now: datetime) -> bool:
        """Returns False when it was already verified (a second click changes nothing)."""
        if self.email_verified_at is not None:
            return False
        self.email_verified_at = now
        return True

    def change_password(self, new_hash: str, now: datetime) -> None:
        """Every session ends: refresh families are revoked by the use case, access tokens by
        ``sessions_valid_after``."""
        self.password_hash = new_hash
        self.end_sessions(now)

    def upgrade_password_hash(self, new_hash: str) -> None:
        """Same password, stronger parameters: sessions go on."""
        self.password_hash = new_hash

    def end_sessions(self, now: datetime) -> None:
        # Millisecond precision, like the issue time of access tokens.
        self.sessions_valid_after = now.replace(microsecond=now.microsecond // 1000 * 1000)

    # ---- administration --------------------------------------------------------------------
    def suspend(self, now: datetime) -> None:
        if self.status is AccountStatus.SUSPENDED:
            raise IllegalTransition("account", self.status.value, "suspend")
        self.status = AccountStatus.SUSPENDED
        self.end_sessions(now)

    def reactivate(self) -> None:
        if self.status is AccountStatus.ACTIVE:
            raise IllegalTransition("account", self.status.value, "reactivate")
        self.status = AccountStatus.ACTIVE

    def change_role(self, role: Role, now: datetime) -> None:
        if role is self.role:
            return
        self.role = role
        if role is Role.TUTOR and self.tutor_approval is None:
            self.tutor_approval = TutorApproval.APPROVED  # staff made them a tutor
        self.end_sessions(now)

    def apply_as_tutor(self) -> None:
        if self.role is Role.TUTOR and self.tutor_approval is not TutorApproval.REJECTED:
            raise IllegalTransition("tutor application", self._tutor_state, "apply")
        if self.role in (Role.MANAGER, Role.ADMIN):
            raise IllegalTransition("tutor application", f"a {self.role.value}", "apply")
        self.tutor_approval = TutorApproval.PENDING

    def approve_as_tutor(self, now: datetime) -> None:
        if self.tutor_approval is not TutorApproval.PENDING:
            raise IllegalTransition("tutor application", self._tutor_state, "approve")
        self.tutor_approval = TutorApproval.APPROVED
        if self.role is not Role.TUTOR:
            self.role = Role.TUTOR
            self.end_sessions(now)

    def reject_as_tutor(self) -> None:
        if self.tutor_approval is not TutorApproval.PENDING:
            raise IllegalTransition("tutor application", self._tutor_state, "reject")
        self.tutor_approval = TutorApproval.REJECTED

    @property
    def _tutor_state(self) -> str:
        return self.tutor_approval.value if self.tutor_approval else "not a tutor"

    # ---- two-factor ------------------------------------------------------------------------
    def begin_totp_setup(self, secret: str) -> None:
        if self.totp_enabled:
            raise IllegalTransition("two-factor sign-in", "enabled", "set up")
        self.totp_secret = secret
        self.totp_last_step = None

    def enable_totp(self, step: int, recovery_code_hashes: tuple[str, ...]) -> None:
        if self.totp_enabled or self.totp_secret is None:
            raise IllegalTransition(
                "two-factor sign-in", "enabled" if self.totp_enabled else "not set up", "confirm"
            )
        self.accept_totp_step(step)
        self.totp_enabled = True
        self.recovery_code_hashes = recovery_code_hashes

    def disable_totp(self) -> None:
        if not self.totp_enabled:
            raise IllegalTransition("two-factor sign-in", "disabled", "disable")
        self.totp_enabled = False
        self.totp_secret = None
        self.totp_last_step = None
        self.recovery_code_hashes = ()

    def accept_totp_step(self, step: int) -> None:
        """A code is good once: a step at or before the last one accepted is a replay."""
        if self.totp_last_step is not None and step <= self.totp_last_step:
            raise TwoFactorCodeRejected()
        self.totp_last_step = step

    def use_recovery_code(self, code_hash: str) -> None:
        if code_hash not in self.recovery_code_hashes:
            raise TwoFactorCodeRejected()
        self.recovery_code_hashes = tuple(h for h in self.recovery_code_hashes if h != code_hash)

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, User) and other.id == self.id


def sessions_accepted(
    *, status: AccountStatus, sessions_valid_after: datetime | None, issued_at: datetime
) -> bool:
    """A session token is good while the account is active and the token was issued no earlier
    than the last event that ended all sessions (password change, suspension, role change)."""
    return status is AccountStatus.ACTIVE and (
        sessions_valid_after is None or issued_at >= sessions_valid_after
    )


def _valid_full_name(full_name: str) -> str:
    name = full_name.strip()
    if not name or len(name) > MAX_FULL_NAME_LENGTH:
        raise RuleViolation(
            f"a full name has 1 to {MAX_FULL_NAME_LENGTH} characters", code="invalid-full-name"
        )
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise RuleViolation(
            "a full name has no control characters (tabs, line breaks, NUL)",
            code="invalid-full-name",
        )
    return name
