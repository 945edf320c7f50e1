"""Signed links to a tutor applicant's documents: HMAC-SHA256 over who may open which document
of which application until when, keyed for this purpose only (``HMAC(secret, "elearn
applicant document v1")``), so nothing else signed with the same secret passes for one."""

from __future__ import annotations

import base64
import hashlib
import hmac

from elearn.application.identity.ports import DocumentGrant

_PURPOSE = b"elearn applicant document v1"
MIN_SECRET_BYTES = 32
MAX_SIGNATURE_CHARS = 64


class HmacApplicantDocumentLinks:
    def __init__(self, secret: bytes | str) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(f"the link secret needs at least {MIN_SECRET_BYTES} bytes")
        self._key = hmac.new(raw, _PURPOSE, hashlib.sha256).digest()

    def sign(self, grant: DocumentGrant) -> str:
        message = b"".join(
            (
                grant.viewer_id.bytes,
                grant.application_id.bytes,
                grant.document.encode("ascii").ljust(16, b"\x00"),
                int(grant.expires_at.timestamp()).to_bytes(8, "big"),
            )
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def verifies(self, grant: DocumentGrant, signature: str) -> bool:
        if len(signature) > MAX_SIGNATURE_CHARS or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(grant), signature)
