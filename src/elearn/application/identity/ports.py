"""What identity use cases need from the outside: repositories, read-side queries, tokens,
rate limits and reference data."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.links import FrontEndLinks
from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.institutions import Institution
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import OneTimeToken, RefreshFamily, TokenPurpose
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import AccountStatus, TutorApproval, User, sessions_accepted
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.domain.shared.money import Money


# ---- repositories (write side, through the unit of work) ------------------------------------
def is_bookable_tutor(role: Role, approval: TutorApproval | None, status: AccountStatus) -> bool:
    """An approved tutor whose account is active: one students may book."""
    return (
        role is Role.TUTOR and approval is TutorApproval.APPROVED and status is AccountStatus.ACTIVE
    )


@dataclass(frozen=True, slots=True)
class UserFacts:
    """What another context may know of an account."""

    id: UUID
    email: str
    full_name: str
    role: Role
    status: AccountStatus
    email_verified: bool
    tutor_approval: TutorApproval | None
    two_factor_enabled: bool = False

    @classmethod
    def of(cls, user: User) -> UserFacts:
        return cls(
            id=user.id,
            email=user.email.value,
            full_name=user.full_name,
            role=user.role,
            status=user.status,
            email_verified=user.is_email_verified,
            tutor_approval=user.tutor_approval,
            two_factor_enabled=user.totp_enabled,
        )

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    @property
    def is_approved_tutor(self) -> bool:
        return self.role is Role.TUTOR and self.tutor_approval is TutorApproval.APPROVED

    @property
    def is_bookable_tutor(self) -> bool:
        """An approved tutor whose account is active: one students may book."""
        return is_bookable_tutor(self.role, self.tutor_approval, self.status)

    def as_actor(self) -> Actor:
        """The account acting on its own, as it is now (its role may have changed since it
        last signed in)."""
        return Actor(
            user_id=self.id,
            role=self.role,
            email_verified=self.email_verified,
            two_factor_enabled=self.two_factor_enabled,
        )


@dataclass(frozen=True, slots=True)
class ProfileLocale:
    """The time zone and language a profile gives (a tutor's first language taught)."""

    time_zone: str
    language: str | None


@dataclass(frozen=True, slots=True)
class Addressee:
    """An account as mail addresses it, with the locale of each profile it has (None where it
    has no such profile): which of them it presents is identity's rule, not the store's."""

    id: UUID
    email: str
    full_name: str
    role: Role
    tutor_approval: TutorApproval | None
    student: ProfileLocale | None
    tutor: ProfileLocale | None


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...

    async def get(self, user_id: UUID, *, for_update: bool = False) -> User | None: ...

    async def get_by_email(
        self, email: EmailAddress, *, for_update: bool = False
    ) -> User | None: ...

    async def active_ids_with_role(self, role: Role) -> list[UUID]: ...

    async def addressee(self, user_id: UUID) -> Addressee | None:
        """The account and its profiles' locales in one read (every email and notification
        asks it), as this transaction sees them."""
        ...

    async def facts(self, user_ids: Collection[UUID]) -> dict[UUID, UserFacts]:
        """What another context may know of those of the accounts that exist, by id, in one
        read of just those columns (an account this transaction holds, as it holds it)."""
        ...


@dataclass(frozen=True, slots=True)
class TutorStanding:
    """An account's standing as a tutor with the terms of its tutor profile (none without one):
    what booking a lesson with them needs, in one read."""

    role: Role
    status: AccountStatus
    tutor_approval: TutorApproval | None
    hourly_rate: Money | None
    time_zone: str
    meeting_url: str | None


class ProfileRepository(Protocol):
    async def get_student(self, user_id: UUID) -> StudentProfile | None: ...

    async def get_tutor(self, user_id: UUID) -> TutorProfile | None: ...

    async def tutor_standing(self, user_id: UUID) -> TutorStanding | None:
        """None when there is no such account. Reads the rows as stored: not for a transaction
        that has saved the profile or the account itself."""
        ...

    async def lock_tutor(self, user_id: UUID) -> None:
        """Holds the tutor's profile until commit: ratings written at once queue up."""
        ...

    async def set_tutor_rating(
        self, user_id: UUID, *, count: int, average: float | None
    ) -> None: ...

    async def save_student(self, profile: StudentProfile) -> None: ...

    async def save_tutor(self, profile: TutorProfile) -> None: ...


class InstitutionRepository(Protocol):
    async def add(self, institution: Institution) -> None: ...

    async def get(
        self, institution_id: UUID, *, for_update: bool = False
    ) -> Institution | None: ...

    async def owners_of_domains(
        self, domains: Iterable[str], *, other_than: UUID | None = None
    ) -> dict[str, UUID]:
        """Which of ``domains`` belong to an institution (other than ``other_than``), and to
        which."""
        ...


class TutorApplicationRepository(Protocol):
    async def add(self, application: TutorApplication) -> None: ...

    async def get(
        self, application_id: UUID, *, for_update: bool = False
    ) -> TutorApplication | None: ...

    async def pending_for_user(self, user_id: UUID) -> TutorApplication | None: ...


class OneTimeTokenRepository(Protocol):
    async def add(self, token: OneTimeToken) -> None: ...

    async def get_by_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> OneTimeToken | None: ...

    async def open_for(self, user_id: UUID, purpose: TokenPurpose) -> list[OneTimeToken]:
        """Tokens of that purpose neither used nor superseded (to supersede them)."""
        ...


class RefreshFamilyRepository(Protocol):
    async def add(self, family: RefreshFamily) -> None: ...

    async def get(self, family_id: UUID, *, for_update: bool = False) -> RefreshFamily | None: ...

    async def active_for_user(self, user_id: UUID) -> list[RefreshFamily]: ...

    async def started_since(self, user_id: UUID, since: datetime) -> bool:
        """Whether the user signed in (a family began) after ``since``, revoked since or not."""
        ...


# ---- read side -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserSummary:
    id: UUID
    email: str
    full_name: str
    role: Role
    status: AccountStatus
    email_verified: bool
    tutor_approval: str | None
    two_factor_enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UserFilter:
    role: Role | None = None
    status: AccountStatus | None = None
    search: str | None = None  # in email or name, case-insensitive
    email_verified: bool | None = None


@dataclass(frozen=True, slots=True)
class ApplicationSummary:
    id: UUID
    user_id: UUID
    email: str
    full_name: str
    headline: str
    subjects: tuple[str, ...]
    status: ApplicationStatus
    submitted_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    cv_key: str
    certificate_key: str
    # Links to open the documents, signed for the staff member who listed them, for a few
    # minutes (`GET /admin/tutor-applications/{id}/documents/cv|certificate`).
    cv_url: str | None = None
    certificate_url: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_id: UUID | None = None
    action: AuditAction | None = None
    target_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class PublicTutor:
    id: UUID
    full_name: str
    avatar_key: str | None
    profile: TutorProfile


@dataclass(frozen=True, slots=True)
class SessionAccount:
    """What a request needs to know about its caller's account."""

    id: UUID
    role: Role
    status: AccountStatus
    email_verified: bool
    sessions_valid_after: datetime | None
    two_factor_enabled: bool

    def accepts_sessions_issued_at(self, issued_at: datetime) -> bool:
        return sessions_accepted(
            status=self.status, sessions_valid_after=self.sessions_valid_after, issued_at=issued_at
        )


@dataclass(frozen=True, slots=True)
class LoginCredentials:
    user_id: UUID
    password_hash: str
    # The last event that ended all sessions (a password reset or change, ...): device tokens
    # issued before it are no longer known devices.
    sessions_valid_after: datetime | None = None


class IdentityQueries(Protocol):
    """Read-side queries: one SQL statement each, keyset-paginated (``cursor`` is opaque)."""

    async def users(
        self, filters: UserFilter, *, limit: int, cursor: str | None
    ) -> Page[UserSummary]: ...

    async def tutor_applications(
        self, status: ApplicationStatus | None, *, limit: int, cursor: str | None
    ) -> Page[ApplicationSummary]: ...

    async def audit_log(
        self, filters: AuditFilter, *, limit: int, cursor: str | None
    ) -> Page[AuditEntry]: ...

    async def approved_tutor(self, user_id: UUID) -> PublicTutor | None: ...

    async def session_account(self, user_id: UUID) -> SessionAccount | None: ...

    async def login_credentials(self, email: EmailAddress) -> LoginCredentials | None:
        """Read without taking a write lock, so the slow password check happens outside."""
        ...


@dataclass(frozen=True, slots=True)
class InstitutionView:
    id: UUID
    name: str
    country: str  # ISO 3166-1 alpha-2
    domains: tuple[str, ...]
    active: bool
    retired_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InstitutionFilter:
    """``q``: words of the name (accents and case ignored) or a domain; ``email_domain``: the
    part of an address after ``@``, matched by an institution's domain or a parent of it
    (``cs.tum.de`` by ``tum.de``); ``active``: None for both, retired ones included."""

    q: str | None = None
    country: str | None = None
    email_domain: str | None = None
    active: bool | None = True


class InstitutionQueries(Protocol):
    async def institutions(
        self, filters: InstitutionFilter, *, limit: int, cursor: str | None
    ) -> Page[InstitutionView]:
        """Names starting with the query (or a domain matched) first, then names holding it;
        alphabetical within each; one page of a keyset over that order."""
        ...


# ---- security services -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    session_id: UUID  # the refresh family (sign-in) the token was issued for
    role: Role
    token_id: str  # jti
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    token_id: str
    expires_in_seconds: int
    expires_at: datetime


class InvalidAccessToken(Exception):
    """Any reason at all: expired, forged, wrong audience, wrong type... (say nothing more)."""


class AccessTokens(Protocol):
    def issue(
        self, user_id: UUID, role: Role, now: datetime, *, session_id: UUID
    ) -> IssuedAccessToken: ...

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """Raises InvalidAccessToken."""
        ...


@dataclass(frozen=True, slots=True)
class SessionStanding:
    """What the revocation store says of one request's session and account, in one lookup."""

    session_revoked: bool
    # Changes whenever something authentication knows of the account changes (``accounts_
    # changed``): an account read under another generation may be out of date.
    account_generation: int


class RevokedAccessTokens(Protocol):
    """Deny-list of ended sessions (refresh families, by id) whose access tokens are refused
    until the last of them would have expired anyway, and the generation of each account's
    session facts (role, status, verification, two-factor, the cut of its sessions), which
    every process's cache of those facts is checked against."""

    async def revoke(self, token_id: str, until: datetime) -> None: ...

    async def is_revoked(self, token_id: str) -> bool: ...

    async def standing(self, session_id: str, account_id: str) -> SessionStanding:
        """Whether the session is revoked and the account's generation, in one round trip."""
        ...

    async def accounts_changed(self, account_ids: Collection[str]) -> None:
        """A new generation for each account: every process reads its facts afresh."""
        ...


class SecretTokens(Protocol):
    """Random opaque secrets (256 bits) and their one-way hashes for storage."""

    def new(self) -> str: ...

    def hash(self, token: str) -> str: ...


class TotpService(Protocol):
    def new_secret(self) -> str: ...

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str: ...

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        """The time step the code belongs to (allowing one step of clock drift), or None."""
        ...


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Counts one attempt; returns the seconds to wait when over ``limit`` in the window."""
        ...

    async def over_limit(self, key: str, *, limit: int) -> int | None:
        """Counts nothing; the seconds to wait when the window already holds ``limit`` hits."""
        ...

    async def forgive(self, key: str) -> None:
        """Takes one hit back from the current window (an attempt that turned out not to be
        one to count); a window with none left is left alone."""
        ...

    async def reset(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class DeviceClaims:
    """What a device token vouches for: this device signed in to this account before."""

    user_id: UUID
    device_id: str
    issued_at: datetime


class DeviceTokens(Protocol):
    """Signed tokens a client keeps after signing in (OWASP's device cookie)."""

    def issue(self, user_id: UUID, now: datetime) -> str: ...

    def verify(self, token: str, now: datetime) -> DeviceClaims | None:
        """None for anything forged, malformed, from the future or past its lifetime."""
        ...


class CommonPasswords(Protocol):
    def __contains__(self, password: object) -> bool: ...


@dataclass(frozen=True, slots=True)
class IdentityPolicy:
    """Tunable numbers of the identity rules (from settings)."""

    one_time_token_minutes: int = 10
    access_token_seconds: int = 900
    refresh_absolute_days: int = 30
    refresh_idle_days: int = 7
    # Failed sign-ins counted per client address (an IPv6 /64), per account from devices
    # without its device token, and per device token; the window they are counted in.
    login_attempts_per_ip: int = 20
    login_attempts_per_account: int = 10
    login_attempts_per_device: int = 10
    login_device_days: int = 90
    # The device cookie is sent over https only when the API is served over https.
    login_device_cookie_secure: bool = False
    login_window_seconds: int = 900
    emails_per_account: int = 5
    email_window_seconds: int = 3600
    app_name: str = "elearn"
    links: FrontEndLinks = field(default_factory=FrontEndLinks)
    # How long a signed link to an applicant's document stays valid.
    document_link_seconds: int = 300


@dataclass(frozen=True, slots=True)
class DocumentGrant:
    """What a signed link to an applicant's document allows: one staff member, one document of
    one application, until ``expires_at``."""

    viewer_id: UUID
    application_id: UUID
    document: str
    expires_at: datetime


class ApplicantDocumentLinks(Protocol):
    def sign(self, grant: DocumentGrant) -> str: ...

    def verifies(self, grant: DocumentGrant, signature: str) -> bool: ...


class IdentityUnitOfWork(Transaction, Protocol):
    """The identity context's unit of work: its own stores and nothing else."""

    users: UserRepository
    profiles: ProfileRepository
    institutions: InstitutionRepository
    tutor_applications: TutorApplicationRepository
    one_time_tokens: OneTimeTokenRepository
    refresh_families: RefreshFamilyRepository
