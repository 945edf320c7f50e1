"""A tutor applicant's CV and certificate, opened by staff deciding the application (issue 18):
through links signed for the staff member who listed the applications, valid a few minutes,
each opening written to the audit log."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import Gone, NotFound, PermissionDenied
from elearn.application.files import EXTENSION_FOR_MEDIA_TYPE, PrivateFile, link_expiry
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import ApplicationSummary, DocumentGrant
from elearn.domain.shared.audit import AuditAction

_MEDIA_TYPE_FOR_EXTENSION = {ext: media for media, ext in EXTENSION_FOR_MEDIA_TYPE.items()}


class ApplicantDocument(StrEnum):
    CV = "cv"
    CERTIFICATE = "certificate"


class DocumentLinkExpired(Gone):
    code = "document-link-expired"

    def __init__(self) -> None:
        super().__init__("this link has expired; list the applications again for a new one")


class DocumentLinkInvalid(PermissionDenied):
    code = "document-link-invalid"

    def __init__(self) -> None:
        super().__init__("this link is not valid for you")


def document_path(application_id: UUID, document: ApplicantDocument) -> str:
    return f"/api/v1/admin/tutor-applications/{application_id}/documents/{document.value}"


def with_document_links(
    deps: IdentityDeps, summary: ApplicationSummary, viewer_id: UUID, now: datetime
) -> ApplicationSummary:
    """The summary with its documents' links, signed for ``viewer_id``."""
    expires_at = (now + timedelta(seconds=deps.policy.document_link_seconds)).replace(microsecond=0)

    def link(document: ApplicantDocument) -> str:
        grant = DocumentGrant(viewer_id, summary.id, document.value, expires_at)
        signature = deps.document_links.sign(grant)
        expires = int(expires_at.timestamp())
        return f"{document_path(summary.id, document)}?expires={expires}&signature={signature}"

    return dataclasses.replace(
        summary,
        cv_url=link(ApplicantDocument.CV),
        certificate_url=link(ApplicantDocument.CERTIFICATE),
    )


class OpenApplicantDocument:
    """Staff who review applications open an applicant's CV or certificate with a link an
    application list signed for them: 410 `document-link-expired` once past, 403
    `document-link-invalid` for a forged or someone else's link. Every opening is audited."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        application_id: UUID,
        document: ApplicantDocument,
        *,
        expires: int,
        signature: str,
    ) -> PrivateFile:
        deps = self._deps
        viewer = require_signed_in(actor)
        deps.authorizer.authorize(actor, Permission.REVIEW_TUTOR_APPLICATIONS)
        now = deps.clock.now()
        expires_at = link_expiry(expires)
        if expires_at is None:
            raise DocumentLinkInvalid()
        grant = DocumentGrant(viewer, application_id, document.value, expires_at)
        if not deps.document_links.verifies(grant, signature):
            raise DocumentLinkInvalid()
        if now >= expires_at:
            raise DocumentLinkExpired()
        async with deps.uow() as uow:
            application = await uow.tutor_applications.get(application_id)
            if application is None:
                raise NotFound("there is no such tutor application")
            key = (
                application.cv_key
                if document is ApplicantDocument.CV
                else application.certificate_key
            )
            deps.audit(
                uow, actor, AuditAction.APPLICANT_DOCUMENT_OPENED,
                target_type="tutor_application", target_id=application_id,
                document=document.value,
            )  # fmt: skip
            await uow.commit()
        size = await deps.storage.size(key)
        extension = "." + key.rsplit(".", 1)[-1] if "." in key else ""
        media_type = _MEDIA_TYPE_FOR_EXTENSION.get(extension, "application/octet-stream")
        return PrivateFile(key, media_type, f"{document.value}{extension}", size)
