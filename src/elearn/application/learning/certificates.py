"""Certificates: issued by a worker when an enrollment completes, downloaded by their holder,
verified by anyone who has the code.

Issuing is idempotent: the enrollment's row lock and the one-certificate-per-enrollment unique
index make a repeated or concurrent completion event find the certificate already there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import NotFound
from elearn.application.files import UploadPurpose, delete_quietly
from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.ports import CertificateCard, MediaFile
from elearn.domain.learning.certificate import (
    Certificate,
    CertificateIssued,
    new_serial,
    new_verification_code,
    normalized_code,
)
from elearn.domain.learning.enrollment import EnrollmentCompleted, EnrollmentStatus
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.events import DomainEvent

VERIFY_PATH = "/api/v1/certificates/verify"


class CertificateNotFound(NotFound):
    code = "certificate-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such certificate")


@dataclass(frozen=True, slots=True)
class Verification:
    """All that verification reveals."""

    valid: bool
    serial: str
    student_name: str
    course_title: str
    issued_at: datetime


def verification_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}{VERIFY_PATH}/{code}"


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


class IssueCertificate:
    """Issues the certificate of a completed enrollment, once (an outbox handler)."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, EnrollmentCompleted)
        await self.issue(event.enrollment_id)

    async def issue(self, enrollment_id: UUID) -> Certificate | None:
        deps = self._deps
        async with deps.uow() as uow:
            enrollment = await uow.learning.enrollments.get(enrollment_id, for_update=True)
            if enrollment is None or enrollment.status is not EnrollmentStatus.COMPLETED:
                return None  # left or revoked since
            existing = await uow.learning.certificates.for_enrollment(enrollment_id)
            if existing is not None:
                return existing
            student = await deps.identity.user(uow, enrollment.user_id)
            course = await deps.catalog.course_facts(uow, enrollment.course_id)
            if student is None or course is None:
                return None
            instructors = [await deps.identity.user(uow, i) for i in course.instructor_ids]
            issued_at = enrollment.completed_at or deps.clock.now()
            certificate = Certificate(
                id=deps.ids.new_id(),
                enrollment_id=enrollment.id,
                user_id=student.id,
                course_id=course.id,
                serial=new_serial(issued_at),
                verification_code=new_verification_code(),
                student_name=student.full_name,
                course_title=course.title,
                instructor_names=tuple(i.full_name for i in instructors if i is not None),
                issued_at=issued_at,
            )
            # Layout is CPU work: off the event loop, which other jobs share.
            pdf = await asyncio.to_thread(
                functools.partial(
                    deps.renderer.render,
                    certificate,
                    verification_url=verification_url(
                        deps.policy.public_url, certificate.verification_code
                    ),
                )
            )
            stored = await deps.storage.save(
                _one_chunk(pdf),
                purpose=UploadPurpose.CERTIFICATE,
                original_name=f"certificate-{certificate.serial}.pdf",
            )
            certificate = dataclasses.replace(certificate, pdf_key=stored.key)
            try:
                await uow.learning.certificates.add(certificate)
                uow.publish(
                    CertificateIssued(
                        event_id=deps.ids.new_id(),
                        occurred_at=deps.clock.now(),
                        certificate_id=certificate.id,
                        user_id=certificate.user_id,
                        course_id=certificate.course_id,
                        course_title=certificate.course_title,
                    )
                )
                await uow.commit()
            except BaseException as error:
                await delete_quietly(deps.storage, stored.key)
                if isinstance(error, Conflict):  # issued meanwhile by another worker
                    return None
                raise
        return certificate


class ListMyCertificates:
    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> list[CertificateCard]:
        return await self._deps.queries.my_certificates(require_signed_in(actor))


class GetCertificatePdf:
    """The PDF, for its holder and staff."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, certificate_id: UUID) -> MediaFile:
        user_id = require_signed_in(actor)
        async with self._deps.uow(read_only=True) as uow:
            certificate = await uow.learning.certificates.get(certificate_id)
        if certificate is None or certificate.pdf_key is None:
            raise CertificateNotFound()
        if certificate.user_id != user_id:
            self._deps.authorizer.authorize(
                actor, Permission.VIEW_ANY_CERTIFICATE, otherwise=CertificateNotFound()
            )
        size = await self._deps.storage.size(certificate.pdf_key)
        return MediaFile(
            certificate.pdf_key, "application/pdf", f"certificate-{certificate.serial}.pdf", size
        )


class VerifyCertificate:
    """Anyone checks a code: validity, name, course and date, nothing more."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, code: str) -> Verification:
        cleaned = normalized_code(code)
        if not cleaned or len(cleaned) > 64:
            raise CertificateNotFound()
        async with self._deps.uow(read_only=True) as uow:
            certificate = await uow.learning.certificates.by_code(cleaned)
        if certificate is None:
            raise CertificateNotFound()
        return Verification(
            valid=certificate.is_valid,
            serial=certificate.serial,
            student_name=certificate.student_name,
            course_title=certificate.course_title,
            issued_at=certificate.issued_at,
        )
