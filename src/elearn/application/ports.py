"""Ports shared by every context: what use cases need from the outside world.

Each is a Protocol named by capability; adapters implement them, the composition root wires
them. Context-specific repositories live beside their use cases.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar
from uuid import UUID

from elearn.domain.shared.audit import AuditEntry
from elearn.domain.shared.events import DomainEvent


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID: ...


class AuditLog(Protocol):
    """The audit trail: every context appends to it inside its own transaction."""

    def add(self, entry: AuditEntry) -> None: ...


class Transaction(Protocol):
    """One business transaction: everything written through it commits together or not at all.

    Events recorded by aggregates loaded or added through its repositories, and events passed to
    ``publish``, are stored in the outbox in the same transaction as the state they describe.
    Leaving the ``async with`` block without ``commit()`` rolls everything back.

    A context's unit of work is this plus its own stores, and nothing else (``CatalogUnitOfWork``
    in ``application/catalog/ports.py``...). A step of another context inside the same
    transaction goes through that context's published ``api``, which alone calls ``as_context``.
    """

    audit: AuditLog

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def publish(self, *events: DomainEvent) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    def as_context(self, unit_of_work: type[ContextUnitOfWork]) -> ContextUnitOfWork:
        """This same transaction with the stores of the context whose unit of work is named.
        Only that context's ``api`` module calls it: it is how a context lends its stores to a
        caller's transaction without the caller seeing them."""
        ...


ContextUnitOfWork = TypeVar("ContextUnitOfWork", bound=Transaction)
UnitOfWorkT_co = TypeVar("UnitOfWorkT_co", bound=Transaction, covariant=True)


class TransactionFactory(Protocol[UnitOfWorkT_co]):
    """Opens a context's unit of work: ``async with deps.uow() as uow: ...``."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWorkT_co:
        """``read_only``: the use case only reads, so it need not wait for writers (on SQLite a
        writing transaction holds the database's write lock from its start)."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, stored_hash: str, password: str) -> bool: ...

    def needs_rehash(self, stored_hash: str) -> bool: ...

    async def verify_dummy(self, password: str) -> None:
        """Spends the time a real verification takes, for an account that does not exist."""
        ...
