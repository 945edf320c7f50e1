"""Fakes of the application's ports, for use-case tests.

They behave like the real adapters where a use case could tell the difference: the unit of
work keeps nothing until ``commit()``, collects the events of every aggregate its repositories
handed out or received (as ``SqlaUnitOfWork`` does), enforces the unique email address the
database enforces, and hands out copies, so a change that is not committed is not kept.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self
from uuid import UUID

from elearn.application.mail import EmailMessage
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.user import EmailTaken, User
from elearn.domain.shared.events import DomainEvent

__all__ = [
    "FakePasswordHasher",
    "FakeUnitOfWork",
    "FakeUserRepository",
    "FixedClock",
    "RecordingMailer",
    "SequentialIds",
]


class FakeUserRepository:
    """Users of one transaction: reads see what was committed plus what this transaction added."""

    def __init__(self, committed: dict[UUID, User]) -> None:
        self._committed = committed
        self._tracked: dict[UUID, User] = {}

    @property
    def seen(self) -> list[User]:
        return list(self._tracked.values())

    async def add(self, user: User) -> None:
        self._tracked[user.id] = user

    async def get(self, user_id: UUID) -> User | None:
        if user_id in self._tracked:
            return self._tracked[user_id]
        stored = self._committed.get(user_id)
        return None if stored is None else self._load(stored)

    async def get_by_email(self, email: EmailAddress) -> User | None:
        for user in self._tracked.values():
            if user.email == email:
                return user
        for stored in self._committed.values():
            if stored.email == email:
                return self._load(stored)
        return None

    def _load(self, stored: User) -> User:
        user = copy.deepcopy(stored)
        self._tracked[user.id] = user
        return user


class FakeUnitOfWork:
    """An in-memory unit of work. It is its own factory: ``uow()`` returns it, so a test can
    hand it to a use case as a ``UnitOfWorkFactory`` and inspect it afterwards.

    ``users`` holds what was committed; ``events`` every event committed, in order (the outbox);
    ``commits`` how many transactions committed.
    """

    def __init__(self, users: list[User] | None = None) -> None:
        self.committed_users: dict[UUID, User] = {}
        self.events: list[DomainEvent] = []
        self.commits = 0
        self._active = False
        self._published: list[DomainEvent] = []
        self.users = FakeUserRepository(self.committed_users)
        for user in users or ():
            user.pull_events()
            self.committed_users[user.id] = copy.deepcopy(user)

    def __call__(self) -> Self:
        return self

    async def __aenter__(self) -> Self:
        if self._active:
            raise RuntimeError("FakeUnitOfWork is already in a transaction")
        self._active = True
        self._published = []
        self.users = FakeUserRepository(self.committed_users)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Like the real one: leaving without commit() throws away what was not committed.
        await self.rollback()
        self._active = False

    def publish(self, *events: DomainEvent) -> None:
        self._require_transaction()
        self._published.extend(events)

    async def commit(self) -> None:
        self._require_transaction()
        candidates = {**self.committed_users}
        for user in self.users.seen:
            candidates[user.id] = user
        emails = [user.email for user in candidates.values()]
        if len(emails) != len(set(emails)):
            await self.rollback()
            # what the persistence adapter turns the unique-constraint violation into
            raise EmailTaken("that email address already has an account")
        events = list(self._published)
        for user in self.users.seen:
            events.extend(user.pull_events())
        self.committed_users.clear()
        self.committed_users.update(
            {user_id: copy.deepcopy(user) for user_id, user in candidates.items()}
        )
        self.events.extend(events)
        self.commits += 1
        self._published = []
        # The repository keeps tracking what it handed out, as the real one does after commit.

    async def rollback(self) -> None:
        self._published = []
        self.users = FakeUserRepository(self.committed_users)

    def stored_users(self) -> list[User]:
        """Copies of the committed users."""
        return [copy.deepcopy(user) for user in self.committed_users.values()]

    def _require_transaction(self) -> None:
        if not self._active:
            raise RuntimeError("use the unit of work inside `async with`")


class FixedClock:
    """A clock that shows the time it is told, in UTC, until a test moves it."""

    def __init__(self, at: datetime = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = at.astimezone(UTC)


class SequentialIds:
    """UUIDs 00000000-0000-0000-0000-000000000001, ...2, ... in order; ``issued`` lists them."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self.issued: list[UUID] = []

    def new_id(self) -> UUID:
        new = UUID(int=next(self._counter))
        self.issued.append(new)
        return new


class FakePasswordHasher:
    """Cheap and deterministic; the hash never contains the password itself."""

    PREFIX = "fake-sha256$"

    def __init__(self) -> None:
        self.hashed = 0

    async def hash(self, password: str) -> str:
        self.hashed += 1
        return self.hash_of(password)

    @classmethod
    def hash_of(cls, password: str) -> str:
        return cls.PREFIX + hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()

    async def verify(self, stored_hash: str, password: str) -> bool:
        return stored_hash == self.hash_of(password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return not stored_hash.startswith(self.PREFIX)


@dataclass
class RecordingMailer:
    """Keeps every message it is asked to send; raises ``fail_with`` instead when it is set."""

    sent: list[EmailMessage] = field(default_factory=list)
    fail_with: Exception | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
