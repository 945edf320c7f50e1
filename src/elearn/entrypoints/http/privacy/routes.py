"""/api/v1/me/export(s), DELETE /api/v1/me and /api/v1/me/erasure: a person's own data; and
/api/v1/admin/users/{id}/export|erasure: the same, run by an admin on the person's request."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from elearn.application.paging import Page
from elearn.application.privacy.erasure import EraseMeCommand
from elearn.application.privacy.ports import ErasureView, ExportView
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import Password, RequestBody
from elearn.entrypoints.http.docs import binary
from elearn.entrypoints.http.downloads import private_download
from elearn.entrypoints.http.identity.admin_routes import Cursor, Limit
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.privacy import Privacy


class EraseMeBody(RequestBody):
    # Left out: you must have signed in within the last minutes.
    password: Password | None = None


class EraseUserBody(RequestBody):
    # Skip the grace period (the person asked staff, and was verified).
    immediately: bool = False


class MyDataController(Controller):
    path = "/me"
    tags = ["privacy"]
    guards = [signed_in]

    @post(
        "/export",
        operation_id="request_my_data_export",
        summary="Ask for an archive of your data",
        status_code=202,
    )
    async def request_export(self, actor: CurrentActor, privacy: Privacy) -> ExportView:
        """Builds, in the background, a zip of everything the platform holds about you: one JSON
        file per part of the platform and the files you uploaded. You get an email when it is
        ready; `GET /me/exports` shows where it stands. Asking again while one is being built
        answers that one."""
        return await privacy.request_export(actor)

    @get("/exports", operation_id="list_my_data_exports", summary="Your data exports")
    async def list_exports(
        self, actor: CurrentActor, privacy: Privacy, limit: Limit = 20, cursor: Cursor = None
    ) -> Page[ExportView]:
        """Newest first, with `download_url` while the archive can be downloaded."""
        return await privacy.my_exports(actor, limit=limit, cursor=cursor)

    @problems("export-not-found", "export-not-ready", "export-expired", "export-failed")
    @binary("application/zip")
    @get(
        "/exports/{export_id:uuid}/archive",
        operation_id="download_my_data_export",
        summary="Download an archive of your data",
    )
    async def download(
        self,
        export_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        privacy: Privacy,
    ) -> Stream:
        """Signed in as the person (or an admin); 409 `export-not-ready` while it is built,
        410 `export-expired` once it has expired (`export-failed` if it could not be built)."""
        archive = await privacy.export_archive(actor, export_id)
        return private_download(privacy.deps.storage, archive)

    @problems("invalid-input", "erasure-scheduled", "rate-limited")
    @delete(
        "/",
        operation_id="erase_me",
        summary="Erase your account and data",
        status_code=202,
    )
    async def erase_me(
        self, actor: CurrentActor, privacy: Privacy, data: JSONBody[EraseMeBody | None] = None
    ) -> ErasureView:
        """Schedules the erasure of your personal data after a grace period (`due_at`). Send
        your current `password`, or sign in again first (within 10 minutes). Signing in again
        before `due_at`, or `POST /me/erasure/cancel`, cancels it. Records the law requires
        (orders, invoices, ledger entries) are kept under a pseudonym."""
        password = data.password if data is not None else None
        return await privacy.erase_me(actor, EraseMeCommand(password=password))

    @problems("erasure-not-found")
    @get("/erasure", operation_id="get_my_erasure", summary="Your scheduled erasure")
    async def my_erasure(self, actor: CurrentActor, privacy: Privacy) -> ErasureView:
        """404 `erasure-not-found` when none is scheduled. A sign-in after asking cancels the
        erasure when it falls due (it shows as scheduled until then)."""
        return await privacy.my_erasure(actor)

    @problems("erasure-not-found")
    @post(
        "/erasure/cancel",
        operation_id="cancel_my_erasure",
        summary="Keep your account",
        status_code=200,
    )
    async def cancel_erasure(self, actor: CurrentActor, privacy: Privacy) -> ErasureView:
        """Cancels the scheduled erasure; 404 `erasure-not-found` when none is scheduled."""
        return await privacy.cancel_my_erasure(actor)


class UserDataAdminController(Controller):
    path = "/admin/users"
    tags = ["privacy"]
    guards = [signed_in]

    @problems("user-not-found", "already-erased")
    @post(
        "/{user_id:uuid}/export",
        operation_id="request_user_data_export",
        summary="Export a person's data for them",
        status_code=202,
    )
    async def export(
        self, user_id: FromPath[UUID], actor: CurrentActor, privacy: Privacy
    ) -> ExportView:
        """Admins, on the person's request; audited. The archive is emailed to the person."""
        return await privacy.request_export(actor, user_id)

    @problems("user-not-found", "already-erased", "erasure-scheduled")
    @post(
        "/{user_id:uuid}/erasure",
        operation_id="erase_user",
        summary="Erase a person's data for them",
        status_code=202,
    )
    async def erase(
        self,
        user_id: FromPath[UUID],
        actor: CurrentActor,
        privacy: Privacy,
        data: JSONBody[EraseUserBody | None] = None,
    ) -> ErasureView:
        """Admins, on the person's request; audited. After the grace period, or at once with
        `immediately`; 409 `already-erased` for an account erased before."""
        immediately = data.immediately if data is not None else False
        return await privacy.erase_user(actor, user_id, immediately=immediately)


PRIVACY_CONTROLLERS = [MyDataController, UserDataAdminController]
