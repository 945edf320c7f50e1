"""Signed links to a tutor applicant's documents: who may open which document of which
application until when, under a purpose of their own."""

from __future__ import annotations

from elearn.adapters.security.grant_links import PurposeSigner
from elearn.application.identity.ports import DocumentGrant


class HmacApplicantDocumentLinks:
    def __init__(self, secret: bytes | str) -> None:
        self._grants = PurposeSigner(secret, b"elearn applicant document v1")

    def sign(self, grant: DocumentGrant) -> str:
        return self._grants.sign(*_parts(grant), expires_at=grant.expires_at)

    def verifies(self, grant: DocumentGrant, signature: str) -> bool:
        return self._grants.verifies(signature, *_parts(grant), expires_at=grant.expires_at)


def _parts(grant: DocumentGrant) -> tuple[bytes, ...]:
    # The document's name padded to a fixed width, so the message's parts never run together.
    return (
        grant.viewer_id.bytes,
        grant.application_id.bytes,
        grant.document.encode("ascii").ljust(16, b"\x00"),
    )
