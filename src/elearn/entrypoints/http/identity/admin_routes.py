"""/api/v1/admin: tutor approval, accounts and the audit log (staff only; the use cases decide
what managers may do and what only admins may)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from elearn.application.identity.admin import (
    ApproveTutorCommand,
    AuditLogQuery,
    ListTutorApplicationsQuery,
    ListUsersQuery,
    RejectTutorCommand,
    TutorDecision,
    UpdateUserCommand,
)
from elearn.application.identity.applicant_documents import ApplicantDocument
from elearn.application.identity.ports import (
    ApplicationSummary,
    AuditFilter,
    UserFilter,
    UserSummary,
)
from elearn.application.paging import Page
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tutor_application import ApplicationStatus
from elearn.domain.identity.user import AccountStatus
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.entrypoints.http.auth import CurrentActor, staff_only
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.docs import binary
from elearn.entrypoints.http.downloads import private_download
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.identity import Identity

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, QueryParameter(max_length=200, description="from `next_cursor`")]


class RejectBody(RequestBody):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class UpdateUserBody(RequestBody):
    role: Role | None = None
    suspended: bool | None = None


class AdminController(Controller):
    path = "/admin"
    tags = ["identity"]
    guards = [staff_only]

    @get(
        "/tutor-applications", operation_id="list_tutor_applications", summary="Tutor applications"
    )
    async def list_applications(
        self,
        actor: CurrentActor,
        identity: Identity,
        status: FromQuery[ApplicationStatus | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ApplicationSummary]:
        """Managers and admins list applications, filtered by status, keyset-paginated."""
        query = ListTutorApplicationsQuery(status=status, limit=limit, cursor=cursor)
        return await identity.list_tutor_applications(actor, query)

    @problems("document-link-expired", "document-link-invalid")
    @binary("application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp")
    @get(
        "/tutor-applications/{application_id:uuid}/documents/{document:str}",
        operation_id="open_applicant_document",
        summary="Open an applicant's CV or certificate",
    )
    async def open_document(
        self,
        application_id: FromPath[UUID],
        document: FromPath[ApplicantDocument],
        actor: CurrentActor,
        identity: Identity,
        expires: Annotated[int, QueryParameter(ge=0, le=253_402_300_799)],
        signature: Annotated[str, QueryParameter(min_length=1, max_length=64)],
    ) -> Stream:
        """With an application's `cv_url` or `certificate_url`, signed in as whom the list
        signed it for: 410 `document-link-expired` after a few minutes (list the applications
        again), 403 `document-link-invalid` for a forged or someone else's link. Each opening is
        written to the audit log."""
        file = await identity.open_applicant_document(
            actor, application_id, document, expires=expires, signature=signature
        )
        return private_download(identity.deps.storage, file, inline=True)

    @problems("illegal-transition")
    @post(
        "/tutor-applications/{application_id:uuid}/approve",
        operation_id="approve_tutor",
        summary="Approve a tutor",
        status_code=200,
    )
    async def approve(
        self,
        application_id: FromPath[UUID],
        actor: CurrentActor,
        identity: Identity,
    ) -> TutorDecision:
        """A pending application becomes approved; the tutor can teach and is told by email."""
        return await identity.approve_tutor(actor, ApproveTutorCommand(application_id))

    @problems("illegal-transition", "invalid-input")
    @post(
        "/tutor-applications/{application_id:uuid}/reject",
        operation_id="reject_tutor",
        summary="Reject a tutor",
        status_code=200,
    )
    async def reject(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[RejectBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> TutorDecision:
        """A pending application is rejected with a reason, which the applicant gets by email."""
        return await identity.reject_tutor(actor, RejectTutorCommand(application_id, data.reason))

    @get("/users", operation_id="list_users", summary="Accounts")
    async def list_users(
        self,
        actor: CurrentActor,
        identity: Identity,
        role: FromQuery[Role | None] = None,
        status: FromQuery[AccountStatus | None] = None,
        email_verified: FromQuery[bool | None] = None,
        q: Annotated[
            str | None, QueryParameter(max_length=100, description="words of the email or name")
        ] = None,
        search: Annotated[
            str | None, QueryParameter(max_length=100, description="the former name of `q`")
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[UserSummary]:
        """Filter by role, status and verification; `q` looks in email and name (`search`, its
        former name, still works), newest accounts first, cursor pages like every staff list."""
        words = q if q is not None else search
        filters = UserFilter(role=role, status=status, search=words, email_verified=email_verified)
        return await identity.list_users(actor, ListUsersQuery(filters, limit, cursor))

    @problems("illegal-transition")
    @patch("/users/{user_id:uuid}", operation_id="update_user", summary="Change a role or suspend")
    async def update_user(
        self,
        user_id: FromPath[UUID],
        data: JSONBody[UpdateUserBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> UserSummary:
        """Admins only: a new role, or a suspension or reactivation, ends all the account's
        sessions. Nobody changes their own."""
        return await identity.update_user(
            actor, UpdateUserCommand(user_id, data.role, data.suspended)
        )

    @problems("invalid-input")
    @get("/audit-log", operation_id="read_audit_log", summary="The audit log")
    async def audit_log(
        self,
        actor: CurrentActor,
        identity: Identity,
        actor_id: FromQuery[UUID | None] = None,
        action: FromQuery[AuditAction | None] = None,
        target_id: FromQuery[UUID | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[AuditEntry]:
        """Newest first; `until` is exclusive."""
        filters = AuditFilter(
            actor_id=actor_id, action=action, target_id=target_id, since=since, until=until
        )
        return await identity.read_audit_log(actor, AuditLogQuery(filters, limit, cursor))
