"""A person's data, exported: asked for by the person (or by staff for them), built in the
background into a zip of one JSON file per context plus their files, downloaded by the person
while it lasts, and deleted when it expires."""

from __future__ import annotations

import asyncio
import json
import tempfile
import zipfile
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import IO, Any
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import Gone, NotFound
from elearn.application.files import (
    PrivateFile,
    UploadPurpose,
    delete_quietly,
    purge_expired_files,
    sanitize_filename,
)
from elearn.application.mail import in_zone
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.personal_data import PersonalData
from elearn.application.privacy.deps import PrivacyDeps
from elearn.application.privacy.ports import ExportView, PrivacyUnitOfWork
from elearn.domain.privacy.requests import (
    DataExport,
    DataExportReady,
    DataExportRequested,
    ExportStatus,
)
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.events import DomainEvent

ARCHIVE_MEDIA_TYPE = "application/zip"
_SPOOL_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024
# An export still pending this long after it was asked for is taken as failed.
_STUCK_AFTER = timedelta(days=1)


class ExportNotFound(NotFound):
    code = "export-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such export")


class ExportExpired(Gone):
    code = "export-expired"

    def __init__(self) -> None:
        super().__init__("this export has expired; ask for a new one")


class ExportFailed(Gone):
    code = "export-failed"

    def __init__(self) -> None:
        super().__init__("this export could not be built; ask for a new one")


class ExportNotReady(Conflict):
    """Asked for the archive before it was built (HTTP 409)."""

    code = "export-not-ready"


class UserNotFound(NotFound):
    code = "user-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such account")


def download_path(export_id: UUID) -> str:
    return f"/api/v1/me/exports/{export_id}/archive"


def view_of(export: DataExport, now: datetime) -> ExportView:
    return ExportView(
        id=export.id,
        status=export.status,
        requested_at=export.requested_at,
        ready_at=export.ready_at,
        expires_at=export.expires_at,
        size=export.size,
        download_url=download_path(export.id) if export.is_downloadable(now) else None,
    )


