"""Identity repositories: users, profiles, tutor applications, tokens and the audit log."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.adapters.persistence.models.identity import (
    AuditEntryRow,
    InstitutionDomainRow,
    InstitutionRow,
    OneTimeTokenRow,
    RefreshFamilyRow,
    StudentProfileRow,
    TutorApplicationRow,
    TutorProfileRow,
    UserRow,
)
from elearn.adapters.persistence.repository_base import (
    LIST,
    Column,
    Embedded,
    FieldMap,
    SqlaRepository,
    enum,
    optional_enum,
)

# The unit of work names every tracking repository by this type, from here.
from elearn.adapters.persistence.repository_base import TrackingRepository as TrackingRepository
from elearn.application.identity.ports import Addressee, ProfileLocale, TutorStanding, UserFacts
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.institutions import Institution
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import OneTimeToken, RefreshFamily, TokenPurpose
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import AccountStatus, TutorApproval, User
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.domain.shared.money import Money

# ---- users ------------------------------------------------------------------------------------
USER_FIELDS = FieldMap(
    User,
    UserRow,
    fields={
        "email": Column(load=EmailAddress, dump=lambda email: email.value),
        "role": enum(Role),
        "status": enum(AccountStatus),
        "tutor_approval": optional_enum(TutorApproval),
        "recovery_code_hashes": LIST,
    },
    fixed=("id", "created_at"),
)


# Another context's question about accounts (who may talk, a sender's name): the columns of
# UserFacts alone, built once, not the aggregate with its secrets and recovery codes.
_USER_FACTS = select(
    UserRow.id,
    UserRow.email,
    UserRow.full_name,
    UserRow.role,
    UserRow.status,
    UserRow.email_verified_at,
    UserRow.tutor_approval,
    UserRow.totp_enabled,
).where(UserRow.id.in_(bindparam("user_ids", expanding=True)))


# What authentication reads of an account (``SqlaIdentityQueries.session_account``): a change
# to any of them must reach every process's cache of it.
SESSION_FACT_COLUMNS = (
    "role",
    "status",
    "email_verified_at",
    "sessions_valid_after",
    "totp_enabled",
)


# An account with both its profiles' locales (parameter: user_id), built once: every receipt and
# notification addresses someone.
_ADDRESSEE = (
    select(
        UserRow.id,
        UserRow.email,
        UserRow.full_name,
        UserRow.role,
        UserRow.tutor_approval,
        StudentProfileRow.user_id.label("student_id"),
        StudentProfileRow.time_zone.label("student_zone"),
        StudentProfileRow.language.label("student_language"),
        TutorProfileRow.user_id.label("tutor_id"),
        TutorProfileRow.time_zone.label("tutor_zone"),
        TutorProfileRow.languages.label("tutor_languages"),
    )
    .outerjoin(StudentProfileRow, StudentProfileRow.user_id == UserRow.id)
    .outerjoin(TutorProfileRow, TutorProfileRow.user_id == UserRow.id)
    .where(UserRow.id == bindparam("user_id", type_=UserRow.id.type))
)


def _student_locale(row: StudentProfileRow | None) -> ProfileLocale | None:
    return None if row is None else ProfileLocale(row.time_zone, row.language)


def _tutor_locale(row: TutorProfileRow | None) -> ProfileLocale | None:
    # The first language a tutor teaches in is the one they read best.
    return None if row is None else ProfileLocale(row.time_zone, next(iter(row.languages), None))


class SqlaUserRepository(SqlaRepository[User, UserRow]):
    mapper = USER_FIELDS

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        # Accounts whose session facts this transaction changes, known once it writes back.
        self.session_facts_changed: set[UUID] = set()

    def session_facts_change(self, user_id: UUID) -> None:
        """For writes that bypass the aggregate (erasure): the account's facts change too."""
        self.session_facts_changed.add(user_id)

    async def flush_changes(self) -> None:
        for user, row in self._tracked.values():
            before = tuple(getattr(row, column) for column in SESSION_FACT_COLUMNS)
            self._to_row(user, row)
            if before != tuple(getattr(row, column) for column in SESSION_FACT_COLUMNS):
                self.session_facts_changed.add(user.id)

    async def get_by_email(self, email: EmailAddress, *, for_update: bool = False) -> User | None:
        known = self._tracked_where(lambda user: user.email == email)
        if known and not for_update:
            return known[0]
        stmt = select(UserRow).where(UserRow.email == email.value)
        row = await self._get_row(stmt, for_update=for_update)
        if row is not None:
            return self._load(row)
        return known[0] if known else None

    async def facts(self, user_ids: Collection[UUID]) -> dict[UUID, UserFacts]:
        found = {user.id: UserFacts.of(user) for user in self.seen if user.id in user_ids}
        missing = [user_id for user_id in user_ids if user_id not in found]
        if missing:
            rows = await self.session.execute(_USER_FACTS, {"user_ids": missing})
            for row in rows:
                found[row.id] = UserFacts(
                    id=row.id,
                    email=row.email,
                    full_name=row.full_name,
                    role=Role(row.role),
                    status=AccountStatus(row.status),
                    email_verified=row.email_verified_at is not None,
                    tutor_approval=None
                    if row.tutor_approval is None
                    else TutorApproval(row.tutor_approval),
                    two_factor_enabled=row.totp_enabled,
                )
        return found

    async def active_ids_with_role(self, role: Role) -> list[UUID]:
        stmt = (
            select(UserRow.id)
            .where(UserRow.role == role.value, UserRow.status == AccountStatus.ACTIVE.value)
            .order_by(UserRow.id)
        )
        return list(await self.session.scalars(stmt))

    async def addressee(self, user_id: UUID) -> Addressee | None:
        if self._changed_here(user_id):
            return await self._addressee_as_changed(user_id)
        found = (await self.session.execute(_ADDRESSEE, {"user_id": user_id})).first()
        if found is None:
            return None
        return Addressee(
            id=found.id,
            email=found.email,
            full_name=found.full_name,
            role=Role(found.role),
            tutor_approval=TutorApproval(found.tutor_approval) if found.tutor_approval else None,
            student=(
                None
                if found.student_id is None
                else ProfileLocale(found.student_zone, found.student_language)
            ),
            tutor=(
                None
                if found.tutor_id is None
                else ProfileLocale(found.tutor_zone, next(iter(found.tutor_languages or ()), None))
            ),
        )

    def _changed_here(self, user_id: UUID) -> bool:
        """Whether this transaction holds the account or a profile it has not written yet (the
        session does not autoflush: a query would miss them)."""
        if user_id in self._tracked:
            return True
        session = self.session
        return any(
            isinstance(row, StudentProfileRow | TutorProfileRow) and row.user_id == user_id
            for row in (*session.new, *session.dirty)
        )

    async def _addressee_as_changed(self, user_id: UUID) -> Addressee | None:
        user = await self.get(user_id)
        if user is None:
            return None
        profiles: dict[type, Any] = {
            type(row): row
            for row in self.session.new
            if isinstance(row, StudentProfileRow | TutorProfileRow) and row.user_id == user_id
        }
        for cls in (StudentProfileRow, TutorProfileRow):
            if cls not in profiles:
                profiles[cls] = await self.session.get(cls, user_id)
        return Addressee(
            id=user.id,
            email=user.email.value,
            full_name=user.full_name,
            role=user.role,
            tutor_approval=user.tutor_approval,
            student=_student_locale(profiles[StudentProfileRow]),
            tutor=_tutor_locale(profiles[TutorProfileRow]),
        )


