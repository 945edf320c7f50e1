"""A tutor applicant's CV and certificate (issue 18): staff open them through links the list of
applications signed for them, valid a few minutes; every opening is in the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.integration.usecases.world import World
from tests.support.identity import PDF, png

from elearn.application.files import Upload
from elearn.application.identity.account import TutorApplicationCommand
from elearn.application.identity.admin import AuditLogQuery, ListTutorApplicationsQuery
from elearn.application.identity.applicant_documents import (
    ApplicantDocument,
    DocumentLinkExpired,
    DocumentLinkInvalid,
)
from elearn.application.identity.ports import AuditFilter
from elearn.domain.identity.tutor_application import ApplicationStatus


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _link(url: str | None) -> tuple[int, str]:
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    return int(query["expires"][0]), query["signature"][0]


async def test_staff_open_an_applicants_documents_through_links_signed_for_them(
    world: World,
) -> None:
    identity = world.container.identity
    await identity.apply_as_tutor(
        world.classmate,
        TutorApplicationCommand(
            "Chemistry",
            ["Chemistry"],
            Upload(_chunks(PDF), "cv.pdf"),
            Upload(_chunks(png()), "c.png"),
        ),
    )
    listed = await identity.list_tutor_applications(
        world.manager, ListTutorApplicationsQuery(status=ApplicationStatus.PENDING)
    )
    application = next(a for a in listed.items if a.user_id == world.classmate.user_id)
    assert application.cv_url is not None and "/documents/cv?" in application.cv_url

    expires, signature = _link(application.cv_url)
    opened = await identity.open_applicant_document(
        world.manager, application.id, ApplicantDocument.CV, expires=expires, signature=signature
    )
    data = b"".join([chunk async for chunk in world.container.storage.read(opened.key)])
    assert (opened.content_type, data, opened.size) == ("application/pdf", PDF, len(PDF))
    expires_c, signature_c = _link(application.certificate_url)
    certificate = await identity.open_applicant_document(
        world.manager,
        application.id,
        ApplicantDocument.CERTIFICATE,
        expires=expires_c,
        signature=signature_c,
    )
    assert certificate.content_type == "image/png"

    # The manager's link opens nothing for the admin, nor another document, nor later.
    with pytest.raises(DocumentLinkInvalid):
        await identity.open_applicant_document(
            world.admin, application.id, ApplicantDocument.CV, expires=expires, signature=signature
        )
    with pytest.raises(DocumentLinkInvalid):
        await identity.open_applicant_document(
            world.manager,
            application.id,
            ApplicantDocument.CERTIFICATE,
            expires=expires,
            signature=signature,
        )
    world.clock.advance(timedelta(minutes=6))
    with pytest.raises(DocumentLinkExpired):
        await identity.open_applicant_document(
            world.manager,
            application.id,
            ApplicantDocument.CV,
            expires=expires,
            signature=signature,
        )
    log = await identity.read_audit_log(
        world.admin, AuditLogQuery(filters=AuditFilter(target_id=application.id), limit=20)
    )
    opened_documents = sorted(
        entry.details["document"]
        for entry in log.items
        if entry.action.value == "tutor.document_opened"
    )
    assert opened_documents == ["certificate", "cv"]
