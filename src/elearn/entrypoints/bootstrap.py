"""The composition root: which adapter serves which port, from settings, in one place.

A container owns resources bound to one event loop (the database engine, the relay). The API
process builds one for uvicorn's loop; a Dramatiq worker builds one for its own event loop
thread. Tests pass overrides to swap any adapter for a fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import dramatiq
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from elearn.adapters.jobs.broker import RetryPolicy, build_broker
from elearn.adapters.jobs.deliveries import OutboxDeliveryExecutor, SqlaDeadJobStore
from elearn.adapters.jobs.housekeeping import purge_finished_outbox
from elearn.adapters.jobs.relay import OutboxRelay
from elearn.adapters.jobs.scheduler import PeriodicJob, purge_old_claims
from elearn.adapters.mail.file_outbox import FileOutboxMailer
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR, JinjaEmailTemplates
from elearn.adapters.mail.smtp import SmtpMailer
from elearn.adapters.passwords import Argon2PasswordHasher
from elearn.adapters.persistence.database import create_engine, create_session_factory
from elearn.adapters.persistence.events import EventCodec
from elearn.adapters.persistence.unit_of_work import SqlaUnitOfWork, StoreRegistry
from elearn.adapters.realtime.local import LocalRealtimeHub
from elearn.adapters.storage.local import LocalFileStorage
from elearn.adapters.system import SystemClock, UuidGenerator
from elearn.application.authorization import Authorizer
from elearn.application.files import FileStorage
from elearn.application.mail import EmailTemplates, Mailer, PersonalMailer, SendRegardless
from elearn.application.ports import Clock, IdGenerator, PasswordHasher
from elearn.application.realtime import RealtimePublisher, SocketMessageHandler
from elearn.entrypoints.module import Module, Subscription
from elearn.entrypoints.modules import MODULES
from elearn.entrypoints.settings import Settings, with_local_secrets

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "Container",
    "Subscription",
    "bootstrap",
    "build_broker_from",
    "build_mailer",
    "build_realtime",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(kw_only=True)
class Container:
    """The process's adapters and every registered context's use cases, each reached by its
    module's name (``container.<name>``)."""

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
    realtime: RealtimePublisher
    redis: Redis | None = None
    modules: tuple[Module, ...] = ()
    # Bootstrap options that are no adapter of the container's own, for the modules' builders.
    options: Mapping[str, Any] = field(default_factory=dict)
    use_cases: dict[str, Any] = field(default_factory=dict)
    policies: dict[str, object] = field(default_factory=dict)
    stores: StoreRegistry = field(default_factory=lambda: StoreRegistry.of(()))
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    periodic_jobs: dict[str, PeriodicJob] = field(default_factory=dict)
    # Client→server messages of the realtime socket, by type (``Module.socket_messages``).
    socket_messages: dict[str, SocketMessageHandler] = field(default_factory=dict)
    _background: list[asyncio.Task[None]] = field(default_factory=list)
    _deliveries: OutboxDeliveryExecutor | None = field(default=None, repr=False)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are no field: a module's use cases.
        use_cases = self.__dict__.get("use_cases", {})
        if name in use_cases:
            return use_cases[name]
        raise AttributeError(f"no module named {name!r} is registered in this container")

    def personal_mailer(self) -> PersonalMailer:
        """Where the emails a person may turn off go (a module's subscriptions take it): the
        preferences of the module that keeps them, else straight to the mailer."""
        for module in self.modules:
            if module.mail_preferences is not None and module.name in self.use_cases:
                return module.mail_preferences(self)
        return SendRegardless(self.mailer)

    # ---- unit of work -----------------------------------------------------------------------
    def uow(self, *, read_only: bool = False) -> SqlaUnitOfWork:
        handlers_by_event: dict[str, list[str]] = {}
        for name, subscription in self.subscriptions.items():
            handlers_by_event.setdefault(subscription.event_type, []).append(name)
        return SqlaUnitOfWork(
            self.sessions,
            self.codec,
            handlers_by_event,
            self.stores,
            self.relay.wake,
            read_only=read_only,
        )

    def deliveries(self) -> OutboxDeliveryExecutor:
        """The process's one executor (its deliveries' done marks are written together); built
        at the first delivery, once the modules' subscriptions are all registered."""
        if self._deliveries is None:
            handlers = {name: s.handler for name, s in self.subscriptions.items()}
            self._deliveries = OutboxDeliveryExecutor(
                self.sessions, self.codec, handlers, self.clock
            )
        return self._deliveries

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
        for module in self.modules:
            if module.close is not None and module.name in self.use_cases:
                await module.close(self.use_cases[module.name])
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


def build_realtime(settings: Settings, redis: Redis | None) -> RealtimePublisher:
    """Redis when configured (sockets held by any API process, publishers anywhere), else the
    process's own hub."""
    if redis is not None:
        from elearn.adapters.realtime.redis import RedisRealtimeHub

        return RedisRealtimeHub(
            redis,
            history=settings.realtime_history_per_person,
            history_seconds=settings.realtime_history_seconds,
            backlog=settings.realtime_socket_backlog,
        )
    return LocalRealtimeHub(
        history=settings.realtime_history_per_person,
        history_seconds=settings.realtime_history_seconds,
        backlog=settings.realtime_socket_backlog,
    )


