"""Fakes of the application's ports, for use-case tests.

They behave like the real adapters where a use case could tell the difference: the unit of
work keeps nothing until ``commit()`` (rows, events, audit entries), collects the events of
every aggregate its repositories handed out or received (as ``SqlaUnitOfWork`` does), enforces
the unique keys the database enforces (email address, one-time token hash), and hands out
copies, so a change that is not committed is not kept.

``make_identity_deps(**overrides)`` wires all of them into an ``IdentityDeps``; pass the fakes
you want to inspect (``uow=``, ``clock=``, ``storage=``...) and it builds the rest around them.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import math
from collections.abc import AsyncIterable, AsyncIterator, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar
from urllib.parse import quote
from uuid import NAMESPACE_URL, UUID, uuid5

from elearn.adapters.security.applicant_document_links import HmacApplicantDocumentLinks
from elearn.adapters.security.device_tokens import HmacDeviceTokens
from elearn.application.authorization import Authorizer
from elearn.application.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from elearn.application.files import (
    DEFAULT_UPLOAD_POLICIES,
    EXTENSION_FOR_MEDIA_TYPE,
    EmptyFile,
    RangeNotSatisfiable,
    StoredFile,
    UploadPurpose,
    sanitize_filename,
)
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import (
    AccessClaims,
    Addressee,
    ApplicationSummary,
    AuditFilter,
    IdentityPolicy,
    InvalidAccessToken,
    IssuedAccessToken,
    LoginCredentials,
    ProfileLocale,
    PublicTutor,
    SessionAccount,
    SessionStanding,
    UserFacts,
    UserFilter,
    UserSummary,
)
from elearn.application.mail import EmailMessage
from elearn.application.paging import InvalidCursor, Page
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.institutions import Institution
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import OneTimeToken, RefreshFamily, TokenPurpose
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import EmailTaken, TutorApproval, User
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.events import DomainEvent

__all__ = [
    "FakeAccessTokens",
    "FakeAuditLog",
    "FakeCommonPasswords",
    "FakeIdentityQueries",
    "FakeOneTimeTokenRepository",
    "FakePasswordHasher",
    "FakeProfileRepository",
    "FakeRateLimiter",
    "FakeReferenceData",
    "FakeRefreshFamilyRepository",
    "FakeRevokedAccessTokens",
    "FakeSecretTokens",
    "FakeStorage",
    "FakeTotp",
    "FakeTutorApplicationRepository",
    "FakeUnitOfWork",
    "FakeUserRepository",
    "FixedClock",
    "RecordingMailer",
    "SequentialIds",
    "make_identity_deps",
    "make_user",
]

T = TypeVar("T")

DEFAULT_PASSWORD = "correct horse battery staple"


# ---- repositories ----------------------------------------------------------------------------
class _TrackingRepository(Generic[T]):
    """Rows of one table as one transaction sees them: what was committed, loaded as copies on
    first read, plus what this transaction added. ``merged()`` is the table if it committed."""

    def __init__(self, committed: dict[Any, T], key: Callable[[T], Any]) -> None:
        self._committed = committed
        self._key = key
        self._tracked: dict[Any, T] = {}

    @property
    def seen(self) -> list[T]:
        return list(self._tracked.values())

    def _track(self, item: T) -> None:
        self._tracked[self._key(item)] = item

    def _load(self, key: Any) -> T | None:
        if key in self._tracked:
            return self._tracked[key]
        stored = self._committed.get(key)
        if stored is None:
            return None
        item = copy.deepcopy(stored)
        self._tracked[key] = item
        return item

    def _rows(self) -> list[T]:
        """Every row, loading (and so tracking) the committed ones not seen yet."""
        for key in list(self._committed):
            self._load(key)
        return list(self._tracked.values())

    def merged(self) -> dict[Any, T]:
        return {**self._committed, **self._tracked}


class FakeUserRepository(_TrackingRepository[User]):
    """Users of one transaction: reads see what was committed plus what this transaction added."""

    def __init__(self, committed: dict[UUID, User], profiles: FakeProfileRepository) -> None:
        super().__init__(committed, lambda user: user.id)
        self._profiles = profiles

    async def addressee(self, user_id: UUID) -> Addressee | None:
        user = self._load(user_id)
        if user is None:
            return None
        student = await self._profiles.get_student(user_id)
        tutor = await self._profiles.get_tutor(user_id)
        return Addressee(
            id=user.id,
            email=user.email.value,
            full_name=user.full_name,
            role=user.role,
            tutor_approval=user.tutor_approval,
            student=None if student is None else ProfileLocale(student.time_zone, student.language),
            tutor=(
                None
                if tutor is None
                else ProfileLocale(tutor.time_zone, next(iter(tutor.languages), None))
            ),
        )

    async def add(self, user: User) -> None:
        self._track(user)

    async def get(self, user_id: UUID, *, for_update: bool = False) -> User | None:
        return self._load(user_id)

    async def get_by_email(self, email: EmailAddress, *, for_update: bool = False) -> User | None:
        for user in self._tracked.values():
            if user.email == email:
                return user
        for stored in self._committed.values():
            if stored.email == email:
                return self._load(stored.id)
        return None

    async def facts(self, user_ids: Collection[UUID]) -> dict[UUID, UserFacts]:
        loaded = (self._load(user_id) for user_id in user_ids)
        return {user.id: UserFacts.of(user) for user in loaded if user is not None}


class FakeProfileRepository:
    """Student and tutor profiles, one of each kind per user at most."""

    def __init__(
        self, students: dict[UUID, StudentProfile], tutors: dict[UUID, TutorProfile]
    ) -> None:
        self.students = _TrackingRepository(students, lambda profile: profile.user_id)
        self.tutors = _TrackingRepository(tutors, lambda profile: profile.user_id)

    async def get_student(self, user_id: UUID) -> StudentProfile | None:
        return self.students._load(user_id)

    async def get_tutor(self, user_id: UUID) -> TutorProfile | None:
        return self.tutors._load(user_id)

    async def save_student(self, profile: StudentProfile) -> None:
        self.students._track(profile)

    async def save_tutor(self, profile: TutorProfile) -> None:
        self.tutors._track(profile)


class FakeInstitutionRepository(_TrackingRepository[Institution]):
    def __init__(self, committed: dict[UUID, Institution]) -> None:
        super().__init__(committed, lambda institution: institution.id)

    async def add(self, institution: Institution) -> None:
        self._track(institution)

    async def get(self, institution_id: UUID, *, for_update: bool = False) -> Institution | None:
        return self._load(institution_id)

    async def owners_of_domains(
        self, domains: Iterable[str], *, other_than: UUID | None = None
    ) -> dict[str, UUID]:
        wanted = set(domains)
        return {
            domain: institution.id
            for institution in self._rows()
            if institution.id != other_than
            for domain in institution.domains
            if domain in wanted
        }


class FakeTutorApplicationRepository(_TrackingRepository[TutorApplication]):
    def __init__(self, committed: dict[UUID, TutorApplication]) -> None:
        super().__init__(committed, lambda application: application.id)

    async def add(self, application: TutorApplication) -> None:
        self._track(application)

    async def get(
        self, application_id: UUID, *, for_update: bool = False
    ) -> TutorApplication | None:
        return self._load(application_id)

    async def pending_for_user(self, user_id: UUID) -> TutorApplication | None:
        for application in self._rows():
            if application.user_id == user_id and application.status is ApplicationStatus.PENDING:
                return application
        return None


class FakeOneTimeTokenRepository(_TrackingRepository[OneTimeToken]):
    def __init__(self, committed: dict[UUID, OneTimeToken]) -> None:
        super().__init__(committed, lambda token: token.id)

    async def add(self, token: OneTimeToken) -> None:
        self._track(token)

    async def get_by_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> OneTimeToken | None:
        for token in self._rows():
            if token.token_hash == token_hash:
                return token
        return None

    async def open_for(self, user_id: UUID, purpose: TokenPurpose) -> list[OneTimeToken]:
        return [
            token
            for token in self._rows()
            if token.user_id == user_id
            and token.purpose is purpose
            and token.used_at is None
            and token.superseded_at is None
        ]


class FakeRefreshFamilyRepository(_TrackingRepository[RefreshFamily]):
    def __init__(self, committed: dict[UUID, RefreshFamily]) -> None:
        super().__init__(committed, lambda family: family.id)

    async def add(self, family: RefreshFamily) -> None:
        self._track(family)

    async def get(self, family_id: UUID, *, for_update: bool = False) -> RefreshFamily | None:
        return self._load(family_id)

    async def active_for_user(self, user_id: UUID) -> list[RefreshFamily]:
        return [
            family for family in self._rows() if family.user_id == user_id and not family.is_revoked
        ]


class FakeAuditLog:
    """``entries`` holds what committed, in order; what a transaction adds waits until then."""

    def __init__(self, require_transaction: Callable[[], None] = lambda: None) -> None:
        self.entries: list[AuditEntry] = []
        self._pending: list[AuditEntry] = []
        self._require_transaction = require_transaction

    def add(self, entry: AuditEntry) -> None:
        self._require_transaction()
        self._pending.append(entry)

    @property
    def actions(self) -> list[AuditAction]:
        return [entry.action for entry in self.entries]

    def of(self, action: AuditAction) -> list[AuditEntry]:
        return [entry for entry in self.entries if entry.action is action]

    def _commit(self) -> None:
        self.entries.extend(self._pending)
        self._pending = []

    def _discard(self) -> None:
        self._pending = []


# ---- unit of work ----------------------------------------------------------------------------
class FakeUnitOfWork:
    """An in-memory unit of work. It is its own factory: ``uow()`` returns it, so a test can
    hand it to a use case as a ``TransactionFactory`` and inspect it afterwards.

    ``committed_*`` hold what was committed; ``events`` every event committed, in order (the
    outbox); ``audit.entries`` every audit entry committed; ``commits`` how many transactions
    committed. Seed it with ``FakeUnitOfWork(users=[...])`` or ``uow.seed(...)``.
    """

    def __init__(self, users: Iterable[User] | None = None, *seeds: object) -> None:
        self.committed_users: dict[UUID, User] = {}
        self.committed_student_profiles: dict[UUID, StudentProfile] = {}
        self.committed_tutor_profiles: dict[UUID, TutorProfile] = {}
        self.committed_applications: dict[UUID, TutorApplication] = {}
        self.committed_institutions: dict[UUID, Institution] = {}
        self.committed_tokens: dict[UUID, OneTimeToken] = {}
        self.committed_families: dict[UUID, RefreshFamily] = {}
        self.events: list[DomainEvent] = []
        self.commits = 0
        self.audit = FakeAuditLog(self._require_transaction)
        self._active = False
        self._published: list[DomainEvent] = []
        self._open_repositories()
        self.seed(*(users or ()), *seeds)

    def seed(self, *objects: object) -> None:
        """Stores copies of users, profiles, applications, tokens, families and audit entries
        as if an earlier transaction had committed them (their pending events are dropped)."""
        for item in objects:
            if isinstance(item, User):
                item.pull_events()
                self.committed_users[item.id] = copy.deepcopy(item)
            elif isinstance(item, StudentProfile):
                self.committed_student_profiles[item.user_id] = copy.deepcopy(item)
            elif isinstance(item, TutorProfile):
                self.committed_tutor_profiles[item.user_id] = copy.deepcopy(item)
            elif isinstance(item, TutorApplication):
                self.committed_applications[item.id] = copy.deepcopy(item)
            elif isinstance(item, Institution):
                self.committed_institutions[item.id] = copy.deepcopy(item)
            elif isinstance(item, OneTimeToken):
                self.committed_tokens[item.id] = copy.deepcopy(item)
            elif isinstance(item, RefreshFamily):
                self.committed_families[item.id] = copy.deepcopy(item)
            elif isinstance(item, AuditEntry):
                self.audit.entries.append(item)
            else:
                raise TypeError(f"FakeUnitOfWork cannot store {type(item).__name__}")

    def __call__(self, *, read_only: bool = False) -> Self:
        return self

    async def __aenter__(self) -> Self:
        if self._active:
            raise RuntimeError("FakeUnitOfWork is already in a transaction")
        self._active = True
        self._published = []
        self.audit._discard()
        self._open_repositories()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Like the real one: leaving without commit() throws away what was not committed.
        await self.rollback()
        self._active = False

    def as_context(self, unit_of_work: type[Any]) -> Any:
        return self

    def publish(self, *events: DomainEvent) -> None:
        self._require_transaction()
        self._published.extend(events)

    async def commit(self) -> None:
        self._require_transaction()
        users = self.users.merged()
        emails = [user.email for user in users.values()]
        if len(emails) != len(set(emails)):
            await self.rollback()
            # what the persistence adapter turns the unique-constraint violation into
            raise EmailTaken("that email address already has an account")
        tokens = self.one_time_tokens.merged()
        hashes = [token.token_hash for token in tokens.values()]
        if len(hashes) != len(set(hashes)):
            await self.rollback()
            raise Conflict("a one-time token with that hash exists", code="duplicate-token")
        events = list(self._published)
        for user in self.users.seen:
            events.extend(user.pull_events())
        for committed, rows in (
            (self.committed_users, users),
            (self.committed_student_profiles, self.profiles.students.merged()),
            (self.committed_tutor_profiles, self.profiles.tutors.merged()),
            (self.committed_applications, self.tutor_applications.merged()),
            (self.committed_institutions, self.institutions.merged()),
            (self.committed_tokens, tokens),
            (self.committed_families, self.refresh_families.merged()),
        ):
            snapshot = {key: copy.deepcopy(row) for key, row in rows.items()}
            committed.clear()
            committed.update(snapshot)
        self.events.extend(events)
        self.audit._commit()
        self.commits += 1
        self._published = []
        # The repositories keep tracking what they handed out, as the real ones do after commit.

    async def rollback(self) -> None:
        self._published = []
        self.audit._discard()
        self._open_repositories()

    # ---- inspection (copies of committed state) ----------------------------------------------
    def stored_users(self) -> list[User]:
        return [copy.deepcopy(user) for user in self.committed_users.values()]

    def stored_user(self, user_id: UUID) -> User:
        return copy.deepcopy(self.committed_users[user_id])

    def stored_student_profile(self, user_id: UUID) -> StudentProfile | None:
        return copy.deepcopy(self.committed_student_profiles.get(user_id))

    def stored_tutor_profile(self, user_id: UUID) -> TutorProfile | None:
        return copy.deepcopy(self.committed_tutor_profiles.get(user_id))

    def stored_institution(self, institution_id: UUID) -> Institution:
        return copy.deepcopy(self.committed_institutions[institution_id])

    def stored_applications(self) -> list[TutorApplication]:
        return [copy.deepcopy(a) for a in self.committed_applications.values()]

    def stored_tokens(self) -> list[OneTimeToken]:
        return [copy.deepcopy(token) for token in self.committed_tokens.values()]

    def stored_families(self, user_id: UUID | None = None) -> list[RefreshFamily]:
        return [
            copy.deepcopy(family)
            for family in self.committed_families.values()
            if user_id is None or family.user_id == user_id
        ]

    def _open_repositories(self) -> None:
        self.profiles = FakeProfileRepository(
            self.committed_student_profiles, self.committed_tutor_profiles
        )
        self.users = FakeUserRepository(self.committed_users, self.profiles)
        self.tutor_applications = FakeTutorApplicationRepository(self.committed_applications)
        self.institutions = FakeInstitutionRepository(self.committed_institutions)
        self.one_time_tokens = FakeOneTimeTokenRepository(self.committed_tokens)
        self.refresh_families = FakeRefreshFamilyRepository(self.committed_families)

    def _require_transaction(self) -> None:
        if not self._active:
            raise RuntimeError("use the unit of work inside `async with`")


# ---- read side -------------------------------------------------------------------------------
_SortKey = tuple[datetime, UUID]


def _encode_cursor(key: _SortKey) -> str:
    return f"{key[0].isoformat()}|{key[1]}"


def _decode_cursor(cursor: str) -> _SortKey:
    at, separator, identifier = cursor.partition("|")
    try:
        if not separator:
            raise ValueError(cursor)
        return datetime.fromisoformat(at), UUID(identifier)
    except ValueError:
        raise InvalidCursor(f"not a cursor: {cursor!r}") from None


def _paginate(
    rows: Iterable[T],
    key: Callable[[T], _SortKey],
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> Page[T]:
    """Keyset pagination as the SQL queries do it: the cursor is the sort key of the last row."""
    ordered = sorted(rows, key=key, reverse=newest_first)
    if cursor is not None:
        after = _decode_cursor(cursor)
        if newest_first:
            ordered = [row for row in ordered if key(row) < after]
        else:
            ordered = [row for row in ordered if key(row) > after]
    items = ordered[:limit]
    more = len(ordered) > limit
    return Page(items=items, next_cursor=_encode_cursor(key(items[-1])) if more else None)


def _summary(user: User) -> UserSummary:
    return UserSummary(
        id=user.id,
        email=user.email.value,
        full_name=user.full_name,
        role=user.role,
        status=user.status,
        email_verified=user.is_email_verified,
        tutor_approval=user.tutor_approval.value if user.tutor_approval else None,
        two_factor_enabled=user.totp_enabled,
        created_at=user.created_at,
    )


class FakeIdentityQueries:
    """The read side over a ``FakeUnitOfWork``'s committed state (reads never see a transaction
    in progress). ``calls`` counts the queries asked."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.calls = 0

    async def users(
        self, filters: UserFilter, *, limit: int, cursor: str | None
    ) -> Page[UserSummary]:
        self.calls += 1
        search = filters.search.casefold() if filters.search else None
        rows = [
            _summary(user)
            for user in self._uow.committed_users.values()
            if (filters.role is None or user.role is filters.role)
            and (filters.status is None or user.status is filters.status)
            and (filters.email_verified is None or user.is_email_verified is filters.email_verified)
            and (
                search is None
                or search in user.email.value.casefold()
                or search in user.full_name.casefold()
            )
        ]
        return _paginate(rows, lambda row: (row.created_at, row.id), limit=limit, cursor=cursor)

    async def tutor_applications(
        self, status: ApplicationStatus | None, *, limit: int, cursor: str | None
    ) -> Page[ApplicationSummary]:
        self.calls += 1
        rows = []
        for application in self._uow.committed_applications.values():
            if status is not None and application.status is not status:
                continue
            user = self._uow.committed_users[application.user_id]
            rows.append(
                ApplicationSummary(
                    id=application.id,
                    user_id=application.user_id,
                    email=user.email.value,
                    full_name=user.full_name,
                    headline=application.headline,
                    subjects=application.subjects,
                    status=application.status,
                    submitted_at=application.submitted_at,
                    decided_at=application.decided_at,
                    rejection_reason=application.rejection_reason,
                    cv_key=application.cv_key,
                    certificate_key=application.certificate_key,
                )
            )
        return _paginate(rows, lambda row: (row.submitted_at, row.id), limit=limit, cursor=cursor)

    async def audit_log(
        self, filters: AuditFilter, *, limit: int, cursor: str | None
    ) -> Page[AuditEntry]:
        self.calls += 1
        rows = [
            entry
            for entry in self._uow.audit.entries
            if (filters.actor_id is None or entry.actor_id == filters.actor_id)
            and (filters.action is None or entry.action is filters.action)
            and (filters.target_id is None or entry.target_id == filters.target_id)
            and (filters.since is None or entry.at >= filters.since)
            and (filters.until is None or entry.at < filters.until)
        ]
        return _paginate(
            rows, lambda row: (row.at, row.id), limit=limit, cursor=cursor, newest_first=True
        )

    async def approved_tutor(self, user_id: UUID) -> PublicTutor | None:
        self.calls += 1
        user = self._uow.committed_users.get(user_id)
        if user is None or not user.is_approved_tutor or not user.is_active:
            return None
        profile = self._uow.committed_tutor_profiles.get(user_id) or TutorProfile(user_id=user_id)
        return PublicTutor(
            id=user.id,
            full_name=user.full_name,
            avatar_key=user.avatar_key,
            profile=copy.deepcopy(profile),
        )

    async def login_credentials(self, email: EmailAddress) -> LoginCredentials | None:
        self.calls += 1
        for user in self._uow.committed_users.values():
            if user.email == email:
                return LoginCredentials(user.id, user.password_hash, user.sessions_valid_after)
        return None

    async def session_account(self, user_id: UUID) -> SessionAccount | None:
        self.calls += 1
        user = self._uow.committed_users.get(user_id)
        if user is None:
            return None
        return SessionAccount(
            id=user.id,
            role=user.role,
            status=user.status,
            email_verified=user.is_email_verified,
            sessions_valid_after=user.sessions_valid_after,
            two_factor_enabled=user.totp_enabled,
        )


