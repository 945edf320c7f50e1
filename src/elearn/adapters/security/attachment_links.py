"""Signed download links for conversation files: HMAC-SHA256 over who may fetch which file of
which conversation until when, keyed for this purpose only (``HMAC(secret, "elearn
conversation attachment v1")``), so nothing else signed with the same secret passes for one."""

from __future__ import annotations

import base64
import hashlib
import hmac

from elearn.application.communication.conversation_ports import AttachmentGrant

_PURPOSE = b"elearn conversation attachment v1"
MIN_SECRET_BYTES = 32
MAX_SIGNATURE_CHARS = 64


class HmacAttachmentLinks:
    def __init__(self, secret: bytes | str) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(f"the link secret needs at least {MIN_SECRET_BYTES} bytes")
        self._key = hmac.new(raw, _PURPOSE, hashlib.sha256).digest()

    def sign(self, grant: AttachmentGrant) -> str:
        message = b"".join(
            (
                grant.viewer_id.bytes,
                grant.conversation_id.bytes,
                grant.attachment_id.bytes,
                int(grant.expires_at.timestamp()).to_bytes(8, "big"),
            )
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def verifies(self, grant: AttachmentGrant, signature: str) -> bool:
        if len(signature) > MAX_SIGNATURE_CHARS or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(grant), signature)
