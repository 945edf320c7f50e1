"""Everything identity use cases depend on, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.audit import record_audit
from elearn.application.authorization import Authorizer
from elearn.application.files import FileStorage
from elearn.application.identity.ports import (
    AccessTokens,
    CommonPasswords,
    IdentityPolicy,
    IdentityQueries,
    IdentityUnitOfWork,
    RateLimiter,
    RevokedAccessTokens,
    SecretTokens,
    TotpService,
)
from elearn.application.ports import (
    Clock,
    IdGenerator,
    PasswordHasher,
    TransactionFactory,
)
from elearn.application.reference import ReferenceData
from elearn.domain.shared.audit import AuditAction


@dataclass(frozen=True, kw_only=True)
class IdentityDeps:
    uow: TransactionFactory[IdentityUnitOfWork]
    clock: Clock
    ids: IdGenerator
    hasher: PasswordHasher
    secrets: SecretTokens
    access_tokens: AccessTokens
    revoked_tokens: RevokedAccessTokens
    rate_limiter: RateLimiter
    totp: TotpService
    reference: ReferenceData
    common_passwords: CommonPasswords
    storage: FileStorage
    queries: IdentityQueries
    policy: IdentityPolicy
    authorizer: Authorizer

    @property
    def one_time_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.policy.one_time_token_minutes)

    def audit(
        self,
        uow: IdentityUnitOfWork,
        actor: Actor,
        action: AuditAction,
        *,
        target_type: str | None = None,
        target_id: UUID | None = None,
        actor_id: UUID | None = None,
        **details: Any,
    ) -> None:
        """Appends an audit entry to the use case's transaction."""
        record_audit(
            uow,
            self.clock,
            self.ids,
            actor,
            action,
            target_type=target_type,
            target_id=target_id,
            actor_id=actor_id,
            **details,
        )