# ---- system ----------------------------------------------------------------------------------
class FixedClock:
    """A clock that shows the time it is told, in UTC, until a test moves it."""

    def __init__(self, at: datetime = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = at.astimezone(UTC)


class SequentialIds:
    """UUIDs 00000000-0000-0000-0000-000000000001, ...2, ... in order; ``issued`` lists them."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self.issued: list[UUID] = []

    def new_id(self) -> UUID:
        new = UUID(int=next(self._counter))
        self.issued.append(new)
        return new


# ---- security --------------------------------------------------------------------------------
class FakePasswordHasher:
    """Cheap and deterministic; the hash never contains the password itself."""

    PREFIX = "fake-sha256$"

    def __init__(self) -> None:
        self.hashed = 0
        self.dummy_verifications = 0

    async def hash(self, password: str) -> str:
        self.hashed += 1
        return self.hash_of(password)

    @classmethod
    def hash_of(cls, password: str) -> str:
        return cls.PREFIX + hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()

    async def verify(self, stored_hash: str, password: str) -> bool:
        return stored_hash == self.hash_of(password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return not stored_hash.startswith(self.PREFIX)

    async def verify_dummy(self, password: str) -> None:
        self.dummy_verifications += 1


class FakeCommonPasswords:
    """A handful of the most common passwords (the domain casefolds before asking)."""

    def __init__(self, passwords: Iterable[str] = ("password123", "1234567890", "qwertyuiop")):
        self._passwords = frozenset(passwords)

    def __contains__(self, password: object) -> bool:
        return password in self._passwords


class FakeSecretTokens:
    """Secrets ``token-0001``, ``token-0002``... in order (``issued`` lists them); the hash is a
    real SHA-256, so ``hash(x)`` is stable across instances and never contains ``x``."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.issued: list[str] = []

    def new(self) -> str:
        token = f"token-{next(self._counter):04d}"
        self.issued.append(token)
        return token

    def hash(self, token: str) -> str:
        return "sha256$" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class FakeAccessTokens:
    """Tokens ``access-1``, ``access-2``... with ids ``jti-1``...; ``verify`` knows only what it
    issued and refuses it from ``expires_at`` on."""

    def __init__(self, lifetime_seconds: int = 900) -> None:
        self._lifetime = lifetime_seconds
        self._counter = itertools.count(1)
        self.issued: dict[str, AccessClaims] = {}

    def issue(
        self, user_id: UUID, role: Role, now: datetime, *, session_id: UUID
    ) -> IssuedAccessToken:
        number = next(self._counter)
        expires_at = now + timedelta(seconds=self._lifetime)
        token = f"access-{number}"
        self.issued[token] = AccessClaims(
            user_id=user_id,
            session_id=session_id,
            role=role,
            token_id=f"jti-{number}",
            issued_at=now,
            expires_at=expires_at,
        )
        return IssuedAccessToken(
            token=token,
            token_id=f"jti-{number}",
            expires_in_seconds=self._lifetime,
            expires_at=expires_at,
        )

    def verify(self, token: str, now: datetime) -> AccessClaims:
        claims = self.issued.get(token)
        if claims is None or now >= claims.expires_at:
            raise InvalidAccessToken()
        return claims


class FakeRevokedAccessTokens:
    def __init__(self) -> None:
        self.revoked: dict[str, datetime] = {}
        self.generations: dict[str, int] = {}

    async def revoke(self, token_id: str, until: datetime) -> None:
        self.revoked[token_id] = until

    async def is_revoked(self, token_id: str) -> bool:
        return token_id in self.revoked

    async def standing(self, session_id: str, account_id: str) -> SessionStanding:
        return SessionStanding(
            session_revoked=session_id in self.revoked,
            account_generation=self.generations.get(account_id, 0),
        )

    async def accounts_changed(self, account_ids: Collection[str]) -> None:
        for account_id in account_ids:
            self.generations[account_id] = self.generations.get(account_id, 0) + 1


class FakeTotp:
    """Deterministic TOTP: 30-second steps of the clock; the code of a step is six digits
    derived from the step and the secret. ``code(secret)`` is the code valid now; a code of the
    previous or next step also matches (clock drift), as in the real service."""

    STEP_SECONDS = 30

    def __init__(self, clock: FixedClock | None = None) -> None:
        self._clock = clock or FixedClock()
        self._counter = itertools.count(1)

    def new_secret(self) -> str:
        return f"FAKETOTPSECRET{next(self._counter):04d}"

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        label = quote(f"{issuer}:{account}")
        return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}"

    @classmethod
    def step_at(cls, at: datetime) -> int:
        return int(at.timestamp()) // cls.STEP_SECONDS

    @staticmethod
    def code_for_step(secret: str, step: int) -> str:
        offset = int.from_bytes(hashlib.sha256(secret.encode()).digest()[:4], "big")
        return f"{(step + offset) % 1_000_000:06d}"

    def code(self, secret: str, at: datetime | None = None) -> str:
        return self.code_for_step(secret, self.step_at(at or self._clock.now()))

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        current = self.step_at(now)
        for step in (current - 1, current, current + 1):
            if self.code_for_step(secret, step) == code:
                return step
        return None


