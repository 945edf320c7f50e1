"""Everything privacy use cases depend on, wired once by the composition root.

``personal_data`` is every registered context's declaration of what it holds about a person,
by section name (the archive's file name): privacy names no context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from elearn.application.audit import Audits
from elearn.application.authorization import Authorizer
from elearn.application.files import FileStorage
from elearn.application.identity.api import IdentityApi
from elearn.application.mail import EmailTemplates, Mailer
from elearn.application.personal_data import PersonalDataProvider
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.privacy.ports import PrivacyPolicy, PrivacyQueries, PrivacyUnitOfWork


@dataclass(frozen=True, kw_only=True)
class PrivacyDeps(Audits):
    uow: TransactionFactory[PrivacyUnitOfWork]
    clock: Clock
    ids: IdGenerator
    storage: FileStorage
    queries: PrivacyQueries
    identity: IdentityApi
    personal_data: Mapping[str, PersonalDataProvider]
    mailer: Mailer
    templates: EmailTemplates
    policy: PrivacyPolicy
    authorizer: Authorizer

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.policy.erasure_grace_days)

    @property
    def recent_sign_in(self) -> timedelta:
        return timedelta(minutes=self.policy.recent_sign_in_minutes)

    @property
    def export_lifetime(self) -> timedelta:
        return timedelta(days=self.policy.export_keep_days)