class RequestDataExport:
    """The person asks for their own data (``user_id`` left out), or an admin for someone's.
    One export at a time per person: asking again while one is being built answers that one."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, user_id: UUID | None = None) -> ExportView:
        deps = self._deps
        requester = require_signed_in(actor)
        if user_id is not None:  # staff, for someone (themselves included: it is audited)
            deps.authorizer.authorize(actor, Permission.EXPORT_PERSONAL_DATA)
        subject = user_id or requester
        now = deps.clock.now()
        async with deps.uow() as uow:
            person = await deps.identity.user(uow, subject)
            if person is None:
                raise UserNotFound()
            export = await uow.privacy.exports.pending_for(subject)
            if export is not None and now - export.requested_at > _STUCK_AFTER:
                export.fail()  # its job died for good: it must not block every later request
                export = None
            if export is None:
                export = DataExport.request(
                    export_id=deps.ids.new_id(),
                    event_id=deps.ids.new_id(),
                    user_id=subject,
                    requested_by=requester,
                    now=now,
                )
                await uow.privacy.exports.add(export)
                deps.audit(
                    uow, actor, AuditAction.DATA_EXPORT_REQUESTED,
                    target_type="user", target_id=subject, export_id=export.id,
                )  # fmt: skip
            await uow.commit()
        return view_of(export, now)


class ListMyExports:
    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> Page[ExportView]:
        user_id = require_signed_in(actor)
        check_limit(limit)
        page = await page_of(self._deps.queries.exports_of(user_id, limit=limit, cursor=cursor))
        now = self._deps.clock.now()
        return Page([view_of(export, now) for export in page.items], page.next_cursor)


class GetExportArchive:
    """The archive, for the person it is about (and staff who may export anyone's data) while
    it lasts; an expired one answers 410."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, export_id: UUID) -> PrivateFile:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow(read_only=True) as uow:
            export = await uow.privacy.exports.get(export_id)
        if export is None:
            raise ExportNotFound()
        if export.user_id != user_id:
            deps.authorizer.authorize(
                actor, Permission.EXPORT_PERSONAL_DATA, otherwise=ExportNotFound()
            )
        if export.status is ExportStatus.PENDING:
            raise ExportNotReady("the archive is still being built; you will get an email")
        if export.status is ExportStatus.FAILED:
            raise ExportFailed()
        if not export.is_downloadable(deps.clock.now()) or export.file_key is None:
            raise ExportExpired()
        size = await deps.storage.size(export.file_key)
        stamp = (export.ready_at or export.requested_at).strftime("%Y%m%d")
        return PrivateFile(export.file_key, ARCHIVE_MEDIA_TYPE, f"my-data-{stamp}.zip", size)


class BuildDataExport:
    """The outbox handler: gathers every context's personal data in one read transaction,
    writes the archive, stores it and marks the export ready (which emails the person).
    Idempotent: an export no longer pending is left alone."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, DataExportRequested)
        await self.build(event.export_id)

    async def build(self, export_id: UUID) -> None:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            export = await uow.privacy.exports.get(export_id)
            if export is None or export.status is not ExportStatus.PENDING:
                return
            sections = {
                name: await provider.export(uow, export.user_id)
                for name, provider in deps.personal_data.items()
            }
        now = deps.clock.now()
        spool = await self._write_archive(export, sections, now)
        try:
            size = await asyncio.to_thread(lambda: spool.seek(0, 2))
            await asyncio.to_thread(spool.seek, 0)
            stored = await deps.storage.save(
                _chunks_of(spool),
                purpose=UploadPurpose.DATA_EXPORT,
                original_name=f"export-{export.id}.zip",
            )
        finally:
            spool.close()
        async with deps.uow() as uow:
            export = await uow.privacy.exports.get(export_id, for_update=True)
            if export is None or export.status is not ExportStatus.PENDING:
                await delete_quietly(deps.storage, stored.key)
                return
            export.complete(
                file_key=stored.key,
                size=size,
                now=deps.clock.now(),
                keep_for=deps.export_lifetime,
                event_id=deps.ids.new_id(),
            )
            await uow.commit()

    async def _write_archive(
        self, export: DataExport, sections: Mapping[str, PersonalData], now: datetime
    ) -> IO[bytes]:
        storage = self._deps.storage
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        missing: list[str] = []
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in sections.items():
                archive.writestr(f"{name}.json", _json(data.records))
                for number, file in enumerate(data.files, start=1):
                    path = f"files/{name}/{number:03d}-{sanitize_filename(file.name) or 'file'}"
                    try:
                        with archive.open(path, "w") as member:
                            async for chunk in storage.read(file.key):
                                member.write(chunk)
                    except NotFound:
                        missing.append(path)
            manifest: dict[str, Any] = {
                "user_id": str(export.user_id),
                "export_id": str(export.id),
                "generated_at": now.isoformat(),
                "sections": sorted(sections),
                "files_missing_from_storage": missing,
            }
            archive.writestr("manifest.json", _json(manifest))
        spool.flush()
        return spool


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


async def _chunks_of(spool: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(spool.read, _CHUNK):
        yield chunk


class SendExportReadyEmail:
    """Tells the person their archive is ready, with where to download it."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, DataExportReady)
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            facts = await deps.identity.user(uow, event.user_id)
            person = await deps.identity.recipient(uow, event.user_id)
            export = await uow.privacy.exports.get(event.export_id)
        if facts is None or person is None or export is None or not facts.is_active:
            return
        context: dict[str, object] = {
            "full_name": person.full_name,
            # The front end's page of exports: an API URL needs a token a mail client lacks.
            "exports_url": deps.policy.links.data_exports(),
            "expires_at": in_zone(export.expires_at or export.requested_at, person.time_zone),
        }
        message = deps.templates.render(
            "data_export_ready", context, to=[person.email], language=person.language
        )
        await deps.mailer.send(message)


class PurgeExpiredExports:
    """The periodic job: archives past their expiry are deleted (the rows stay, without a file)."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        now = self._deps.clock.now()

        async def expired(uow: PrivacyUnitOfWork, limit: int) -> list[DataExport]:
            return await uow.privacy.exports.expired(now, limit=limit)

        return await purge_expired_files(self._deps.uow, expired, self._deps.storage)