# ---- profiles -----------------------------------------------------------------------------------
ProfileRowT = TypeVar("ProfileRowT", StudentProfileRow, TutorProfileRow)

STUDENT_PROFILE_FIELDS = FieldMap(
    StudentProfile,
    StudentProfileRow,
    fields={"onboarding": Column(load=lambda stored: dict(stored or {}), dump=dict)},
    fixed=("user_id",),
)
TUTOR_PROFILE_FIELDS = FieldMap(
    TutorProfile,
    TutorProfileRow,
    fields={
        "subjects": LIST,
        "languages": LIST,
        "hourly_rate": Embedded(Money, prefix="hourly_rate_", optional=True),
    },
    fixed=("user_id",),
    # The rating is maintained by the testimonials that produce it.
    read_only=("rating_average", "rating_count"),
    made_with={"rating_average": lambda _: None, "rating_count": lambda _: 0},
)
student_profile_from_row = STUDENT_PROFILE_FIELDS.load
tutor_profile_from_row = TUTOR_PROFILE_FIELDS.load


# An account's standing as a tutor beside their profile's terms (a hold reads both at once).
_TUTOR_STANDING = (
    select(
        UserRow.role,
        UserRow.status,
        UserRow.tutor_approval,
        TutorProfileRow.user_id.label("profile_of"),
        TutorProfileRow.hourly_rate_amount,
        TutorProfileRow.hourly_rate_currency,
        TutorProfileRow.time_zone,
        TutorProfileRow.meeting_url,
    )
    .select_from(UserRow)
    .outerjoin(TutorProfileRow, TutorProfileRow.user_id == UserRow.id)
    .where(UserRow.id == bindparam("user_id", type_=UserRow.id.type))
)


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

    async def tutor_standing(self, user_id: UUID) -> TutorStanding | None:
        row = (await self.session.execute(_TUTOR_STANDING, {"user_id": user_id})).first()
        if row is None:
            return None
        rate = None
        if row.hourly_rate_amount is not None and row.hourly_rate_currency is not None:
            rate = Money(row.hourly_rate_amount, row.hourly_rate_currency)
        return TutorStanding(
            role=Role(row.role),
            status=AccountStatus(row.status),
            tutor_approval=TutorApproval(row.tutor_approval) if row.tutor_approval else None,
            hourly_rate=rate,
            time_zone=row.time_zone if row.profile_of is not None else "UTC",
            meeting_url=row.meeting_url,
        )

    async def lock_tutor(self, user_id: UUID) -> None:
        await self.session.execute(
            select(TutorProfileRow.user_id)
            .where(TutorProfileRow.user_id == user_id)
            .with_for_update()
        )

    async def set_tutor_rating(self, user_id: UUID, *, count: int, average: float | None) -> None:
        await self.session.execute(
            update(TutorProfileRow)
            .where(TutorProfileRow.user_id == user_id)
            .values(rating_count=count, rating_average=average)
        )

    async def save_student(self, profile: StudentProfile) -> None:
        row = await self._row(StudentProfileRow, profile.user_id)
        if row is None:
            await self._new(STUDENT_PROFILE_FIELDS.new_row(profile))
        else:
            STUDENT_PROFILE_FIELDS.write(profile, row)

    async def save_tutor(self, profile: TutorProfile) -> None:
        row = await self._row(TutorProfileRow, profile.user_id)
        if row is None:
            await self._new(TUTOR_PROFILE_FIELDS.new_row(profile))
        else:
            TUTOR_PROFILE_FIELDS.write(profile, row)

    async def _row(self, cls: type[ProfileRowT], user_id: UUID) -> ProfileRowT | None:
        saved = self._saved.get((cls, user_id))
        if saved is not None:
            return saved
        return await self.session.get(cls, user_id)

    async def _new(self, row: ProfileRowT) -> None:
        # Profile rows have no ORM relationship to users, so the flush would not know to insert a
        # user added in this same transaction first: insert what is pending before the profile.
        await self.session.flush()
        self.session.add(row)
        self._saved[(type(row), row.user_id)] = row