def build_broker_from(settings: Settings) -> dramatiq.Broker:
    return build_broker(
        settings.redis_url or None,
        retry=RetryPolicy(
            max_retries=settings.jobs_max_retries,
            min_backoff_ms=settings.jobs_min_backoff_ms,
            max_backoff_ms=settings.jobs_max_backoff_ms,
        ),
    )


# What bootstrap's ``overrides`` may replace on the container itself; any other key is a
# module's use cases (by the module's name) or an option for the modules' builders.
_ADAPTERS = ("ids", "hasher", "templates", "storage", "codec", "mailer", "realtime")


def bootstrap(
    settings: Settings,
    *,
    broker: dramatiq.Broker | None = None,
    overrides: Mapping[str, Any] | None = None,
    modules: Sequence[Module] = MODULES,
    extra_subscriptions: Mapping[str, Subscription] | None = None,
    extra_periodic_jobs: Mapping[str, PeriodicJob] | None = None,
) -> Container:
    """Builds the adapters from settings, then each module in order (a module may use the
    use cases of those listed before it)."""
    settings = with_local_secrets(settings)
    options = dict(overrides or {})
    engine = options.pop("engine", None) or create_engine(
        settings.effective_database_url,
        pool_size=settings.database_pool_size,
        echo=settings.database_echo,
    )
    sessions = create_session_factory(engine)
    clock: Clock = options.pop("clock", None) or SystemClock()
    broker = broker or build_broker_from(settings)
    adapters: dict[str, Any] = {
        "ids": UuidGenerator(),
        "hasher": Argon2PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost_kib=settings.password_hash_memory_kib,
        ),
        "templates": JinjaEmailTemplates(
            [m.mail_templates for m in modules if m.mail_templates] + [DEFAULT_TEMPLATES_DIR],
            base_context={"app_name": settings.app_name},
        ),
        "storage": LocalFileStorage(settings.effective_storage_dir),
        # Every event class the modules import is known to the codec.
        "codec": EventCodec.for_all_events(),
    }
    # Calls wait for a free connection rather than fail when the pool is busy (every socket
    # renews its presence at each heartbeat; a burst of connections redeems tickets at once).
    redis: Redis | None = None
    if settings.redis_url:
        # Imported only where Redis is configured: the embedded default never loads it.
        from redis.asyncio import BlockingConnectionPool, Redis

        redis = Redis(
            connection_pool=BlockingConnectionPool.from_url(
                settings.redis_url, max_connections=settings.redis_max_connections, timeout=20
            )
        )
    if "realtime" not in options:
        adapters["realtime"] = build_realtime(settings, redis)
    if "mailer" not in options:
        adapters["mailer"] = build_mailer(settings)
    adapters.update({name: options.pop(name) for name in _ADAPTERS if name in options})
    replaced_use_cases = {m.name: options.pop(m.name) for m in modules if m.name in options}
    container = Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        broker=broker,
        clock=clock,
        relay=OutboxRelay(sessions, broker, clock),
        dead_jobs=SqlaDeadJobStore(sessions, clock),
        authorizer=Authorizer(staff_two_factor_required=settings.require_2fa_for_staff),
        redis=redis,
        modules=tuple(modules),
        options=options,
        **adapters,
    )
    for module in modules:
        if module.policy is not None:
            container.policies[module.name] = module.policy(settings)
        container.use_cases[module.name] = replaced_use_cases.get(module.name) or module.use_cases(
            container, options
        )
    container.stores = StoreRegistry.of(
        (store for module in modules for store in module.stores),
        constraint_errors={
            name: error for module in modules for name, error in module.constraint_errors.items()
        },
        after_commit=[
            hook for hook in (module.after_commit(container) for module in modules) if hook
        ],
        around_commit=[
            guard for guard in (module.around_commit(container) for module in modules) if guard
        ],
    )
    for module in modules:
        _register(container.subscriptions, module.subscriptions(container), "subscription")
    container.subscriptions.update(extra_subscriptions or {})
    for module in modules:
        _register(container.socket_messages, module.socket_messages(container), "socket message")
    _register(container.periodic_jobs, _housekeeping_jobs(container), "periodic job")
    for module in modules:
        jobs = {job.name: job for job in module.periodic_jobs(container)}
        _register(container.periodic_jobs, jobs, "periodic job")
    container.periodic_jobs.update(extra_periodic_jobs or {})
    return container


def _register(into: dict[str, T], entries: Mapping[str, T], what: str) -> None:
    for name, entry in entries.items():
        if name in into:
            raise ValueError(f"two modules register the {what} {name!r}")
        into[name] = entry


def _housekeeping_jobs(c: Container) -> dict[str, PeriodicJob]:
    """The jobs of the shared infrastructure, not of a context."""
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
    ]
    return {name: PeriodicJob(name, every, run) for name, every, run in jobs}