class FakeRateLimiter:
    """Fixed windows counted in memory; ``counts`` shows the attempts in each key's window.
    Without a clock the window never ends."""

    def __init__(self, clock: FixedClock | None = None) -> None:
        self._clock = clock
        self._window_start: dict[str, datetime | None] = {}
        self.counts: dict[str, int] = {}

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = self._clock.now() if self._clock else None
        start = self._window_start.get(key)
        expired = (
            now is not None
            and start is not None
            and (now - start).total_seconds() >= window_seconds
        )
        if key not in self.counts or expired:
            self._window_start[key] = now
            self.counts[key] = 0
            start = now
        self.counts[key] += 1
        if self.counts[key] <= limit:
            return None
        if now is None or start is None:
            return window_seconds
        return max(1, math.ceil(window_seconds - (now - start).total_seconds()))

    async def over_limit(self, key: str, *, limit: int) -> int | None:
        if self.counts.get(key, 0) < limit:
            return None
        return 1

    async def forgive(self, key: str) -> None:
        if self.counts.get(key, 0) > 0:
            self.counts[key] -= 1

    async def reset(self, key: str) -> None:
        self.counts.pop(key, None)
        self._window_start.pop(key, None)


class FakeReferenceData:
    """A few ISO 4217 currencies, ISO 3166 countries and ISO 639-1 languages, exact case."""

    def __init__(
        self,
        currencies: Iterable[str] = ("USD", "EUR", "GBP", "JPY", "NGN"),
        countries: Iterable[str] = ("US", "DE", "GB", "FR", "JP", "NG"),
        languages: Iterable[str] = ("en", "de", "fr", "es", "ja", "yo"),
    ) -> None:
        self.currencies = frozenset(currencies)
        self.countries = frozenset(countries)
        self.languages = frozenset(languages)

    def is_currency(self, code: str) -> bool:
        return code in self.currencies

    def is_country(self, code: str) -> bool:
        return code in self.countries

    def is_language(self, code: str) -> bool:
        return code in self.languages