# ---- institutions ---------------------------------------------------------------------------
class _DomainRows:
    """An institution's domains, in its own table (a domain belongs to one institution: the
    table's key). Rows of domains that stay are kept, so a save moves only what changed."""

    def read(self, row: InstitutionRow, field: str) -> tuple[str, ...]:
        return tuple(d.domain for d in sorted(row.domain_rows, key=lambda d: d.position))

    def write(self, row: InstitutionRow, field: str, value: tuple[str, ...]) -> None:
        existing = {d.domain: d for d in row.domain_rows}
        kept: list[InstitutionDomainRow] = []
        for position, domain in enumerate(value):
            domain_row = existing.get(domain) or InstitutionDomainRow(domain=domain)
            domain_row.position = position
            kept.append(domain_row)
        if [d.domain for d in row.domain_rows] != list(value):
            row.domain_rows = kept

    def columns(self, field: str) -> tuple[str, ...]:
        return ("domain_rows",)


class SqlaInstitutionRepository(SqlaRepository[Institution, InstitutionRow]):
    mapper = FieldMap(
        Institution,
        InstitutionRow,
        fields={"domains": _DomainRows()},
        fixed=("id", "created_at"),
        derived={"name_key": lambda institution: institution.name_key},
    )

    async def owners_of_domains(
        self, domains: Iterable[str], *, other_than: UUID | None = None
    ) -> dict[str, UUID]:
        stmt = select(InstitutionDomainRow.domain, InstitutionDomainRow.institution_id).where(
            InstitutionDomainRow.domain.in_(list(domains))
        )
        if other_than is not None:
            stmt = stmt.where(InstitutionDomainRow.institution_id != other_than)
        return {domain: owner for domain, owner in await self.session.execute(stmt)}


