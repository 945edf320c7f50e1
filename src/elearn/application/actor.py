"""Who is asking: every use case receives an ``Actor`` and checks it against the object."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.domain.identity.roles import Role


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: UUID | None
    role: Role | None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, role=None)

    @classmethod
    def system(cls) -> Actor:
        """An operator at the command line or a background job acting for the platform."""
        return cls(user_id=None, role=Role.ADMIN)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
