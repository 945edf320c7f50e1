"""SQLAlchemy repositories: explicit data mappers between rows and aggregates.

A repository remembers every aggregate it hands out or receives, with its row, so the unit of
work can write changes back and collect the aggregates' events at commit. Within one unit of
work a repository hands out one instance per aggregate, and its lookups see the aggregates the
transaction added or changed but has not written yet (the session does not autoflush).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.adapters.persistence.models.identity import (
    AuditEntryRow,
    OneTimeTokenRow,
    RefreshFamilyRow,
    StudentProfileRow,
    TutorApplicationRow,
    TutorProfileRow,
    UserRow,
)
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import OneTimeToken, RefreshFamily, TokenPurpose
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import AccountStatus, TutorApproval, User
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.domain.shared.events import DomainEvent, RecordsEvents

AggregateT = TypeVar("AggregateT")
RowT = TypeVar("RowT")


class TrackingRepository(Generic[AggregateT, RowT]):
    """Identity map of one unit of work: aggregate id → (aggregate, row)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._tracked: dict[Any, tuple[AggregateT, RowT]] = {}

    def _track(self, key: Any, aggregate: AggregateT, row: RowT) -> AggregateT:
        self._tracked.setdefault(key, (aggregate, row))
        return self._tracked[key][0]

    @property
    def seen(self) -> list[AggregateT]:
        return [aggregate for aggregate, _ in self._tracked.values()]

    def write_back(self) -> None:
        for aggregate, row in self._tracked.values():
            self._to_row(aggregate, row)

    async def flush_changes(self) -> None:
        """Writes what changed into the session before commit; aggregates spread over several
        tables override it to write them in order."""
        self.write_back()

    def pull_events(self) -> list[DomainEvent]:
        events: list[DomainEvent] = []
        for aggregate in self.seen:
            if isinstance(aggregate, RecordsEvents):
                events.extend(aggregate.pull_events())
        return events

    # ---- helpers for subclasses -----------------------------------------------------------------
    def _load(self, row: RowT) -> AggregateT:
        key = self._key_of_row(row)
        if key in self._tracked:
            return self._tracked[key][0]
        return self._track(key, self._from_row(row), row)

    def _tracked_where(self, predicate: Callable[[AggregateT], bool]) -> list[AggregateT]:
        return [aggregate for aggregate in self.seen if predicate(aggregate)]

    async def _get_row(self, stmt: Select[tuple[RowT]], *, for_update: bool) -> RowT | None:
        if for_update:
            stmt = stmt.with_for_update()
        row: RowT | None = await self.session.scalar(stmt)
        return row

    async def _load_many(
        self, stmt: Select[tuple[RowT]], predicate: Callable[[AggregateT], bool]
    ) -> list[AggregateT]:
        """What the database holds plus what this transaction added, as this transaction sees
        it (a row changed in memory may no longer match)."""
        loaded = [self._load(row) for row in await self.session.scalars(stmt)]
        ids = {id(aggregate) for aggregate in loaded}
        loaded += [a for a in self._tracked_where(predicate) if id(a) not in ids]
        return [aggregate for aggregate in loaded if predicate(aggregate)]

    def _key_of_row(self, row: RowT) -> Any:
        return row.id  # type: ignore[attr-defined]

    def _from_row(self, row: RowT) -> AggregateT:
        raise NotImplementedError

    def _to_row(self, aggregate: AggregateT, row: RowT) -> None:
        raise NotImplementedError


