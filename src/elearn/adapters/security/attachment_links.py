"""Signed download links for the files of conversations and of support tickets: HMAC-SHA256
over who may fetch which file of which conversation (or ticket) until when, keyed for each
purpose only (``HMAC(secret, "elearn conversation attachment v1")``), so nothing signed for one
purpose, nor anything else signed with the same secret, passes for another."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from uuid import UUID

from elearn.application.communication.conversation_ports import AttachmentGrant
from elearn.application.support.ports import TicketAttachmentGrant

MIN_SECRET_BYTES = 32
MAX_SIGNATURE_CHARS = 64


class _HmacGrants:
    def __init__(self, secret: bytes | str, purpose: bytes) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(f"the link secret needs at least {MIN_SECRET_BYTES} bytes")
        self._key = hmac.new(raw, purpose, hashlib.sha256).digest()

    def sign(self, viewer: UUID, scope: UUID, item: UUID, expires_at: datetime) -> str:
        message = b"".join(
            (
                viewer.bytes,
                scope.bytes,
                item.bytes,
                int(expires_at.timestamp()).to_bytes(8, "big"),
            )
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def verifies(
        self, viewer: UUID, scope: UUID, item: UUID, expires_at: datetime, signature: str
    ) -> bool:
        if len(signature) > MAX_SIGNATURE_CHARS or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(viewer, scope, item, expires_at), signature)


class HmacAttachmentLinks:
    """A conversation's files."""

    def __init__(self, secret: bytes | str) -> None:
        self._grants = _HmacGrants(secret, b"elearn conversation attachment v1")

    def sign(self, grant: AttachmentGrant) -> str:
        return self._grants.sign(
            grant.viewer_id, grant.conversation_id, grant.attachment_id, grant.expires_at
        )

    def verifies(self, grant: AttachmentGrant, signature: str) -> bool:
        return self._grants.verifies(
            grant.viewer_id, grant.conversation_id, grant.attachment_id, grant.expires_at, signature
        )


class HmacTicketAttachmentLinks:
    """A support ticket's files."""

    def __init__(self, secret: bytes | str) -> None:
        self._grants = _HmacGrants(secret, b"elearn support attachment v1")

    def sign(self, grant: TicketAttachmentGrant) -> str:
        return self._grants.sign(
            grant.viewer_id, grant.ticket_id, grant.attachment_id, grant.expires_at
        )

    def verifies(self, grant: TicketAttachmentGrant, signature: str) -> bool:
        return self._grants.verifies(
            grant.viewer_id, grant.ticket_id, grant.attachment_id, grant.expires_at, signature
        )
