"""Read-side queries of the identity context: one SQL statement per call, straight into the
shapes the API returns, keyset-paginated (``paging.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Row, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.identity import (
    AuditEntryRow,
    TutorApplicationRow,
    TutorProfileRow,
    UserRow,
)
from elearn.adapters.persistence.paging import (
    fetch_page,
    newest_first_after,
)
from elearn.adapters.persistence.raw_statements import HotRead
from elearn.adapters.persistence.repositories import audit_entry_from_row, tutor_profile_from_row
from elearn.application.identity.ports import (
    ApplicationSummary,
    AuditFilter,
    LoginCredentials,
    PublicTutor,
    SessionAccount,
    UserFilter,
    UserSummary,
)
from elearn.application.paging import Page
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.profiles import TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tutor_application import ApplicationStatus
from elearn.domain.identity.user import AccountStatus, TutorApproval
from elearn.domain.shared.audit import AuditEntry

T = TypeVar("T")


# The account facts authentication needs: read on every signed-in request whose account this
# process does not hold (`SessionAccounts`), such as each student's first request.
_SESSION_ACCOUNT = select(
    UserRow.role,
    UserRow.status,
    UserRow.email_verified_at,
    UserRow.sessions_valid_after,
    UserRow.totp_enabled,
).where(UserRow.id == bindparam("user_id"))


class SqlaIdentityQueries:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory
        # On the driver, outside any transaction: one round trip instead of a session's three
        # (BEGIN, the read, ROLLBACK) and SQLAlchemy's execution of a freshly built statement.
        self._session_account = HotRead(session_factory.kw["bind"], _SESSION_ACCOUNT, ["user_id"])

    async def users(
        self, filters: UserFilter, *, limit: int, cursor: str | None
    ) -> Page[UserSummary]:
        stmt = select(
            UserRow.id,
            UserRow.email,
            UserRow.full_name,
            UserRow.role,
            UserRow.status,
            UserRow.email_verified_at,
            UserRow.tutor_approval,
            UserRow.totp_enabled,
            UserRow.created_at,
        )
        if filters.role is not None:
            stmt = stmt.where(UserRow.role == filters.role.value)
        if filters.status is not None:
            stmt = stmt.where(UserRow.status == filters.status.value)
        if filters.email_verified is not None:
            verified = UserRow.email_verified_at.is_not(None)
            stmt = stmt.where(verified if filters.email_verified else ~verified)
        term = (filters.search or "").strip().lower()
        if term:
            stmt = stmt.where(
                or_(
                    func.lower(UserRow.email).contains(term, autoescape=True),
                    func.lower(UserRow.full_name).contains(term, autoescape=True),
                )
            )
        stmt = newest_first_after(stmt, cursor, UserRow.created_at, UserRow.id)
        return await self._page(stmt, limit, _user_summary, _by_created_at)

    async def tutor_applications(
        self, status: ApplicationStatus | None, *, limit: int, cursor: str | None
    ) -> Page[ApplicationSummary]:
        stmt = select(
            TutorApplicationRow.id,
            TutorApplicationRow.user_id,
            UserRow.email,
            UserRow.full_name,
            TutorApplicationRow.headline,
            TutorApplicationRow.subjects,
            TutorApplicationRow.status,
            TutorApplicationRow.submitted_at,
            TutorApplicationRow.decided_at,
            TutorApplicationRow.rejection_reason,
            TutorApplicationRow.cv_key,
            TutorApplicationRow.certificate_key,
            TutorApplicationRow.created_at,
        ).join(UserRow, UserRow.id == TutorApplicationRow.user_id)
        if status is not None:
            stmt = stmt.where(TutorApplicationRow.status == status.value)
        stmt = newest_first_after(
            stmt, cursor, TutorApplicationRow.created_at, TutorApplicationRow.id
        )
        return await self._page(stmt, limit, _application_summary, _by_created_at)

    async def audit_log(
        self, filters: AuditFilter, *, limit: int, cursor: str | None
    ) -> Page[AuditEntry]:
        stmt = select(AuditEntryRow)
        if filters.actor_id is not None:
            stmt = stmt.where(AuditEntryRow.actor_id == filters.actor_id)
        if filters.action is not None:
            stmt = stmt.where(AuditEntryRow.action == filters.action.value)
        if filters.target_id is not None:
            stmt = stmt.where(AuditEntryRow.target_id == filters.target_id)
        # A half-open interval: since ≤ at < until, so consecutive windows never overlap.
        if filters.since is not None:
            stmt = stmt.where(AuditEntryRow.at >= filters.since)
        if filters.until is not None:
            stmt = stmt.where(AuditEntryRow.at < filters.until)
        stmt = newest_first_after(stmt, cursor, AuditEntryRow.at, AuditEntryRow.id)
        return await self._page(
            stmt,
            limit,
            lambda row: audit_entry_from_row(row[0]),
            lambda row: (row[0].at, row[0].id),
        )

    async def approved_tutor(self, user_id: UUID) -> PublicTutor | None:
        """Only an active, approved tutor has a public page; one without a profile yet shows an
        empty one."""
        stmt = (
            select(UserRow.id, UserRow.full_name, UserRow.avatar_key, TutorProfileRow)
            .outerjoin(TutorProfileRow, TutorProfileRow.user_id == UserRow.id)
            .where(
                UserRow.id == user_id,
                UserRow.role == Role.TUTOR.value,
                UserRow.tutor_approval == TutorApproval.APPROVED.value,
                UserRow.status == AccountStatus.ACTIVE.value,
            )
        )
        async with self._sessions() as session:
            row = (await session.execute(stmt)).first()
        if row is None:
            return None
        profile_row: TutorProfileRow | None = row[3]
        profile = (
            tutor_profile_from_row(profile_row)
            if profile_row is not None
            else TutorProfile(user_id=row.id)
        )
        return PublicTutor(
            id=row.id, full_name=row.full_name, avatar_key=row.avatar_key, profile=profile
        )

    async def session_account(self, user_id: UUID) -> SessionAccount | None:
        rows = await self._session_account.fetch(user_id=user_id)
        if not rows:
            return None
        row = rows[0]
        return SessionAccount(
            id=user_id,
            role=Role(row["role"]),
            status=AccountStatus(row["status"]),
            email_verified=row["email_verified_at"] is not None,
            sessions_valid_after=row["sessions_valid_after"],
            two_factor_enabled=row["totp_enabled"],
        )

    async def login_credentials(self, email: EmailAddress) -> LoginCredentials | None:
        stmt = select(UserRow.id, UserRow.password_hash, UserRow.sessions_valid_after).where(
            UserRow.email == email.value
        )
        async with self._sessions() as session:
            row = (await session.execute(stmt)).first()
        if row is None:
            return None
        return LoginCredentials(row.id, row.password_hash, row.sessions_valid_after)

    async def _page(
        self,
        stmt: Select[Any],
        limit: int,
        to_item: Callable[[Row[Any]], T],
        cursor_of: Callable[[Row[Any]], tuple[datetime, UUID]],
    ) -> Page[T]:
        return await fetch_page(self._sessions, stmt, limit, to_item, cursor_of)


def _by_created_at(row: Row[Any]) -> tuple[datetime, UUID]:
    return row.created_at, row.id


def _user_summary(row: Row[Any]) -> UserSummary:
    return UserSummary(
        id=row.id,
        email=row.email,
        full_name=row.full_name,
        role=Role(row.role),
        status=AccountStatus(row.status),
        email_verified=row.email_verified_at is not None,
        tutor_approval=row.tutor_approval,
        two_factor_enabled=row.totp_enabled,
        created_at=row.created_at,
    )


def _application_summary(row: Row[Any]) -> ApplicationSummary:
    return ApplicationSummary(
        id=row.id,
        user_id=row.user_id,
        email=row.email,
        full_name=row.full_name,
        headline=row.headline,
        subjects=tuple(row.subjects or ()),
        status=ApplicationStatus(row.status),
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        rejection_reason=row.rejection_reason,
        cv_key=row.cv_key,
        certificate_key=row.certificate_key,
    )
