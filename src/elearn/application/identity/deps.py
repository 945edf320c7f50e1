"""Everything identity use cases depend on, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from elearn.application.audit import Audits
from elearn.application.authorization import Authorizer
from elearn.application.files import FileStorage
from elearn.application.identity.ports import (
    AccessTokens,
    ApplicantDocumentLinks,
    CommonPasswords,
    DeviceTokens,
    IdentityPolicy,
    IdentityQueries,
    IdentityUnitOfWork,
    InstitutionQueries,
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


@dataclass(frozen=True, kw_only=True)
class IdentityDeps(Audits):
    uow: TransactionFactory[IdentityUnitOfWork]
    clock: Clock
    ids: IdGenerator
    hasher: PasswordHasher
    secrets: SecretTokens
    access_tokens: AccessTokens
    revoked_tokens: RevokedAccessTokens
    rate_limiter: RateLimiter
    device_tokens: DeviceTokens
    totp: TotpService
    reference: ReferenceData
    common_passwords: CommonPasswords
    storage: FileStorage
    # Where a stored image (an avatar) is served: answers carry this URL, never the key.
    image_url: Callable[[str], str]
    queries: IdentityQueries
    institutions: InstitutionQueries
    policy: IdentityPolicy
    authorizer: Authorizer
    document_links: ApplicantDocumentLinks

    @property
    def one_time_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.policy.one_time_token_minutes)
