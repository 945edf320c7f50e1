"""Staff work on accounts: deciding tutor applications, managing users, reading the audit log;
and the public face of an approved tutor.

Managers and admins list applications and users, decide applications and read the audit log;
only admins change roles or suspend and reactivate accounts, and never their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from elearn.application.identity.applicant_documents import with_document_links
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import (
    ApplicationSummary,
    AuditFilter,
    IdentityUnitOfWork,
    PublicTutor,
    UserFilter,
    UserSummary,
)
from elearn.application.identity.sessions import end_all_sessions
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.identity.profiles import TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tutor_application import (
    MAX_REJECTION_REASON,
    ApplicationStatus,
    TutorApplication,
)
from elearn.domain.identity.user import TutorApplicationDecided, User
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.domain.shared.money import Money

T = TypeVar("T")

MAX_PAGE_SIZE = 100
MAX_SEARCH_LENGTH = 100


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


# ---- tutor applications ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ListTutorApplicationsQuery:
    status: ApplicationStatus | None = None
    limit: int = 20
    cursor: str | None = None


class ListTutorApplications:
    """Staff list tutor applications, oldest first, optionally by status, each with links to
    open the applicant's CV and certificate signed for the caller."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, command: ListTutorApplicationsQuery
    ) -> Page[ApplicationSummary]:
        viewer = self._deps.authorizer.require(actor, Permission.REVIEW_TUTOR_APPLICATIONS)
        check_limit(command.limit)
        page = await page_of(
            self._deps.queries.tutor_applications(
                command.status, limit=command.limit, cursor=command.cursor
            )
        )
        now = self._deps.clock.now()
        return Page(
            [with_document_links(self._deps, item, viewer, now) for item in page.items],
            page.next_cursor,
        )


@dataclass(frozen=True, slots=True)
class ApproveTutorCommand:
    application_id: UUID


@dataclass(frozen=True, slots=True)
class RejectTutorCommand:
    application_id: UUID
    reason: str


@dataclass(frozen=True, slots=True)
class TutorDecision:
    application_id: UUID
    user_id: UUID
    status: ApplicationStatus
    decided_at: datetime
    rejection_reason: str | None


async def _pending_decision(
    uow: IdentityUnitOfWork, staff_id: UUID, application_id: UUID
) -> tuple[TutorApplication, User]:
    application = await uow.tutor_applications.get(application_id, for_update=True)
    if application is None:
        raise NotFound("there is no such tutor application")
    if application.user_id == staff_id:
        raise PermissionDenied("nobody decides their own application")
    user = await uow.users.get(application.user_id, for_update=True)
    if user is None:
        raise NotFound("there is no such tutor application")
    return application, user


async def _ensure_tutor_profile(uow: IdentityUnitOfWork, application: TutorApplication) -> None:
    """A new tutor starts with the headline and subjects they applied with; what they already
    wrote on their profile is kept."""
    profile = await uow.profiles.get_tutor(application.user_id) or TutorProfile(
        user_id=application.user_id
    )
    if not profile.headline:
        profile.headline = application.headline
    if not profile.subjects:
        profile.subjects = application.subjects
    await uow.profiles.save_tutor(profile)


def _announce_decision(
    deps: IdentityDeps,
    uow: IdentityUnitOfWork,
    actor: Actor,
    application: TutorApplication,
    user: User,
    now: datetime,
) -> None:
    """The applicant is emailed (through the outbox) and the decision is audited."""
    approved = application.status is ApplicationStatus.APPROVED
    reason = application.rejection_reason
    uow.publish(
        TutorApplicationDecided(
            event_id=deps.ids.new_id(),
            occurred_at=now,
            user_id=user.id,
            email=user.email.value,
            full_name=user.full_name,
            approved=approved,
            reason=reason,
        )
    )
    details: dict[str, Any] = {"application_id": str(application.id)}
    if not approved:
        details["reason"] = reason
    deps.audit(
        uow,
        actor,
        AuditAction.TUTOR_APPROVED if approved else AuditAction.TUTOR_REJECTED,
        target_type="user",
        target_id=user.id,
        **details,
    )


def _decision(application: TutorApplication) -> TutorDecision:
    assert application.decided_at is not None
    return TutorDecision(
        application_id=application.id,
        user_id=application.user_id,
        status=application.status,
        decided_at=application.decided_at,
        rejection_reason=application.rejection_reason,
    )


class ApproveTutor:
    """Staff approve a pending tutor application: the applicant becomes a tutor with a tutor
    profile and is told by email."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ApproveTutorCommand) -> TutorDecision:
        deps = self._deps
        staff_id = deps.authorizer.require(actor, Permission.REVIEW_TUTOR_APPLICATIONS)
        now = deps.clock.now()
        async with deps.uow() as uow:
            application, user = await _pending_decision(uow, staff_id, command.application_id)
            application.approve(by=staff_id, now=now)
            user.approve_as_tutor(now)
            await _ensure_tutor_profile(uow, application)
            _announce_decision(deps, uow, actor, application, user, now)
            await uow.commit()
        return _decision(application)


class RejectTutor:
    """Staff reject a pending tutor application with a reason the applicant is emailed; the
    applicant may apply again."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: RejectTutorCommand) -> TutorDecision:
        deps = self._deps
        staff_id = deps.authorizer.require(actor, Permission.REVIEW_TUTOR_APPLICATIONS)
        reason = command.reason.strip()
        if not reason or len(reason) > MAX_REJECTION_REASON:
            raise InvalidInput(
                "a rejection needs a reason",
                errors=[FieldError("reason", f"has 1 to {MAX_REJECTION_REASON} characters")],
            )
        now = deps.clock.now()
        async with deps.uow() as uow:
            application, user = await _pending_decision(uow, staff_id, command.application_id)
            application.reject(by=staff_id, reason=reason, now=now)
            user.reject_as_tutor()
            _announce_decision(deps, uow, actor, application, user, now)
            await uow.commit()
        return _decision(application)