# ---- files -----------------------------------------------------------------------------------
_MAGIC_NUMBERS = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
)

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF_BYTES = b"%PDF-1.7\n" + b"0" * 32


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    """An upload stream for tests."""
    for part in parts:
        yield part


class FakeStorage:
    """``FileStorage`` in memory: the same policies (size, sniffed media type, empty file) with
    a tiny magic-number sniffer (PDF, PNG, JPEG, GIF, ZIP). ``files`` maps keys to bytes;
    ``deleted`` lists the keys deleted; ``fail_on_save``/``fail_on_delete`` make the next calls
    raise."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.files: dict[str, bytes] = {}
        self.stored: dict[str, StoredFile] = {}
        self.deleted: list[str] = []
        self.fail_on_save: Exception | None = None
        self.fail_on_delete: Exception | None = None

    async def save(
        self,
        chunks: AsyncIterable[bytes],
        *,
        purpose: UploadPurpose,
        original_name: str | None = None,
    ) -> StoredFile:
        if self.fail_on_save is not None:
            raise self.fail_on_save
        policy = DEFAULT_UPLOAD_POLICIES[purpose]
        content = bytearray()
        async for chunk in chunks:
            content.extend(chunk)
            if len(content) > policy.max_bytes:
                raise PayloadTooLarge(f"a {purpose.value} has at most {policy.max_bytes} bytes")
        if not content:
            raise EmptyFile("the file is empty")
        media_type = next(
            (kind for magic, kind in _MAGIC_NUMBERS if content.startswith(magic)), None
        )
        if media_type is None or not policy.allows(media_type):
            raise UnsupportedMediaType(f"this file type is not accepted for a {purpose.value}")
        key = f"{purpose.value}/{next(self._counter):032x}{EXTENSION_FOR_MEDIA_TYPE[media_type]}"
        stored = StoredFile(
            key=key,
            purpose=purpose,
            media_type=media_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            original_name=sanitize_filename(original_name),
        )
        self.files[key] = bytes(content)
        self.stored[key] = stored
        return stored

    async def size(self, key: str) -> int:
        if key not in self.files:
            raise NotFound("no such file")
        return len(self.files[key])

    async def read(
        self, key: str, *, start: int = 0, end: int | None = None, chunk_size: int = 64 * 1024
    ) -> AsyncIterator[bytes]:
        if key not in self.files:
            raise NotFound("no such file")
        content = self.files[key]
        if start >= len(content):
            raise RangeNotSatisfiable("the range starts past the end", size=len(content))
        stop = len(content) if end is None else min(end + 1, len(content))
        for offset in range(start, stop, chunk_size):
            yield content[offset : min(offset + chunk_size, stop)]

    async def delete(self, key: str) -> None:
        if self.fail_on_delete is not None:
            raise self.fail_on_delete
        self.deleted.append(key)
        self.files.pop(key, None)
        self.stored.pop(key, None)

    async def presigned_url(self, key: str, *, expires_in_seconds: int) -> str | None:
        return None


# ---- mail ------------------------------------------------------------------------------------
@dataclass
class RecordingMailer:
    """Keeps every message it is asked to send; raises ``fail_with`` instead when it is set."""

    sent: list[EmailMessage] = field(default_factory=list)
    fail_with: Exception | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)


# ---- builders --------------------------------------------------------------------------------
def make_identity_deps(**overrides: Any) -> IdentityDeps:
    """``IdentityDeps`` made of fakes. Overrides replace single fakes; a given ``uow`` is also
    what the queries read and a given ``clock`` is also what TOTP and rate limits count in."""
    clock = overrides.pop("clock", None)
    clock = FixedClock() if clock is None else clock
    uow = overrides.pop("uow", None)
    uow = FakeUnitOfWork() if uow is None else uow
    values: dict[str, Any] = {
        "uow": uow,
        "clock": clock,
        "ids": SequentialIds(),
        "hasher": FakePasswordHasher(),
        "secrets": FakeSecretTokens(),
        "access_tokens": FakeAccessTokens(),
        "revoked_tokens": FakeRevokedAccessTokens(),
        "rate_limiter": FakeRateLimiter(clock),
        "device_tokens": HmacDeviceTokens(
            "fake-device-token-secret-of-32-chars", lifetime=timedelta(days=90)
        ),
        "totp": FakeTotp(clock),
        "reference": FakeReferenceData(),
        "common_passwords": FakeCommonPasswords(),
        "storage": FakeStorage(),
        "image_url": lambda key: f"/images/{key}",
        "queries": FakeIdentityQueries(uow) if isinstance(uow, FakeUnitOfWork) else None,
        # Searching the list is SQL (tests/integration/persistence/test_institution_search.py).
        "institutions": None,
        "policy": IdentityPolicy(),
        "authorizer": Authorizer(staff_two_factor_required=False),
        "document_links": HmacApplicantDocumentLinks("fake-document-link-secret-of-32-chars"),
    }
    unknown = overrides.keys() - values.keys()
    if unknown:
        raise TypeError(f"IdentityDeps has no {sorted(unknown)}")
    values.update(overrides)
    return IdentityDeps(**values)


def make_user(
    *,
    user_id: UUID | None = None,
    email: str = "ada@example.com",
    full_name: str = "Ada Lovelace",
    role: Role = Role.STUDENT,
    password: str = DEFAULT_PASSWORD,
    email_verified: bool = True,
    created_at: datetime = datetime(2025, 1, 1, tzinfo=UTC),
    **fields: Any,
) -> User:
    """A stored-looking user (no pending events); ``fields`` sets any other attribute. A tutor
    is approved unless ``tutor_approval`` says otherwise."""
    if role is Role.TUTOR:
        fields.setdefault("tutor_approval", TutorApproval.APPROVED)
    return User(
        id=user_id or uuid5(NAMESPACE_URL, f"mailto:{email}"),
        email=EmailAddress(email),
        full_name=full_name,
        role=role,
        password_hash=FakePasswordHasher.hash_of(password),
        email_verified_at=created_at if email_verified else None,
        created_at=created_at,
        **fields,
    )


if TYPE_CHECKING:  # the fakes keep up with the ports (mypy tests/fakes.py)
    from elearn.application.files import FileStorage
    from elearn.application.identity.ports import (
        AccessTokens,
        AuditLog,
        CommonPasswords,
        IdentityQueries,
        InstitutionRepository,
        OneTimeTokenRepository,
        ProfileRepository,
        RateLimiter,
        ReferenceData,
        RefreshFamilyRepository,
        RevokedAccessTokens,
        SecretTokens,
        TotpService,
        TutorApplicationRepository,
        UserRepository,
    )
    from elearn.application.ports import Clock, IdGenerator, PasswordHasher

    # The unit of work as a whole is not checked: a Protocol's attributes are invariant, and
    # the fake's are its concrete fakes (so tests can inspect them). Its parts are checked.
    def _conforms(uow: FakeUnitOfWork, clock: FixedClock) -> None:
        _users: UserRepository = uow.users
        _profiles: ProfileRepository = uow.profiles
        _applications: TutorApplicationRepository = uow.tutor_applications
        _institutions: InstitutionRepository = uow.institutions
        _tokens: OneTimeTokenRepository = uow.one_time_tokens
        _families: RefreshFamilyRepository = uow.refresh_families
        _audit: AuditLog = uow.audit
        _clock: Clock = clock
        _ids: IdGenerator = SequentialIds()
        _hasher: PasswordHasher = FakePasswordHasher()
        _secrets: SecretTokens = FakeSecretTokens()
        _access: AccessTokens = FakeAccessTokens()
        _revoked: RevokedAccessTokens = FakeRevokedAccessTokens()
        _limiter: RateLimiter = FakeRateLimiter()
        _totp: TotpService = FakeTotp()
        _reference: ReferenceData = FakeReferenceData()
        _common: CommonPasswords = FakeCommonPasswords()
        _storage: FileStorage = FakeStorage()
        _queries: IdentityQueries = FakeIdentityQueries(uow)
