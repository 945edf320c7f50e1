"""The SQLAlchemy unit of work: one transaction per use case, events into the outbox.

It knows no context: each context declares its stores (attribute name → how to build it from
the session), and a transaction builds a store only when a use case first reaches for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self, cast, runtime_checkable
from uuid import uuid4

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.database import WRITE_TRANSACTION
from elearn.adapters.persistence.events import EventCodec
from elearn.adapters.persistence.integrity import ConstraintErrors, domain_error_for
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow, OutboxMessageRow
from elearn.adapters.persistence.repositories import SqlaAuditLog
from elearn.application.ports import ContextUnitOfWork
from elearn.domain.shared.events import DomainEvent

# On the tables, not the ORM classes: a list of rows is one executemany, not the ORM's bulk path.
_INSERT_MESSAGES = insert(cast(Table, OutboxMessageRow.__table__))
_INSERT_DELIVERIES = insert(cast(Table, OutboxDeliveryRow.__table__))


class ChangeTracker(Protocol):
    """A repository that holds aggregates in memory and writes them back before commit."""

    async def flush_changes(self) -> None: ...

    def pull_events(self) -> list[DomainEvent]: ...


@runtime_checkable
class WritesSharedRows(Protocol):
    """A tracker that also moves rows many transactions share (a tutor's pending balance, a
    course's enrollment count): by relative updates written after every other row of the
    transaction, so the row locks they take are held for the commit alone. Optional: most
    trackers have none."""

    async def flush_shared_rows(self) -> None: ...


def _tracks_itself(store: Any) -> Sequence[ChangeTracker]:
    return (store,)


def _tracks_nothing(store: Any) -> Sequence[ChangeTracker]:
    return ()


@dataclass(frozen=True, slots=True)
class StoreDeclaration:
    """One store a context puts in its transactions.

    ``trackers`` says which of the store's repositories write back before commit (the store
    itself, by default). A store that flushes the whole session (so every other store must have
    written its rows back before it) says ``flush_last``.
    """

    attribute: str
    build: Callable[[AsyncSession], object]
    trackers: Callable[[Any], Sequence[ChangeTracker]] = _tracks_itself
    flush_last: bool = False


# After a commit, with the stores that transaction built (attribute → store).
AfterCommit = Callable[[Mapping[str, Any]], None]
# Awaited with the stores that transaction built, once just before its commit (the stores have
# written back; raising rolls the transaction back) and once just after it: what must be told
# to other processes on both sides of the commit, so that nothing reads between the two and
# keeps what it read.
AroundCommit = Callable[[Mapping[str, Any]], Awaitable[None]]

# The audit trail belongs to every context's transaction (`Transaction.audit`).
AUDIT_STORE = StoreDeclaration("audit", SqlaAuditLog, trackers=_tracks_nothing)


@dataclass(frozen=True, slots=True)
class StoreRegistry:
    """Every registered store, in flush order, with what runs after a commit."""

    stores: Mapping[str, StoreDeclaration]
    constraint_errors: ConstraintErrors = field(default_factory=dict)
    after_commit: Sequence[AfterCommit] = ()
    around_commit: Sequence[AroundCommit] = ()

    @classmethod
    def of(
        cls,
        declarations: Iterable[StoreDeclaration],
        *,
        constraint_errors: ConstraintErrors | None = None,
        after_commit: Sequence[AfterCommit] = (),
        around_commit: Sequence[AroundCommit] = (),
    ) -> StoreRegistry:
        ordered: dict[str, StoreDeclaration] = {}
        for declaration in (AUDIT_STORE, *declarations):
            if declaration.attribute in ordered:
                raise ValueError(f"two stores are named {declaration.attribute!r}")
            ordered[declaration.attribute] = declaration
        # A stable sort: the declared order holds, except that session-wide flushes go last.
        by_flush = sorted(ordered.values(), key=lambda declaration: declaration.flush_last)
        return cls(
            {declaration.attribute: declaration for declaration in by_flush},
            dict(constraint_errors or {}),
            tuple(after_commit),
            tuple(around_commit),
        )


class SqlaUnitOfWork:
    """Wraps one session. ``subscriptions`` maps an event type to the names of the handlers that
    must see it: one delivery row per handler is written with the event, so each handler is
    retried, dead-lettered and made idempotent on its own.

    A registered store is an attribute (``uow.<store>``) built on first access
    and kept for the rest of the transaction; commit flushes the stores that were built, in the
    registry's order."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        codec: EventCodec,
        subscriptions: Mapping[str, Sequence[str]],
        registry: StoreRegistry,
        after_commit: Callable[[], None] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._codec = codec
        self._subscriptions = subscriptions
        self._registry = registry
        self._after_commit = after_commit
        self._published: list[DomainEvent] = []
        self._built: dict[str, Any] = {}
        self._read_only = read_only

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        await self.session.connection(
            execution_options={} if self._read_only else WRITE_TRANSACTION
        )
        for attribute in self._built:
            del self.__dict__[attribute]
        self._built = {}
        self._published = []
        return self

    def __getattr__(self, attribute: str) -> Any:
        # Only reached for attributes not set yet: a store's first use in this transaction.
        declaration = self._registry.stores.get(attribute) if "_registry" in self.__dict__ else None
        if declaration is None or "session" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {attribute!r}"
                + ("" if declaration is None else " outside a transaction")
            )
        store = declaration.build(self.session)
        self._built[attribute] = store
        setattr(self, attribute, store)
        return store

    @property
    def built_stores(self) -> Mapping[str, Any]:
        """The stores this transaction has used so far, by attribute."""
        return dict(self._built)

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
        trackers = [
            tracker
            for attribute, declaration in self._registry.stores.items()
            if attribute in self._built
            for tracker in declaration.trackers(self._built[attribute])
        ]
        try:
            # Some repositories flush as they write: a constraint can fail here already.
            for tracker in trackers:
                await tracker.flush_changes()
            events = list(self._published)
            for tracker in trackers:
                events.extend(tracker.pull_events())
            self._published = []
            for guard in self._registry.around_commit:
                await guard(self.built_stores)
            await self.session.flush()
            await self._store(events)
            for tracker in trackers:
                if isinstance(tracker, WritesSharedRows):
                    await tracker.flush_shared_rows()
            await self.session.commit()
        except IntegrityError as error:
            await self.session.rollback()
            raise domain_error_for(error, self._registry.constraint_errors) from error
        if events and self._after_commit is not None:
            self._after_commit()
        built = self.built_stores
        for guard in self._registry.around_commit:
            await guard(built)
        for hook in self._registry.after_commit:
            hook(built)

    async def rollback(self) -> None:
        await self.session.rollback()

    async def _store(self, events: Sequence[DomainEvent]) -> None:
        """The events and their deliveries, one per subscribed handler: two statements (each an
        executemany, built once) whatever their number (added to the session one by one,
        PostgreSQL took an INSERT per message, for the flush must read back each row's
        server-side values)."""
        now = datetime.now(UTC)
        messages: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []
        for event in events:
            messages.append(
                {
                    "id": event.event_id,
                    "event_type": event.event_type,
                    "payload": self._codec.encode(event),
                    "occurred_at": event.occurred_at,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            deliveries.extend(
                {
                    "id": uuid4(),
                    "message_id": event.event_id,
                    "handler": handler,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for handler in self._subscriptions.get(event.event_type, ())
            )
        if messages:
            await self.session.execute(_INSERT_MESSAGES, messages)
        if deliveries:
            await self.session.execute(_INSERT_DELIVERIES, deliveries)


def session_of(uow: object) -> AsyncSession:
    """The session behind a use case's transaction, for adapters that work inside it on a
    context's own tables (each context's personal data)."""
    if not isinstance(uow, SqlaUnitOfWork):
        raise TypeError(f"not a SQLAlchemy unit of work: {type(uow).__name__}")
    return uow.session


def store_of(uow: object, attribute: str) -> Any:
    """A registered store of the transaction behind a use case's unit of work (one context's
    adapter, working inside another context's transaction, reaching for its own store)."""
    if not isinstance(uow, SqlaUnitOfWork):
        raise TypeError(f"not a SQLAlchemy unit of work: {type(uow).__name__}")
    return getattr(uow, attribute)