# ---- tutor applications -----------------------------------------------------------------------
class SqlaTutorApplicationRepository(SqlaRepository[TutorApplication, TutorApplicationRow]):
    mapper = FieldMap(
        TutorApplication,
        TutorApplicationRow,
        fields={"subjects": LIST, "status": enum(ApplicationStatus)},
        fixed=("id",),
        made_with={"created_at": lambda application: application.submitted_at},
    )
    # No ORM relationship to users either: a user added in this same transaction (a tutor
    # signing up) must be inserted before the application that references it.
    flush_before_add = True

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


# ---- one-time tokens ----------------------------------------------------------------------------
class SqlaOneTimeTokenRepository(SqlaRepository[OneTimeToken, OneTimeTokenRow]):
    mapper = FieldMap(
        OneTimeToken,
        OneTimeTokenRow,
        fields={"purpose": enum(TokenPurpose)},
        fixed=("id", "created_at"),
    )

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


# ---- refresh-token families ---------------------------------------------------------------------
class SqlaRefreshFamilyRepository(SqlaRepository[RefreshFamily, RefreshFamilyRow]):
    mapper = FieldMap(RefreshFamily, RefreshFamilyRow, fixed=("id", "created_at"))

    async def active_for_user(self, user_id: UUID) -> list[RefreshFamily]:
        """Families not revoked (expired ones included: revoking them is harmless)."""
        stmt = (
            select(RefreshFamilyRow)
            .where(RefreshFamilyRow.user_id == user_id, RefreshFamilyRow.revoked_at.is_(None))
            .order_by(RefreshFamilyRow.created_at, RefreshFamilyRow.id)
        )
        return await self._load_many(stmt, lambda f: f.user_id == user_id and f.revoked_at is None)

    async def started_since(self, user_id: UUID, since: datetime) -> bool:
        if any(f.user_id == user_id and f.created_at > since for f in self.seen):
            return True
        stmt = select(RefreshFamilyRow.id).where(
            RefreshFamilyRow.user_id == user_id, RefreshFamilyRow.created_at > since
        )
        return await self.session.scalar(stmt.limit(1)) is not None


# ---- audit log ---------------------------------------------------------------------------------
def _readable(details: dict[str, Any]) -> Any:
    # Ids, instants and the like become text: details are for people to read.
    return json.loads(json.dumps(details, default=str))


AUDIT_ENTRY_FIELDS = FieldMap(
    AuditEntry,
    AuditEntryRow,
    fields={
        "action": enum(AuditAction),
        "details": Column(load=lambda stored: dict(stored or {}), dump=_readable),
    },
    fixed=("id",),
    made_with={"created_at": lambda entry: entry.at},
)
audit_entry_from_row = AUDIT_ENTRY_FIELDS.load


class SqlaAuditLog:
    """Append-only: entries are inserted with the use case's transaction, never read back or
    changed through the unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(AUDIT_ENTRY_FIELDS.new_row(entry))
