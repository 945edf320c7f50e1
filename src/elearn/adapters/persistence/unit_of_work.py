"""The SQLAlchemy unit of work: one transaction per use case, events into the outbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.billing_repositories import SqlaBillingStore
from elearn.adapters.persistence.catalog_repositories import (
    SqlaCategoryRepository,
    SqlaCourseRepository,
)
from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.events import EventCodec
from elearn.adapters.persistence.integrity import domain_error_for
from elearn.adapters.persistence.learning_repositories import SqlaLearningStore
from elearn.adapters.persistence.models import OutboxDeliveryRow, OutboxMessageRow
from elearn.adapters.persistence.repositories import (
    SqlaAuditLog,
    SqlaOneTimeTokenRepository,
    SqlaProfileRepository,
    SqlaRefreshFamilyRepository,
    SqlaTutorApplicationRepository,
    SqlaUserRepository,
    TrackingRepository,
)
from elearn.adapters.persistence.tutoring_repositories import SqlaTutoringStore
from elearn.application.billing.ports import BillingStore
from elearn.application.catalog.ports import CategoryRepository, CourseRepository
from elearn.application.identity.ports import (
    OneTimeTokenRepository,
    ProfileRepository,
    RefreshFamilyRepository,
    TutorApplicationRepository,
    UserRepository,
)
from elearn.application.learning.ports import LearningStore
from elearn.application.ports import AuditLog, ContextUnitOfWork
from elearn.application.tutoring.ports import TutoringStore
from elearn.domain.shared.events import DomainEvent


class SqlaUnitOfWork:
    """Wraps one session. ``subscriptions`` maps an event type to the names of the handlers that
    must see it: one delivery row per handler is written with the event, so each handler is
    retried, dead-lettered and made idempotent on its own."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        codec: EventCodec,
        subscriptions: Mapping[str, Sequence[str]],
        after_commit: Callable[[], None] | None = None,
        catalog_changed: Callable[[], None] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._codec = codec
        self._subscriptions = subscriptions
        self._after_commit = after_commit
        self._catalog_changed = catalog_changed
        self._published: list[DomainEvent] = []
        self._read_only = read_only

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        await self.session.connection(
            execution_options={} if self._read_only else WRITE_TRANSACTION
        )
        users = SqlaUserRepository(self.session)
        tutor_applications = SqlaTutorApplicationRepository(self.session)
        one_time_tokens = SqlaOneTimeTokenRepository(self.session)
        refresh_families = SqlaRefreshFamilyRepository(self.session)
        # Typed as the ports, so this class satisfies the UnitOfWork protocol as declared.
        self.users: UserRepository = users
        self.tutor_applications: TutorApplicationRepository = tutor_applications
        self.one_time_tokens: OneTimeTokenRepository = one_time_tokens
        self.refresh_families: RefreshFamilyRepository = refresh_families
        self.profiles: ProfileRepository = SqlaProfileRepository(self.session)
        self.audit: AuditLog = SqlaAuditLog(self.session)
        courses = self._courses = SqlaCourseRepository(self.session)
        categories = self._categories = SqlaCategoryRepository(self.session)
        self.courses: CourseRepository = courses
        self.categories: CategoryRepository = categories
        learning = self._learning = SqlaLearningStore(self.session)
        self.learning: LearningStore = learning
        billing = SqlaBillingStore(self.session)
        self.billing: BillingStore = billing
        tutoring = SqlaTutoringStore(self.session)
        self.tutoring: TutoringStore = tutoring
        self._repositories: list[TrackingRepository[Any, Any]] = [
            users,
            tutor_applications,
            one_time_tokens,
            refresh_families,
            # Before the catalog: the course repository flushes the session in table order,
            # so every other repository must have written its rows back by then.
            *learning.tracking,
            *billing.tracking,
            *tutoring.tracking,
            categories,
            courses,
        ]
        self._published = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()  # a no-op after commit
        finally:
            await self.session.close()

    def as_context(self, unit_of_work: type[ContextUnitOfWork]) -> ContextUnitOfWork:
        # One session serves every registered context's stores, so this transaction already is
        # the other context's unit of work; the type says which stores the caller may use.
        return cast(ContextUnitOfWork, self)

    def publish(self, *events: DomainEvent) -> None:
        self._published.extend(events)

    async def commit(self) -> None:
        try:
            # Some repositories flush as they write: a constraint can fail here already.
            for repository in self._repositories:
                await repository.flush_changes()
            events = list(self._published)
            for repository in self._repositories:
                events.extend(repository.pull_events())
            self._published = []
            for event in events:
                self._store(event)
            await self.session.commit()
        except IntegrityError as error:
            await self.session.rollback()
            raise domain_error_for(error) from error
        if events and self._after_commit is not None:
            self._after_commit()
        if self._catalog_changed is not None and (
            self._courses.touched or self._categories.touched or self._learning.changed_courses
        ):
            self._catalog_changed()

    async def rollback(self) -> None:
        await self.session.rollback()

    def _store(self, event: DomainEvent) -> None:
        message = OutboxMessageRow(
            id=event.event_id,
            event_type=event.event_type,
            payload=self._codec.encode(event),
            occurred_at=event.occurred_at,
        )
        message.deliveries = [
            OutboxDeliveryRow(handler=handler, status="pending")
            for handler in self._subscriptions.get(event.event_type, ())
        ]
        self.session.add(message)
