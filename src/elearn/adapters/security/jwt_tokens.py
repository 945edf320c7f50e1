"""Access tokens as signed JWTs (pyjwt), verified with the checks RFC 8725 asks for."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Callable, Sequence
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
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti", "typ", "role", "sid"]
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_MAX_TOKEN_CHARS = 4096
_MAX_IAT_SKEW = timedelta(seconds=30)
_MAX_VERIFIED_TOKENS = 4096  # remembered verifications; the memory stays a few megabytes
# NumericDate bounds we accept: the epoch up to the end of year 9999 (datetime's range).
_LATEST_NUMERIC_DATE = 253_402_300_799


def _random_token_id() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


def key_id(secret: str) -> str:
    """The ``kid`` of a key: a digest of it, so operators name nothing and a key's id is the
    same in every process. 64 bits of a SHA-256 say nothing usable about a 32+ byte key."""
    return hashlib.sha256(b"elearn-jwt-kid\0" + secret.encode()).hexdigest()[:16]


class JwtAccessTokens:
    """Short-lived access tokens. ``secret`` is the HMAC key for ``HS*`` algorithms or the
    PEM private key for asymmetric ones (which need the ``cryptography`` package).

    Every token names its key in the ``kid`` header. ``previous_secrets`` still verify (never
    sign), so a key can be replaced without signing everyone out: tokens of the old key keep
    working until they expire, one access-token lifetime at most."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        algorithm: str = "HS256",
        previous_secrets: Sequence[str] = (),
        ids: Callable[[], str] | None = None,
    ) -> None:
        algorithms = get_default_algorithms()
        if algorithm == "none" or algorithm not in algorithms:
            raise ValueError(f"unsupported JWT algorithm: {algorithm!r}")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if not issuer or not audience:
            raise ValueError("issuer and audience must not be empty")
        self._algorithm = algorithm
        self._signing_key, current_verification_key = self._keys_of(secret)
        self._key_id = key_id(secret)
        self._verification_keys: dict[str, Any] = {
            key_id(previous): self._keys_of(previous)[1] for previous in previous_secrets
        }
        self._verification_keys[self._key_id] = current_verification_key
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds
        self._ids = ids or _random_token_id
        self._jwt = jwt.PyJWT()
        # Tokens this process verified, by their exact text: a caller sends the same token with
        # every request until it expires, and checking its signature and claims again costs
        # more CPU than the rest of a cached read. Only the time is checked on each use.
        self._verified: dict[str, tuple[AccessClaims, datetime | None]] = {}

    def _keys_of(self, secret: str) -> tuple[Any, Any]:
        """The signing key and the verification key of a secret."""
        algorithm = self._algorithm
        if algorithm in _HMAC_MIN_KEY_BYTES:
            if len(secret.encode()) < _HMAC_MIN_KEY_BYTES[algorithm]:
                raise ValueError(
                    f"{algorithm} needs a secret of at least {_HMAC_MIN_KEY_BYTES[algorithm]} bytes"
                )
            return secret, secret
        # The private key signs; only its public half may verify, so an HS* token "signed" with
        # the public key can never pass (and `algorithms` is pinned anyway).
        private_key = get_default_algorithms()[algorithm].prepare_key(secret)
        if not hasattr(private_key, "public_key"):
            raise ValueError(f"{algorithm} needs a PEM private key as its secret")
        return private_key, private_key.public_key()

    def issue(
        self, user_id: UUID, role: Role, now: datetime, *, session_id: UUID
    ) -> IssuedAccessToken:
        # Whole seconds, as most JWT libraries expect; the same-second gap this leaves against
        # ``sessions_valid_after`` is closed by deny-listing the ended sessions (``sid``).
        issued_at = math.floor(_aware(now).timestamp())
        expires_at = issued_at + self._ttl
        token_id = self._ids()
        payload = {
            "sub": str(user_id),
            "sid": str(session_id),
            "role": role.value,
            "iat": issued_at,
            "exp": expires_at,
            "jti": token_id,
            "iss": self._issuer,
            "aud": self._audience,
            "typ": ACCESS,
        }
        token = self._jwt.encode(
            payload,
            self._signing_key,
            algorithm=self._algorithm,
            headers={"typ": "JWT", "kid": self._key_id},
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
        signed = self._verified.get(token)
        if signed is None:
            signed = self._signed_claims(token)
            if len(self._verified) >= _MAX_VERIFIED_TOKENS:
                self._verified.clear()
            self._verified[token] = signed
        claims, not_before = signed
        if now >= claims.expires_at:  # a token is dead at the second its exp names
            raise ValueError("expired")
        if claims.issued_at > now + _MAX_IAT_SKEW:
            raise ValueError("issued in the future")
        if not_before is not None and not_before > now:
            raise ValueError("not yet valid")
        return claims

    def _signed_claims(self, token: str) -> tuple[AccessClaims, datetime | None]:
        """What does not depend on the time: the token is ours, well formed and signed by one
        of our keys; its claims and its not-before instant, if it names one."""
        _require_canonical_segments(token)
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or kid not in self._verification_keys:
            raise ValueError("unknown key")
        decoded = self._jwt.decode_complete(
            token,
            self._verification_keys[kid],
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
                # pyjwt would compare with the real clock; _verify uses `now`.
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
        if expires_at <= issued_at:
            raise ValueError("expires before it was issued")
        # Signed by us, yet living longer than we ever issue: refused, not trusted.
        if payload["exp"] - payload["iat"] > self._ttl:
            raise ValueError("lives longer than an access token may")
        not_before = _numeric_date(payload["nbf"]) if "nbf" in payload else None

        token_id = payload["jti"]
        if not token_id:
            raise ValueError("empty jti")
        claims = AccessClaims(
            user_id=UUID(payload["sub"]),
            session_id=UUID(payload["sid"]),
            role=Role(payload["role"]),
            token_id=token_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        return claims, not_before


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
    # Whole seconds only: that is all we issue.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a NumericDate in whole seconds")
    if not 0 <= value <= _LATEST_NUMERIC_DATE:
        raise ValueError("NumericDate out of range")
    return datetime.fromtimestamp(value, UTC)
