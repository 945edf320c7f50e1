"""Signatures of the links that grant one person one thing until a time (a conversation's file,
a ticket's file, a staff report, an applicant's document): HMAC-SHA256 over the grant's parts,
under a key derived for each purpose only (``HMAC(secret, purpose)``), so nothing signed for
one purpose, nor anything else signed with the same secret, passes for another."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

MIN_SECRET_BYTES = 32
MAX_SIGNATURE_CHARS = 64


class PurposeSigner:
    def __init__(self, secret: bytes | str, purpose: bytes) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(f"the link secret needs at least {MIN_SECRET_BYTES} bytes")
        self._key = hmac.new(raw, purpose, hashlib.sha256).digest()

    def sign(self, *parts: bytes, expires_at: datetime) -> str:
        """Every part has a fixed length (ids, padded names), so no two grants share a message."""
        message = b"".join((*parts, int(expires_at.timestamp()).to_bytes(8, "big")))
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def verifies(self, signature: str, *parts: bytes, expires_at: datetime) -> bool:
        if len(signature) > MAX_SIGNATURE_CHARS or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(*parts, expires_at=expires_at), signature)
