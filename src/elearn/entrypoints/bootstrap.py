"""The composition root: which adapter serves which port, from settings, in one place.

A container owns resources bound to one event loop (the database engine, the relay). The API
process builds one for uvicorn's loop; a Dramatiq worker builds one for its own event loop
thread. Tests pass overrides to swap any adapter for a fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dramatiq
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# Importing each context's events registers them with the codec.
from elearn.adapters.jobs.broker import RetryPolicy, build_broker
from elearn.adapters.jobs.deliveries import EventHandler, OutboxDeliveryExecutor, SqlaDeadJobStore
from elearn.adapters.jobs.housekeeping import purge_finished_outbox
from elearn.adapters.jobs.relay import OutboxRelay
from elearn.adapters.jobs.scheduler import PeriodicJob, purge_old_claims
from elearn.adapters.mail.file_outbox import FileOutboxMailer
from elearn.adapters.mail.rendering import JinjaEmailTemplates
from elearn.adapters.mail.smtp import SmtpMailer
from elearn.adapters.passwords import Argon2PasswordHasher
from elearn.adapters.persistence.database import create_engine, create_session_factory
from elearn.adapters.persistence.events import EventCodec
from elearn.adapters.persistence.unit_of_work import SqlaUnitOfWork
from elearn.adapters.storage.local import LocalFileStorage
from elearn.adapters.system import SystemClock, UuidGenerator
from elearn.application.authorization import Authorizer
from elearn.application.billing.withdrawals import SendPayoutFailedEmail
from elearn.application.files import FileStorage
from elearn.application.identity.accounts import CreateAccountByOperator
from elearn.application.identity.notifications import (
    SendOneTimeLink,
    SendTutorDecisionEmail,
    SendWelcomeEmail,
)
from elearn.application.learning.assignments import SendGradeEmail
from elearn.application.mail import EmailTemplates, Mailer
from elearn.application.ports import Clock, IdGenerator, PasswordHasher
from elearn.application.tutoring.engagement import SendBookingEmails
from elearn.domain.billing.withdrawal import WithdrawalApproved, WithdrawalFailed
from elearn.domain.identity.tokens import TokenPurpose
from elearn.domain.identity.user import (
    EmailVerificationRequested,
    PasswordResetRequested,
    TutorApplicationDecided,
    UserRegistered,
)
from elearn.domain.learning.assignment import AssignmentGraded
from elearn.domain.learning.enrollment import EnrollmentCompleted
from elearn.domain.tutoring.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingReminderDue,
    BookingRescheduled,
)
from elearn.entrypoints.billing import BillingUseCases, build_billing
from elearn.entrypoints.catalog import CatalogUseCases, build_catalog_deps
from elearn.entrypoints.identity import IdentityUseCases, build_identity_deps
from elearn.entrypoints.learning import LearningUseCases, build_learning_deps
from elearn.entrypoints.settings import Settings
from elearn.entrypoints.tutoring import TutoringUseCases, build_tutoring_deps

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Subscription:
    event_type: str
    handler: EventHandler


@dataclass(kw_only=True)
class Container:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: dramatiq.Broker
    clock: Clock
    ids: IdGenerator
    hasher: PasswordHasher
    mailer: Mailer
    templates: EmailTemplates
    storage: FileStorage
    codec: EventCodec
    relay: OutboxRelay
    dead_jobs: SqlaDeadJobStore
    authorizer: Authorizer
    redis: Redis | None = None
    identity: IdentityUseCases = field(init=False)
    catalog: CatalogUseCases = field(init=False)
    learning: LearningUseCases = field(init=False)
    billing: BillingUseCases = field(init=False)
    tutoring: TutoringUseCases = field(init=False)
    # Called after a commit that changed the catalog (clears this process's catalog cache).
    catalog_changed: Callable[[], None] | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    periodic_jobs: dict[str, PeriodicJob] = field(default_factory=dict)
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    # ---- unit of work and use cases ---------------------------------------------------------
    def uow(self, *, read_only: bool = False) -> SqlaUnitOfWork:
        handlers_by_event: dict[str, list[str]] = {}
        for name, subscription in self.subscriptions.items():
            handlers_by_event.setdefault(subscription.event_type, []).append(name)
        return SqlaUnitOfWork(
            self.sessions,
            self.codec,
            handlers_by_event,
            self.relay.wake,
            catalog_changed=self.catalog_changed,
            read_only=read_only,
        )

    @property
    def create_account(self) -> CreateAccountByOperator:
        return CreateAccountByOperator(
            self.uow,
            self.hasher,
            self.clock,
            self.ids,
            self.identity.deps.common_passwords,
            self.authorizer,
        )

    def deliveries(self) -> OutboxDeliveryExecutor:
        handlers = {name: s.handler for name, s in self.subscriptions.items()}
        return OutboxDeliveryExecutor(self.sessions, self.codec, handlers, self.clock)

    # ---- lifecycle ----------------------------------------------------------------------------
    def start_background(self, coroutine: Awaitable[None], name: str) -> None:
        self._background.append(asyncio.create_task(coroutine, name=name))  # type: ignore[arg-type]

    async def stop_background(self) -> None:
        for task in self._background:
            task.cancel()
        for task in self._background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._background.clear()

    async def dispose(self) -> None:
        await self.stop_background()
        await self.billing.deps.gateway.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def build_mailer(settings: Settings) -> Mailer:
    if settings.mail_backend == "smtp":
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.mail_sender,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            security=settings.smtp_security,
        )
    return FileOutboxMailer(settings.effective_mail_outbox_dir, sender=settings.mail_sender)


def build_broker_from(settings: Settings) -> dramatiq.Broker:
    return build_broker(
        settings.redis_url or None,
        retry=RetryPolicy(
            max_retries=settings.jobs_max_retries,
            min_backoff_ms=settings.jobs_min_backoff_ms,
            max_backoff_ms=settings.jobs_max_backoff_ms,
        ),
    )


def bootstrap(
    settings: Settings,
    *,
    broker: dramatiq.Broker | None = None,
    overrides: Mapping[str, Any] | None = None,
    extra_subscriptions: Mapping[str, Subscription] | None = None,
    extra_periodic_jobs: Mapping[str, PeriodicJob] | None = None,
) -> Container:
    overrides = dict(overrides or {})
    engine = overrides.pop("engine", None) or create_engine(
        settings.effective_database_url,
        pool_size=settings.database_pool_size,
        echo=settings.database_echo,
    )
    sessions = create_session_factory(engine)
    clock: Clock = overrides.pop("clock", None) or SystemClock()
    gateway = overrides.pop("gateway", None)  # a payment gateway to use instead of settings'
    broker = broker or build_broker_from(settings)
    parts: dict[str, Any] = {
        "ids": UuidGenerator(),
        "hasher": Argon2PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost_kib=settings.password_hash_memory_kib,
        ),
        "templates": JinjaEmailTemplates(base_context={"app_name": settings.app_name}),
        "storage": LocalFileStorage(settings.effective_storage_dir),
        "codec": EventCodec.for_all_events(),
    }
    if "mailer" not in overrides:
        parts["mailer"] = build_mailer(settings)
    parts.update(overrides)
    container = Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        broker=broker,
        clock=clock,
        relay=OutboxRelay(sessions, broker, clock),
        dead_jobs=SqlaDeadJobStore(sessions, clock),
        authorizer=Authorizer(staff_two_factor_required=settings.require_2fa_for_staff),
        redis=Redis.from_url(settings.redis_url) if settings.redis_url else None,
        **parts,
    )
    container.identity = overrides.get("identity") or IdentityUseCases(
        build_identity_deps(container, container.redis)
    )
    container.catalog = overrides.get("catalog") or CatalogUseCases(build_catalog_deps(container))
    container.learning = overrides.get("learning") or LearningUseCases(
        build_learning_deps(container)
    )
    container.billing = build_billing(container, gateway)
    container.tutoring = TutoringUseCases(build_tutoring_deps(container))
    container.subscriptions.update(_subscriptions(container))
    container.subscriptions.update(extra_subscriptions or {})
    container.periodic_jobs.update(_periodic_jobs(container))
    container.periodic_jobs.update(extra_periodic_jobs or {})
    return container


def _subscriptions(c: Container) -> dict[str, Subscription]:
    """Which handler reacts to which event. Names are stable: they are stored with deliveries."""
    settings = c.settings
    deps = c.identity.deps
    return {
        "identity.send_welcome_email": Subscription(
            UserRegistered.event_type,
            SendWelcomeEmail(
                c.mailer, c.templates, app_name=settings.app_name, public_url=settings.public_url
            ),
        ),
        "identity.send_verification_email": Subscription(
            EmailVerificationRequested.event_type,
            SendOneTimeLink(deps, c.mailer, c.templates, TokenPurpose.VERIFY_EMAIL),
        ),
        "identity.send_password_reset_email": Subscription(
            PasswordResetRequested.event_type,
            SendOneTimeLink(deps, c.mailer, c.templates, TokenPurpose.RESET_PASSWORD),
        ),
        "identity.send_tutor_decision_email": Subscription(
            TutorApplicationDecided.event_type,
            SendTutorDecisionEmail(deps, c.mailer, c.templates),
        ),
        "learning.issue_certificate": Subscription(
            EnrollmentCompleted.event_type, c.learning.issue_certificate
        ),
        "learning.send_grade_email": Subscription(
            AssignmentGraded.event_type, SendGradeEmail(c.learning.deps, c.mailer, c.templates)
        ),
        "billing.pay_out_withdrawal": Subscription(
            WithdrawalApproved.event_type, c.billing.pay_out
        ),
        "billing.send_payout_failed_email": Subscription(
            WithdrawalFailed.event_type,
            SendPayoutFailedEmail(c.billing.deps, c.mailer, c.templates),
        ),
        **{
            f"tutoring.email_{event.event_type.rsplit('.', 1)[1]}": Subscription(
                event.event_type, SendBookingEmails(c.tutoring.deps, c.mailer, c.templates)
            )
            for event in (
                BookingConfirmed,
                BookingRescheduled,
                BookingCancelled,
                BookingReminderDue,
            )
        },
    }


def _periodic_jobs(c: Container) -> dict[str, PeriodicJob]:
    jobs: list[tuple[str, timedelta, Callable[[], Awaitable[object]]]] = [
        (
            "jobs.purge_finished_outbox",
            timedelta(hours=1),
            lambda: purge_finished_outbox(c.sessions, c.clock, keep=timedelta(days=7)),
        ),
        (
            "jobs.purge_scheduler_claims",
            timedelta(hours=1),
            lambda: purge_old_claims(c.sessions, c.clock, keep=timedelta(days=2)),
        ),
        (
            "billing.release_cleared_earnings",
            timedelta(hours=1),
            c.billing.release_cleared_earnings,
        ),
        ("billing.retry_stale_refunds", timedelta(minutes=5), c.billing.retry_stale_refunds),
        ("tutoring.release_expired_holds", timedelta(minutes=1), c.tutoring.release_expired_holds),
        ("tutoring.send_due_reminders", timedelta(minutes=1), c.tutoring.send_due_reminders),
        (
            "tutoring.complete_finished_lessons",
            timedelta(minutes=15),
            c.tutoring.complete_finished_lessons,
        ),
    ]
    return {name: PeriodicJob(name, every, run) for name, every, run in jobs}
