"""Web Push through py-vapid (the VAPID signature, RFC 8292) and http-ece (the payload's
``aes128gcm`` encryption, RFC 8188/8291), both kept by Mozilla's push team and the pieces
pywebpush itself is made of; the request is posted with httpx, asynchronously (pywebpush would
bring requests and aiohttp besides, and block a thread per push on the synchronous path)."""

from __future__ import annotations

import base64
import logging
import os
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from elearn.application.communication.notification_ports import PushOutcome
from elearn.domain.communication.push import PushSubscription

if TYPE_CHECKING:
    import httpx

__all__ = ["DisabledPushSender", "VapidPushSender", "public_key_of"]

logger = logging.getLogger(__name__)

# RFC 8292 §2: a VAPID token is valid at most 24 hours; services reject one at the limit.
_TOKEN_SECONDS = 12 * 3600
_TIMEOUT_SECONDS = 10.0


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_key_of(private_key: str) -> str:
    """The VAPID public key (base64url, uncompressed point) of a raw base64url private key."""
    return _b64url(_raw_public(Vapid02.from_raw(private_key.encode()).public_key))


class DisabledPushSender:
    """No VAPID key configured (production that did not set one): no push at all."""

    public_key: str | None = None

    async def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl_seconds: int
    ) -> PushOutcome:
        return PushOutcome.FAILED

    async def close(self) -> None:
        return None


class VapidPushSender:
    def __init__(self, private_key: str, subject: str) -> None:
        self._vapid = Vapid02.from_raw(private_key.encode())
        self.public_key: str | None = _b64url(_raw_public(self._vapid.public_key))
        self._subject = subject
        # One signed token per push service origin, renewed well before it expires.
        self._tokens: dict[str, tuple[float, str]] = {}
        self._client: httpx.AsyncClient | None = None

    def _authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is not None and cached[0] > now + 3600:
            return cached[1]
        expires = int(now) + _TOKEN_SECONDS
        header = self._vapid.sign({"aud": audience, "exp": expires, "sub": self._subject})
        self._tokens[audience] = (expires, header["Authorization"])
        return header["Authorization"]

    def _encrypt(self, subscription: PushSubscription, payload: bytes) -> bytes:
        # A fresh key and salt for every message (RFC 8291 §3.4).
        import http_ece  # loaded by the first push, not by every API process

        body: bytes = http_ece.encrypt(
            payload,
            salt=os.urandom(16),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            dh=_unb64url(subscription.p256dh),
            auth_secret=_unb64url(subscription.auth),
            version="aes128gcm",
        )
        return body

    async def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl_seconds: int
    ) -> PushOutcome:
        import httpx  # on first use: most processes never push, and it is slow to import

        if self._client is None:
            # Redirects are not followed: the endpoint was checked, where it points was not.
            self._client = httpx.AsyncClient(timeout=_TIMEOUT_SECONDS, follow_redirects=False)
        headers = {
            "Authorization": self._authorization(subscription.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ttl_seconds),
            "Urgency": "normal",
        }
        try:
            answer = await self._client.post(
                subscription.endpoint,
                content=self._encrypt(subscription, payload),
                headers=headers,
            )
        except httpx.HTTPError as error:
            logger.warning("push service unreachable: %r", error)
            return PushOutcome.FAILED
        if answer.status_code in (404, 410):
            return PushOutcome.GONE
        if 200 <= answer.status_code < 300:
            return PushOutcome.DELIVERED
        logger.warning("push service answered %s", answer.status_code)
        return PushOutcome.FAILED

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
