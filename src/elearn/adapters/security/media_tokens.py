"""Media tokens: short-lived, HMAC-signed grants to fetch one stored file.

A token is two base64url segments (RFC 4648 §5, no padding) joined by one dot::

    <payload>.<signature>

``payload`` is a fixed 43-byte binary header followed by the storage key (UTF-8)::

    offset  size  field
    0       1     version (1)
    1       1     subject (1 = lesson, 2 = submission)
    2       1     holder (0 = anonymous free preview, 1 = a user, 2 = a user's one-time link)
    3       16    user id (all zero bytes when anonymous)
    19      16    subject id (lesson or submission)
    35      8     expiry, unsigned big-endian unix seconds
    43      ...   storage key, UTF-8, 1 to 1024 bytes

A one-time link (holder 2) puts its 16-byte link id between the header and the storage key.

``signature`` is HMAC-SHA256 over the *text* of the payload segment, keyed with a key derived
from the application secret for this purpose only (``HMAC(secret, "elearn media token v1")``),
so nothing else signed with the same secret can pass for a media token, nor the reverse.

Expiry: the grant's ``expires_at`` is rounded *down* to the whole second when issued, so a token
never outlives what it was issued for (it may die up to a second early). A token whose expiry is
``T`` is valid while ``now < T`` and invalid from ``T`` on: at exactly ``T`` it is expired.

Every way a token can be wrong (too long, not base64url, forged, signed with another secret,
unknown version or subject, expired...) raises the same `InvalidMediaToken`, and nothing is
logged: tokens sit in URLs, and a failed one tells nobody anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from datetime import UTC, datetime, timedelta
from uuid import UUID

from elearn.application.learning.lessons import InvalidMediaToken
from elearn.application.learning.ports import MediaGrant, MediaSubject

VERSION = 1
MAX_TOKEN_CHARS = 2048
MAX_KEY_BYTES = 1024
MIN_SECRET_BYTES = 32  # RFC 2104 §3: no shorter than the hash output
_PURPOSE = b"elearn media token v1"

_HEADER = struct.Struct(">BBB16s16sQ")
_SUBJECT_CODES: dict[MediaSubject, int] = {MediaSubject.LESSON: 1, MediaSubject.SUBMISSION: 2}
_SUBJECTS_BY_CODE = {code: subject for subject, code in _SUBJECT_CODES.items()}
_ANONYMOUS, _USER, _ONE_TIME = 0, 1, 2
_LINK_ID_BYTES = 16
_NO_USER = bytes(16)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The last second `datetime` can hold (9999-12-31T23:59:59Z).
_LATEST_SECONDS = 253_402_300_799
# Two base64url segments, nothing else (ASCII only: `\w` would let other digits in).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class HmacMediaTokens:
    """`MediaTokens` signed with HMAC-SHA256; see the module docstring for the format."""

    def __init__(self, secret: bytes | str) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(f"the media-token secret needs at least {MIN_SECRET_BYTES} bytes")
        self._key = hmac.new(raw, _PURPOSE, hashlib.sha256).digest()

    def issue(self, grant: MediaGrant) -> str:
        key = grant.key.encode("utf-8")
        if not 0 < len(key) <= MAX_KEY_BYTES:
            raise ValueError(f"a storage key must be 1 to {MAX_KEY_BYTES} UTF-8 bytes")
        expires = _seconds(grant.expires_at)
        if not 0 <= expires <= _LATEST_SECONDS:
            raise ValueError("expires_at is out of range")
        if grant.user_id is None:
            if grant.link_id is not None:
                raise ValueError("a one-time link is issued to a user")
            holder = _ANONYMOUS
        else:
            holder = _USER if grant.link_id is None else _ONE_TIME
        header = _HEADER.pack(
            VERSION,
            _SUBJECT_CODES[MediaSubject(grant.subject)],
            holder,
            _NO_USER if grant.user_id is None else grant.user_id.bytes,
            grant.subject_id.bytes,
            expires,
        )
        link_id = b"" if grant.link_id is None else grant.link_id.bytes
        payload = _encode(header + link_id + key)
        return f"{payload}.{self._sign(payload)}"

    def read(self, token: str, now: datetime) -> MediaGrant:
        if now.tzinfo is None:
            raise TypeError("now must be a timezone-aware datetime")
        grant = self._read(token)
        if grant is None or now >= grant.expires_at:
            raise InvalidMediaToken()
        return grant

    def _read(self, token: object) -> MediaGrant | None:
        """The grant the token carries, or None when it is not one of ours (expiry unchecked).
        Every check is explicit, so no input can raise."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            return None
        if not _TOKEN_SHAPE.fullmatch(token):
            return None
        payload, signature = token.split(".")
        # Both strings are ASCII here, as compare_digest needs. Comparing the text (rather than
        # decoded bytes) accepts only the canonical spelling of the signature.
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        data = _decode(payload)
        if data is None or len(data) <= _HEADER.size:
            return None
        version, subject_code, holder, user, subject_id, expires = _HEADER.unpack_from(data)
        subject = _SUBJECTS_BY_CODE.get(subject_code)
        if version != VERSION or subject is None or expires > _LATEST_SECONDS:
            return None
        rest = data[_HEADER.size :]
        link_id = None
        if holder == _ANONYMOUS and user == _NO_USER:
            user_id = None
        elif holder == _USER:
            user_id = UUID(bytes=user)
        elif holder == _ONE_TIME and len(rest) > _LINK_ID_BYTES:
            user_id = UUID(bytes=user)
            link_id = UUID(bytes=rest[:_LINK_ID_BYTES])
            rest = rest[_LINK_ID_BYTES:]
        else:
            return None
        raw_key = rest
        if len(raw_key) > MAX_KEY_BYTES:
            return None
        try:
            key = raw_key.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return MediaGrant(
            user_id=user_id,
            subject=subject,
            subject_id=UUID(bytes=subject_id),
            key=key,
            expires_at=_EPOCH + timedelta(seconds=expires),
            link_id=link_id,
        )

    def _sign(self, payload: str) -> str:
        return _encode(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())


def _seconds(moment: datetime) -> int:
    """Whole unix seconds, rounded down (exact: no float in between)."""
    if moment.tzinfo is None:
        raise ValueError("expires_at must be a timezone-aware datetime")
    return (moment - _EPOCH) // timedelta(seconds=1)


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(segment: str) -> bytes | None:
    if len(segment) % 4 == 1:  # no byte count encodes to this many characters
        return None
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None
