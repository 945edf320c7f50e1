"""Device tokens (OWASP's device cookie): ``d1.<user>.<device>.<issued>.<mac>``, an HMAC-SHA256
over the rest with a key of their own. The key is derived from the JWT secret under its own
label, so no other token can pass for one; changing the secret makes every device unknown again
(their owners sign in as from a new device once), which is all a stolen key could be worth."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

from elearn.application.identity.ports import DeviceClaims

_VERSION = "d1"
_KEY_LABEL = b"elearn device tokens v1"
_MAX_LENGTH = 200
_MIN_SECRET_CHARS = 32
# A token issued by a server whose clock runs a little ahead is still good.
_CLOCK_SKEW = timedelta(minutes=5)


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class HmacDeviceTokens:
    def __init__(self, secret: str, *, lifetime: timedelta) -> None:
        if len(secret) < _MIN_SECRET_CHARS:
            # An empty or short secret would make every device token forgeable.
            raise ValueError("device tokens need a secret of 32+ characters")
        self._key = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
        self._lifetime = lifetime

    def issue(self, user_id: UUID, now: datetime) -> str:
        body = f"{_VERSION}.{user_id.hex}.{secrets.token_hex(16)}.{int(now.timestamp())}"
        return f"{body}.{_mac(self._key, body)}"

    def verify(self, token: str, now: datetime) -> DeviceClaims | None:
        if len(token) > _MAX_LENGTH or not token.isascii():
            return None
        body, _, mac = token.rpartition(".")
        parts = body.split(".")
        if len(parts) != 4 or parts[0] != _VERSION:
            return None
        if not hmac.compare_digest(mac, _mac(self._key, body)):
            return None
        _, user_hex, device_id, issued = parts
        try:
            user_id = UUID(hex=user_hex)
            issued_at = datetime.fromtimestamp(int(issued), UTC)
        except (ValueError, OverflowError, OSError):
            return None
        if not issued_at - _CLOCK_SKEW <= now <= issued_at + self._lifetime:
            return None
        return DeviceClaims(user_id=user_id, device_id=device_id, issued_at=issued_at)
