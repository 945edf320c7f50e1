"""SQLAlchemy repositories: explicit data mappers between rows and aggregates.

A repository remembers every aggregate it hands out or receives, with its row, so the unit of
work can write changes back and collect the aggregates' events at commit.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.adapters.persistence.models import UserRow
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import User
from elearn.domain.shared.events import RecordsEvents

AggregateT = TypeVar("AggregateT", bound=RecordsEvents)
RowT = TypeVar("RowT")


class TrackingRepository(Generic[AggregateT, RowT]):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._tracked: dict[Any, tuple[AggregateT, RowT]] = {}

    def _track(self, key: Any, aggregate: AggregateT, row: RowT) -> AggregateT:
        self._tracked.setdefault(key, (aggregate, row))
        return self._tracked[key][0]

    @property
    def seen(self) -> list[AggregateT]:
        return [aggregate for aggregate, _ in self._tracked.values()]

    def write_back(self) -> None:
        for aggregate, row in self._tracked.values():
            self._to_row(aggregate, row)

    def _to_row(self, aggregate: AggregateT, row: RowT) -> None:
        raise NotImplementedError


class SqlaUserRepository(TrackingRepository[User, UserRow]):
    async def add(self, user: User) -> None:
        row = UserRow(id=user.id, created_at=user.created_at)
        self._to_row(user, row)
        self.session.add(row)
        self._track(user.id, user, row)

    async def get(self, user_id: UUID) -> User | None:
        row = await self.session.get(UserRow, user_id)
        return None if row is None else self._from_row(row)

    async def get_by_email(self, email: EmailAddress) -> User | None:
        row = await self.session.scalar(select(UserRow).where(UserRow.email == email.value))
        return None if row is None else self._from_row(row)

    def _from_row(self, row: UserRow) -> User:
        user = User(
            id=row.id,
            email=EmailAddress(row.email),
            full_name=row.full_name,
            role=Role(row.role),
            password_hash=row.password_hash,
            is_active=row.is_active,
            email_verified_at=row.email_verified_at,
            created_at=row.created_at,
        )
        return self._track(row.id, user, row)

    def _to_row(self, user: User, row: UserRow) -> None:
        row.email = user.email.value
        row.full_name = user.full_name
        row.role = user.role.value
        row.password_hash = user.password_hash
        row.is_active = user.is_active
        row.email_verified_at = user.email_verified_at
