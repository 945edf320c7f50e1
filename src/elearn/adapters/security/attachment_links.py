"""Signed download links for the files of conversations and of support tickets: who may fetch
which file of which conversation (or ticket) until when, each kind under a purpose of its own."""

from __future__ import annotations

from elearn.adapters.security.grant_links import PurposeSigner
from elearn.application.communication.conversation_ports import AttachmentGrant
from elearn.application.support.ports import TicketAttachmentGrant


class HmacAttachmentLinks:
    """A conversation's files."""

    def __init__(self, secret: bytes | str) -> None:
        self._grants = PurposeSigner(secret, b"elearn conversation attachment v1")

    def sign(self, grant: AttachmentGrant) -> str:
        return self._grants.sign(
            grant.viewer_id.bytes,
            grant.conversation_id.bytes,
            grant.attachment_id.bytes,
            expires_at=grant.expires_at,
        )

    def verifies(self, grant: AttachmentGrant, signature: str) -> bool:
        return self._grants.verifies(
            signature,
            grant.viewer_id.bytes,
            grant.conversation_id.bytes,
            grant.attachment_id.bytes,
            expires_at=grant.expires_at,
        )


class HmacTicketAttachmentLinks:
    """A support ticket's files."""

    def __init__(self, secret: bytes | str) -> None:
        self._grants = PurposeSigner(secret, b"elearn support attachment v1")

    def sign(self, grant: TicketAttachmentGrant) -> str:
        return self._grants.sign(
            grant.viewer_id.bytes,
            grant.ticket_id.bytes,
            grant.attachment_id.bytes,
            expires_at=grant.expires_at,
        )

    def verifies(self, grant: TicketAttachmentGrant, signature: str) -> bool:
        return self._grants.verifies(
            signature,
            grant.viewer_id.bytes,
            grant.ticket_id.bytes,
            grant.attachment_id.bytes,
            expires_at=grant.expires_at,
        )
