from __future__ import annotations

from typing import Protocol
from uuid import UUID

from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.user import User


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_email(self, email: EmailAddress) -> User | None: ...
