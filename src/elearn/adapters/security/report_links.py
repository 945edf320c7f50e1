"""Signed download links for staff reports: HMAC-SHA256 over who may fetch which report until
when, keyed for this purpose only (``HMAC(secret, "elearn report download v1")``), so nothing
else signed with the same secret passes for one."""

from __future__ import annotations

import base64
import hashlib
import hmac

from elearn.application.reporting.ports import DownloadGrant

_PURPOSE = b"elearn report download v1"
MIN_SECRET_BYTES = 32
MAX_SIGNATURE_CHARS = 64


class HmacReportLinks:
    def __init__(self, secret: bytes | str) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(f"the link secret needs at least {MIN_SECRET_BYTES} bytes")
        self._key = hmac.new(raw, _PURPOSE, hashlib.sha256).digest()

    def sign(self, grant: DownloadGrant) -> str:
        message = b"".join(
            (
                grant.viewer_id.bytes,
                grant.report_id.bytes,
                int(grant.expires_at.timestamp()).to_bytes(8, "big"),
            )
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def verifies(self, grant: DownloadGrant, signature: str) -> bool:
        if len(signature) > MAX_SIGNATURE_CHARS or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(grant), signature)
