"""One-time tokens (email verification, password reset) and refresh-token families."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.events import DomainEvent


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name


class InvalidOneTimeToken(RuleViolation):
    """Unknown, expired, used, superseded or for another purpose: one answer for all, so the
    reply says nothing about which."""

    code = "invalid-token"

    def __init__(self) -> None:
        super().__init__("this link is invalid or has expired; ask for a new one")


@dataclasses.dataclass(kw_only=True, eq=False)
class OneTimeToken:
    """Stored only as a hash. Usable once, before ``expires_at`` (exclusive), for its purpose,
    until a newer token of the same purpose supersedes it."""

    id: UUID
    user_id: UUID
    purpose: TokenPurpose
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    superseded_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        *,
        token_id: UUID,
        user_id: UUID,
        purpose: TokenPurpose,
        token_hash: str,
        now: datetime,
        ttl: timedelta,
    ) -> OneTimeToken:
        return cls(
            id=token_id,
            user_id=user_id,
            purpose=purpose,
            token_hash=token_hash,
            created_at=now,
            expires_at=now + ttl,
        )

    def is_usable(self, now: datetime, purpose: TokenPurpose) -> bool:
        return (
            self.purpose is purpose
            and self.used_at is None
            and self.superseded_at is None
            and now < self.expires_at
        )

    def consume(self, now: datetime, purpose: TokenPurpose) -> None:
        if not self.is_usable(now, purpose):
            raise InvalidOneTimeToken()
        self.used_at = now

    def supersede(self, now: datetime) -> None:
        if self.used_at is None and self.superseded_at is None:
            self.superseded_at = now


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionRevoked(DomainEvent):
    """A sign-in (a refresh family) ended: signed out, revoked for reuse, or ended with every
    other by a password change or reset, a suspension or a role change. What lives with it
    elsewhere ends too (its open sockets, the push subscriptions it registered)."""

    event_type = "identity.session_revoked"
    user_id: UUID
    session_id: UUID
    reason: str


class RotationOutcome(StrEnum):
    ROTATED = "rotated"
    REUSE_DETECTED = "reuse_detected"
    EXPIRED = "expired"
    REVOKED = "revoked"


class RefreshTokenRejected(RuleViolation):
    code = "invalid-refresh-token"

    def __init__(self) -> None:
        super().__init__("this session has ended; sign in again")


@dataclasses.dataclass(kw_only=True, eq=False)
class RefreshFamily:
    """The refresh tokens of one sign-in. Only the newest token works; presenting an older one
    means it leaked, so the whole family is revoked (reuse detection)."""

    id: UUID
    user_id: UUID
    current_hash: str
    created_at: datetime
    absolute_expires_at: datetime
    idle_expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    rotations: int = 0

    @classmethod
    def start(
        cls,
        *,
        family_id: UUID,
        user_id: UUID,
        token_hash: str,
        now: datetime,
        absolute_lifetime: timedelta,
        idle_lifetime: timedelta,
    ) -> RefreshFamily:
        return cls(
            id=family_id,
            user_id=user_id,
            current_hash=token_hash,
            created_at=now,
            absolute_expires_at=now + absolute_lifetime,
            idle_expires_at=min(now + idle_lifetime, now + absolute_lifetime),
        )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.absolute_expires_at or now >= self.idle_expires_at

    def accepts(self, token_hash: str, now: datetime) -> bool:
        return not self.is_revoked and not self.is_expired(now) and token_hash == self.current_hash

    def rotate(
        self, presented_hash: str, new_hash: str, now: datetime, idle_lifetime: timedelta
    ) -> RotationOutcome:
        """Swaps the current token for ``new_hash`` if ``presented_hash`` is the current one.
        Anything else changes the family (revocation) and says why; the caller commits that
        before refusing."""
        if self.is_revoked:
            return RotationOutcome.REVOKED
        if presented_hash != self.current_hash:
            self.revoke(now, "reuse")
            return RotationOutcome.REUSE_DETECTED
        if self.is_expired(now):
            self.revoke(now, "expired")
            return RotationOutcome.EXPIRED
        self.current_hash = new_hash
        self.idle_expires_at = min(now + idle_lifetime, self.absolute_expires_at)
        self.rotations += 1
        return RotationOutcome.ROTATED

    def revoke(self, now: datetime, reason: str) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
            self.revoked_reason = reason
