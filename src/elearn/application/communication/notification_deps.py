"""Everything the notification use cases depend on, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from elearn.application.authorization import Authorizer
from elearn.application.catalog.api import CatalogApi
from elearn.application.communication.notification_ports import (
    NotificationQueries,
    NotificationsPolicy,
    NotificationsUnitOfWork,
    PushSender,
)
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.application.mail import EmailTemplates, Mailer
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.realtime import RealtimePublisher
from elearn.application.tutoring.api import TutoringApi


@dataclass(frozen=True, kw_only=True)
class NotificationsDeps:
    uow: TransactionFactory[NotificationsUnitOfWork]
    clock: Clock
    ids: IdGenerator
    queries: NotificationQueries
    identity: IdentityApi
    catalog: CatalogApi
    learning: LearningApi
    tutoring: TutoringApi
    mailer: Mailer
    templates: EmailTemplates
    realtime: RealtimePublisher
    push: PushSender
    policy: NotificationsPolicy
    authorizer: Authorizer
