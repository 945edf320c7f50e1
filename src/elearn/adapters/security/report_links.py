"""Signed download links for staff reports: who may fetch which report until when, under a
purpose of their own."""

from __future__ import annotations

from elearn.adapters.security.grant_links import PurposeSigner
from elearn.application.reporting.ports import DownloadGrant


class HmacReportLinks:
    def __init__(self, secret: bytes | str) -> None:
        self._grants = PurposeSigner(secret, b"elearn report download v1")

    def sign(self, grant: DownloadGrant) -> str:
        return self._grants.sign(
            grant.viewer_id.bytes, grant.report_id.bytes, expires_at=grant.expires_at
        )

    def verifies(self, grant: DownloadGrant, signature: str) -> bool:
        return self._grants.verifies(
            signature, grant.viewer_id.bytes, grant.report_id.bytes, expires_at=grant.expires_at
        )
