"""Web Push subscriptions: a browser (or a phone's web app) that asked the platform to wake it
with notifications, through its push service (RFC 8030), the payload encrypted to its keys
(RFC 8291) and the request signed with the platform's VAPID key (RFC 8292).

A subscription belongs to a person and to the sign-in that registered it: it ends with that
sign-in (signed out, revoked, every sign-in ended by a password change or reset), as a device
token does, so a shared computer stops receiving someone's notifications once they sign out.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation

# A person's subscriptions (browsers and devices) kept at once: a new one beyond it replaces
# their oldest, so a script cannot make one notification cost thousands of requests.
MAX_PER_PERSON = 10
MAX_ENDPOINT_LENGTH = 1024
# An uncompressed P-256 point (0x04 || X || Y), and the auth secret (RFC 8291 §3).
P256DH_BYTES = 65
AUTH_BYTES = 16


class InvalidPushSubscription(RuleViolation):
    code = "invalid-push-subscription"


def decode_key(value: str, *, length: int, field: str) -> bytes:
    """A key as browsers give it (``PushSubscription.toJSON()``): unpadded base64url."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidPushSubscription(f"{field} is not base64url") from None
    if len(raw) != length:
        raise InvalidPushSubscription(f"{field} is {length} bytes, base64url-encoded")
    return raw


@dataclasses.dataclass(kw_only=True, eq=False)
class PushSubscription:
    id: UUID
    person_id: UUID
    session_id: UUID | None
    endpoint: str
    p256dh: str
    auth: str
    created_at: datetime

    def __post_init__(self) -> None:
        if len(self.endpoint) > MAX_ENDPOINT_LENGTH:
            raise InvalidPushSubscription(
                f"an endpoint is at most {MAX_ENDPOINT_LENGTH} characters"
            )
        try:
            parts = urlsplit(self.endpoint)
            parts.port  # noqa: B018 - raises for a port that is no number
        except ValueError:
            raise InvalidPushSubscription("the endpoint is not a URL") from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise InvalidPushSubscription("the endpoint is the push service's URL")
        if parts.username or parts.password:
            raise InvalidPushSubscription("the endpoint carries no credentials")
        point = decode_key(self.p256dh, length=P256DH_BYTES, field="keys.p256dh")
        if point[0] != 0x04:
            raise InvalidPushSubscription("keys.p256dh is an uncompressed P-256 point")
        decode_key(self.auth, length=AUTH_BYTES, field="keys.auth")


def service_allowed(endpoint: str, services: tuple[str, ...]) -> bool:
    """Whether the endpoint is at one of the push services the platform sends to, so a
    subscription cannot make the server post to any address it is given. A service is a
    domain (``fcm.googleapis.com``: itself and its subdomains, over https) or an origin
    (``http://127.0.0.1:8085``: exactly that, as a test's push service is)."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    for service in services:
        if "://" in service:
            origin = urlsplit(service)
            if (parts.scheme, host, port) == (
                origin.scheme,
                (origin.hostname or "").lower(),
                origin.port,
            ):
                return True
        elif parts.scheme == "https" and (host == service or host.endswith("." + service)):
            return True
    return False