# ---- users -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ListUsersQuery:
    filters: UserFilter = field(default_factory=UserFilter)
    limit: int = 20
    cursor: str | None = None


class ListUsers:
    """Staff list accounts, oldest first, filtered by role, status, verification or a search in
    email and name."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ListUsersQuery) -> Page[UserSummary]:
        self._deps.authorizer.require(actor, Permission.VIEW_USERS)
        check_limit(command.limit)
        filters = command.filters
        if filters.search is not None and len(filters.search) > MAX_SEARCH_LENGTH:
            raise InvalidInput(
                "the search is too long",
                errors=[FieldError("search", f"has at most {MAX_SEARCH_LENGTH} characters")],
            )
        return await page_of(
            self._deps.queries.users(filters, limit=command.limit, cursor=command.cursor)
        )


@dataclass(frozen=True, slots=True)
class UpdateUserCommand:
    """None leaves a field as it is."""

    user_id: UUID
    role: Role | None = None
    suspended: bool | None = None


class UpdateUser:
    """An admin changes another account's role or suspends or reactivates it; either ends all of
    that account's sessions (a reactivated account signs in again)."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: UpdateUserCommand) -> UserSummary:
        deps = self._deps
        admin_id = deps.authorizer.require(actor, Permission.MANAGE_USERS)
        if command.user_id == admin_id:
            raise PermissionDenied("nobody changes their own role or suspends themselves")
        now = deps.clock.now()
        async with deps.uow() as uow:
            user = await uow.users.get(command.user_id, for_update=True)
            if user is None:
                raise NotFound("there is no such user")
            if command.role is not None and command.role is not user.role:
                change: dict[str, Any] = {"from": user.role.value, "to": command.role.value}
                user.change_role(command.role, now)
                await end_all_sessions(deps, uow, user, "role_changed")
                deps.audit(
                    uow,
                    actor,
                    AuditAction.ROLE_CHANGED,
                    target_type="user",
                    target_id=user.id,
                    **change,
                )
            if command.suspended is True:
                user.suspend(now)
                await end_all_sessions(deps, uow, user, "suspended")
                deps.audit(
                    uow, actor, AuditAction.USER_SUSPENDED, target_type="user", target_id=user.id
                )
            elif command.suspended is False:
                user.reactivate()
                deps.audit(
                    uow, actor, AuditAction.USER_REACTIVATED, target_type="user", target_id=user.id
                )
            await uow.commit()
        return _summary(user)


# ---- audit log -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditLogQuery:
    filters: AuditFilter = field(default_factory=AuditFilter)
    limit: int = 50
    cursor: str | None = None


class ReadAuditLog:
    """Staff read the audit log, newest first, filtered by actor, action, target or time."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: AuditLogQuery) -> Page[AuditEntry]:
        self._deps.authorizer.require(actor, Permission.VIEW_AUDIT_LOG)
        check_limit(command.limit)
        filters = command.filters
        if (
            filters.since is not None
            and filters.until is not None
            and filters.since >= filters.until
        ):
            raise InvalidInput(
                "the time range is empty",
                errors=[FieldError("until", "must be after since")],
            )
        return await page_of(
            self._deps.queries.audit_log(filters, limit=command.limit, cursor=command.cursor)
        )


# ---- public tutor profile --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PublicTutorQuery:
    user_id: UUID


@dataclass(frozen=True, slots=True)
class PublicTutorView:
    """A tutor's public page: every field of the tutor list's card, under the same names, and
    the bio. What only the tutor and their students may know (the meeting room) is not here."""

    id: UUID
    full_name: str
    avatar_url: str | None
    headline: str
    bio: str
    subjects: list[str]
    languages: list[str]
    hourly_rate: Money | None
    rating_average: float | None
    rating_count: int
    time_zone: str


class GetPublicTutor:
    """Anyone, signed in or not, sees the public profile of an approved, active tutor."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: PublicTutorQuery) -> PublicTutorView:
        tutor = await self._deps.queries.approved_tutor(command.user_id)
        if tutor is None:
            raise NotFound("there is no such tutor")
        return _public_view(tutor, self._deps.image_url)


def _public_view(tutor: PublicTutor, image_url: Callable[[str], str]) -> PublicTutorView:
    profile = tutor.profile
    return PublicTutorView(
        id=tutor.id,
        full_name=tutor.full_name,
        avatar_url=image_url(tutor.avatar_key) if tutor.avatar_key else None,
        headline=profile.headline,
        bio=profile.bio,
        subjects=list(profile.subjects),
        languages=list(profile.languages),
        hourly_rate=profile.hourly_rate,
        rating_average=profile.rating_average,
        rating_count=profile.rating_count,
        time_zone=profile.time_zone,
    )