def _tuple(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


# ---- users ------------------------------------------------------------------------------------
class SqlaUserRepository(TrackingRepository[User, UserRow]):
    async def add(self, user: User) -> None:
        row = UserRow(id=user.id, created_at=user.created_at)
        self._to_row(user, row)
        self.session.add(row)
        self._track(user.id, user, row)

    async def get(self, user_id: UUID, *, for_update: bool = False) -> User | None:
        if not for_update and user_id in self._tracked:
            return self._tracked[user_id][0]
        row = await self._get_row(
            select(UserRow).where(UserRow.id == user_id), for_update=for_update
        )
        return None if row is None else self._load(row)

    async def get_by_email(self, email: EmailAddress, *, for_update: bool = False) -> User | None:
        known = self._tracked_where(lambda user: user.email == email)
        if known and not for_update:
            return known[0]
        stmt = select(UserRow).where(UserRow.email == email.value)
        row = await self._get_row(stmt, for_update=for_update)
        if row is not None:
            return self._load(row)
        return known[0] if known else None

    def _from_row(self, row: UserRow) -> User:
        return User(
            id=row.id,
            email=EmailAddress(row.email),
            full_name=row.full_name,
            role=Role(row.role),
            password_hash=row.password_hash,
            status=AccountStatus(row.status),
            email_verified_at=row.email_verified_at,
            tutor_approval=TutorApproval(row.tutor_approval) if row.tutor_approval else None,
            sessions_valid_after=row.sessions_valid_after,
            totp_secret=row.totp_secret,
            totp_enabled=row.totp_enabled,
            totp_last_step=row.totp_last_step,
            recovery_code_hashes=_tuple(row.recovery_code_hashes),
            avatar_key=row.avatar_key,
            created_at=row.created_at,
        )

    def _to_row(self, user: User, row: UserRow) -> None:
        row.email = user.email.value
        row.full_name = user.full_name
        row.role = user.role.value
        row.password_hash = user.password_hash
        row.status = user.status.value
        row.email_verified_at = user.email_verified_at
        row.tutor_approval = user.tutor_approval.value if user.tutor_approval else None
        row.sessions_valid_after = user.sessions_valid_after
        row.totp_secret = user.totp_secret
        row.totp_enabled = user.totp_enabled
        row.totp_last_step = user.totp_last_step
        row.recovery_code_hashes = list(user.recovery_code_hashes)
        row.avatar_key = user.avatar_key


# ---- profiles -----------------------------------------------------------------------------------
ProfileRowT = TypeVar("ProfileRowT", StudentProfileRow, TutorProfileRow)


class SqlaProfileRepository:
    """Profiles are saved explicitly (insert or update). A tutor's rating is maintained by the
    reviews that produce it: read here, never written by ``save_tutor``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Rows this transaction saved but has not flushed: the session's identity map only
        # knows them after a flush.
        self._saved: dict[tuple[type, UUID], Any] = {}

    async def get_student(self, user_id: UUID) -> StudentProfile | None:
        row = await self._row(StudentProfileRow, user_id)
        return None if row is None else student_profile_from_row(row)

    async def get_tutor(self, user_id: UUID) -> TutorProfile | None:
        row = await self._row(TutorProfileRow, user_id)
        return None if row is None else tutor_profile_from_row(row)

    async def save_student(self, profile: StudentProfile) -> None:
        row = await self._row(StudentProfileRow, profile.user_id)
        if row is None:
            row = await self._new(StudentProfileRow(user_id=profile.user_id))
        row.bio = profile.bio
        row.language = profile.language
        row.country = profile.country
        row.time_zone = profile.time_zone
        row.preferred_currency = profile.preferred_currency
        row.institution = profile.institution
        row.onboarding = dict(profile.onboarding)

    async def save_tutor(self, profile: TutorProfile) -> None:
        row = await self._row(TutorProfileRow, profile.user_id)
        if row is None:
            row = await self._new(
                TutorProfileRow(user_id=profile.user_id, rating_average=None, rating_count=0)
            )
        row.bio = profile.bio
        row.headline = profile.headline
        row.subjects = list(profile.subjects)
        row.languages = list(profile.languages)
        row.hourly_rate_amount = profile.hourly_rate_amount
        row.hourly_rate_currency = profile.hourly_rate_currency
        row.time_zone = profile.time_zone
        row.meeting_url = profile.meeting_url

    async def _row(self, cls: type[ProfileRowT], user_id: UUID) -> ProfileRowT | None:
        saved = self._saved.get((cls, user_id))
        if saved is not None:
            return saved  # type: ignore[no-any-return]
        return await self.session.get(cls, user_id)

    async def _new(self, row: ProfileRowT) -> ProfileRowT:
        # Profile rows have no ORM relationship to users, so the flush would not know to insert a
        # user added in this same transaction first: insert what is pending before the profile.
        await self.session.flush()
        self.session.add(row)
        self._saved[(type(row), row.user_id)] = row
        return row


def student_profile_from_row(row: StudentProfileRow) -> StudentProfile:
    return StudentProfile(
        user_id=row.user_id,
        bio=row.bio,
        language=row.language,
        country=row.country,
        time_zone=row.time_zone,
        preferred_currency=row.preferred_currency,
        institution=row.institution,
        onboarding=dict(row.onboarding or {}),
    )


def tutor_profile_from_row(row: TutorProfileRow) -> TutorProfile:
    return TutorProfile(
        user_id=row.user_id,
        bio=row.bio,
        headline=row.headline,
        subjects=_tuple(row.subjects),
        languages=_tuple(row.languages),
        hourly_rate_amount=row.hourly_rate_amount,
        hourly_rate_currency=row.hourly_rate_currency,
        time_zone=row.time_zone,
        meeting_url=row.meeting_url,
        rating_average=row.rating_average,
        rating_count=row.rating_count,
    )


# ---- tutor applications -----------------------------------------------------------------------
class SqlaTutorApplicationRepository(TrackingRepository[TutorApplication, TutorApplicationRow]):
    async def add(self, application: TutorApplication) -> None:
        row = TutorApplicationRow(id=application.id, created_at=application.submitted_at)
        self._to_row(application, row)
        # No ORM relationship to users either: a user added in this same transaction (a tutor
        # signing up) must be inserted before the application that references it.
        await self.session.flush()
        self.session.add(row)
        self._track(application.id, application, row)

    async def get(
        self, application_id: UUID, *, for_update: bool = False
    ) -> TutorApplication | None:
        if not for_update and application_id in self._tracked:
            return self._tracked[application_id][0]
        stmt = select(TutorApplicationRow).where(TutorApplicationRow.id == application_id)
        row = await self._get_row(stmt, for_update=for_update)
        return None if row is None else self._load(row)

    async def pending_for_user(self, user_id: UUID) -> TutorApplication | None:
        stmt = (
            select(TutorApplicationRow)
            .where(
                TutorApplicationRow.user_id == user_id,
                TutorApplicationRow.status == ApplicationStatus.PENDING.value,
            )
            .order_by(TutorApplicationRow.created_at.desc(), TutorApplicationRow.id.desc())
        )
        pending = await self._load_many(
            stmt, lambda a: a.user_id == user_id and a.status is ApplicationStatus.PENDING
        )
        return pending[0] if pending else None

    def _from_row(self, row: TutorApplicationRow) -> TutorApplication:
        return TutorApplication(
            id=row.id,
            user_id=row.user_id,
            headline=row.headline,
            subjects=_tuple(row.subjects),
            cv_key=row.cv_key,
            certificate_key=row.certificate_key,
            status=ApplicationStatus(row.status),
            submitted_at=row.submitted_at,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            rejection_reason=row.rejection_reason,
        )

    def _to_row(self, application: TutorApplication, row: TutorApplicationRow) -> None:
        row.user_id = application.user_id
        row.headline = application.headline
        row.subjects = list(application.subjects)
        row.cv_key = application.cv_key
        row.certificate_key = application.certificate_key
        row.status = application.status.value
        row.submitted_at = application.submitted_at
        row.decided_at = application.decided_at
        row.decided_by = application.decided_by
        row.rejection_reason = application.rejection_reason


# ---- one-time tokens ----------------------------------------------------------------------------
class SqlaOneTimeTokenRepository(TrackingRepository[OneTimeToken, OneTimeTokenRow]):
    async def add(self, token: OneTimeToken) -> None:
        row = OneTimeTokenRow(id=token.id, created_at=token.created_at)
        self._to_row(token, row)
        self.session.add(row)
        self._track(token.id, token, row)

    async def get_by_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> OneTimeToken | None:
        known = self._tracked_where(lambda token: token.token_hash == token_hash)
        if known and not for_update:
            return known[0]
        stmt = select(OneTimeTokenRow).where(OneTimeTokenRow.token_hash == token_hash)
        row = await self._get_row(stmt, for_update=for_update)
        if row is not None:
            return self._load(row)
        return known[0] if known else None

    async def open_for(self, user_id: UUID, purpose: TokenPurpose) -> list[OneTimeToken]:
        stmt = (
            select(OneTimeTokenRow)
            .where(
                OneTimeTokenRow.user_id == user_id,
                OneTimeTokenRow.purpose == purpose.value,
                OneTimeTokenRow.used_at.is_(None),
                OneTimeTokenRow.superseded_at.is_(None),
            )
            .order_by(OneTimeTokenRow.created_at, OneTimeTokenRow.id)
        )
        return await self._load_many(
            stmt,
            lambda t: (
                t.user_id == user_id
                and t.purpose is purpose
                and t.used_at is None
                and t.superseded_at is None
            ),
        )

    def _from_row(self, row: OneTimeTokenRow) -> OneTimeToken:
        return OneTimeToken(
            id=row.id,
            user_id=row.user_id,
            purpose=TokenPurpose(row.purpose),
            token_hash=row.token_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            used_at=row.used_at,
            superseded_at=row.superseded_at,
        )

    def _to_row(self, token: OneTimeToken, row: OneTimeTokenRow) -> None:
        row.user_id = token.user_id
        row.purpose = token.purpose.value
        row.token_hash = token.token_hash
        row.expires_at = token.expires_at
        row.used_at = token.used_at
        row.superseded_at = token.superseded_at


# ---- refresh-token families ---------------------------------------------------------------------
class SqlaRefreshFamilyRepository(TrackingRepository[RefreshFamily, RefreshFamilyRow]):
    async def add(self, family: RefreshFamily) -> None:
        row = RefreshFamilyRow(id=family.id, created_at=family.created_at)
        self._to_row(family, row)
        self.session.add(row)
        self._track(family.id, family, row)

    async def get(self, family_id: UUID, *, for_update: bool = False) -> RefreshFamily | None:
        if not for_update and family_id in self._tracked:
            return self._tracked[family_id][0]
        stmt = select(RefreshFamilyRow).where(RefreshFamilyRow.id == family_id)
        row = await self._get_row(stmt, for_update=for_update)
        return None if row is None else self._load(row)

    async def active_for_user(self, user_id: UUID) -> list[RefreshFamily]:
        """Families not revoked (expired ones included: revoking them is harmless)."""
        stmt = (
            select(RefreshFamilyRow)
            .where(RefreshFamilyRow.user_id == user_id, RefreshFamilyRow.revoked_at.is_(None))
            .order_by(RefreshFamilyRow.created_at, RefreshFamilyRow.id)
        )
        return await self._load_many(stmt, lambda f: f.user_id == user_id and f.revoked_at is None)

    def _from_row(self, row: RefreshFamilyRow) -> RefreshFamily:
        return RefreshFamily(
            id=row.id,
            user_id=row.user_id,
            current_hash=row.current_hash,
            created_at=row.created_at,
            absolute_expires_at=row.absolute_expires_at,
            idle_expires_at=row.idle_expires_at,
            revoked_at=row.revoked_at,
            revoked_reason=row.revoked_reason,
            rotations=row.rotations,
        )

    def _to_row(self, family: RefreshFamily, row: RefreshFamilyRow) -> None:
        row.user_id = family.user_id
        row.current_hash = family.current_hash
        row.absolute_expires_at = family.absolute_expires_at
        row.idle_expires_at = family.idle_expires_at
        row.revoked_at = family.revoked_at
        row.revoked_reason = family.revoked_reason
        row.rotations = family.rotations


# ---- audit log ---------------------------------------------------------------------------------
class SqlaAuditLog:
    """Append-only: entries are inserted with the use case's transaction, never read back or
    changed through the unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(
            AuditEntryRow(
                id=entry.id,
                at=entry.at,
                created_at=entry.at,
                action=entry.action.value,
                actor_id=entry.actor_id,
                target_type=entry.target_type,
                target_id=entry.target_id,
                ip=entry.ip,
                user_agent=entry.user_agent,
                # Ids, instants and the like become text: details are for people to read.
                details=json.loads(json.dumps(entry.details, default=str)),
            )
        )


def audit_entry_from_row(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        action=AuditAction(row.action),
        actor_id=row.actor_id,
        target_type=row.target_type,
        target_id=row.target_id,
        ip=row.ip,
        user_agent=row.user_agent,
        details=dict(row.details or {}),
    )
