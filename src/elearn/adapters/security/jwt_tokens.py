"""Access tokens as signed JWTs (pyjwt), verified with the checks RFC 8725 asks for."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from jwt.algorithms import get_default_algorithms
from jwt.utils import base64url_decode, base64url_encode

from elearn.application.identity.ports import AccessClaims, InvalidAccessToken, IssuedAccessToken
from elearn.domain.identity.roles import Role

ACCESS = "access"
# RFC 7518 §3.2: an HMAC key at least as long as the hash output.
_HMAC_MIN_KEY_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
# Headers we ever write. Anything else is refused rather than interpreted: jku/x5u/jwk/x5c would
# let the token name its own key, crit/b64 would change how it is parsed.
_ALLOWED_HEADERS = frozenset({"alg", "typ", "kid"})
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti", "typ", "role"]
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_MAX_TOKEN_CHARS = 4096
_MAX_IAT_SKEW = timedelta(seconds=30)
# NumericDate bounds we accept: the epoch up to the end of year 9999 (datetime's range).
_LATEST_NUMERIC_DATE = 253_402_300_799


def _random_token_id() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


class JwtAccessTokens:
    """Short-lived access tokens. ``secret`` is the HMAC key for ``HS*`` algorithms or the
    PEM private key for asymmetric ones (which need the ``cryptography`` package)."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        algorithm: str = "HS256",
        ids: Callable[[], str] | None = None,
    ) -> None:
        algorithms = get_default_algorithms()
        if algorithm == "none" or algorithm not in algorithms:
            raise ValueError(f"unsupported JWT algorithm: {algorithm!r}")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if not issuer or not audience:
            raise ValueError("issuer and audience must not be empty")
        self._signing_key: Any
        self._verification_key: Any
        if algorithm in _HMAC_MIN_KEY_BYTES:
            if len(secret.encode()) < _HMAC_MIN_KEY_BYTES[algorithm]:
                raise ValueError(
                    f"{algorithm} needs a secret of at least {_HMAC_MIN_KEY_BYTES[algorithm]} bytes"
                )
            self._signing_key = self._verification_key = secret
        else:
            # The private key signs; only its public half may verify, so an HS* token "signed"
            # with the public key can never pass (and `algorithms` is pinned anyway).
            private_key = algorithms[algorithm].prepare_key(secret)
            if not hasattr(private_key, "public_key"):
                raise ValueError(f"{algorithm} needs a PEM private key as its secret")
            self._signing_key = private_key
            self._verification_key = private_key.public_key()
        self._algorithm = algorithm
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds
        self._ids = ids or _random_token_id
        self._jwt = jwt.PyJWT()

    def issue(self, user_id: UUID, role: Role, now: datetime) -> IssuedAccessToken:
        # Milliseconds (RFC 7519 allows a fractional NumericDate): a session ended at 12:00:00.500
        # must refuse a token from 12:00:00.200 and accept one from 12:00:00.700.
        issued_at = math.floor(_aware(now).timestamp() * 1000) / 1000
        expires_at = math.floor(issued_at) + self._ttl
        token_id = self._ids()
        payload = {
            "sub": str(user_id),
            "role": role.value,
            "iat": issued_at,
            "exp": expires_at,
            "jti": token_id,
            "iss": self._issuer,
            "aud": self._audience,
            "typ": ACCESS,
        }
        token = self._jwt.encode(
            payload, self._signing_key, algorithm=self._algorithm, headers={"typ": "JWT"}
        )
        return IssuedAccessToken(
            token=token,
            token_id=token_id,
            expires_in_seconds=self._ttl,
            expires_at=datetime.fromtimestamp(expires_at, UTC),
        )

    def verify(self, token: str, now: datetime) -> AccessClaims:
        now = _aware(now)
        try:
            return self._verify(token, now)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise InvalidAccessToken from error

    def _verify(self, token: str, now: datetime) -> AccessClaims:
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
            raise ValueError("not a token")
        _require_canonical_segments(token)
        decoded = self._jwt.decode_complete(
            token,
            self._verification_key,
            # Pinned here, never taken from the token's own header.
            algorithms=[self._algorithm],
            audience=self._audience,
            issuer=self._issuer,
            options={
                "verify_signature": True,
                "verify_aud": True,
                "verify_iss": True,
                "verify_sub": True,
                "verify_jti": True,
                "strict_aud": True,
                "require": _REQUIRED_CLAIMS,
                # pyjwt would compare with the real clock; the checks below use `now`.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        header: dict[str, Any] = decoded["header"]
        payload: dict[str, Any] = decoded["payload"]
        if not set(header) <= _ALLOWED_HEADERS or header.get("alg") != self._algorithm:
            raise ValueError("unexpected header")
        if payload["typ"] != ACCESS:
            raise ValueError("not an access token")

        issued_at = _numeric_date(payload["iat"])
        expires_at = _numeric_date(payload["exp"])
        if now >= expires_at:  # a token is dead at the second its exp names
            raise ValueError("expired")
        if issued_at > now + _MAX_IAT_SKEW:
            raise ValueError("issued in the future")
        if expires_at <= issued_at:
            raise ValueError("expires before it was issued")
        if "nbf" in payload and _numeric_date(payload["nbf"]) > now:
            raise ValueError("not yet valid")

        token_id = payload["jti"]
        if not token_id:
            raise ValueError("empty jti")
        return AccessClaims(
            user_id=UUID(payload["sub"]),
            role=Role(payload["role"]),
            token_id=token_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise TypeError("now must be a timezone-aware datetime")
    return now


def _require_canonical_segments(token: str) -> None:
    """Base64url allows several spellings of the same bytes (the unused low bits of the last
    character); accept only the canonical one, so no two strings are the same valid token."""
    segments = token.split(".")
    if len(segments) != 3:
        raise ValueError("not a compact JWS")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            raise ValueError("not base64url")
        if base64url_encode(base64url_decode(segment)).decode("ascii") != segment:
            raise ValueError("not canonical base64url")


def _numeric_date(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a NumericDate")
    if not 0 <= value <= _LATEST_NUMERIC_DATE:
        raise ValueError("NumericDate out of range")
    return datetime.fromtimestamp(value, UTC)
