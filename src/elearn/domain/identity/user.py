from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime
from uuid import UUID

from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.shared.errors import Conflict, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

MAX_FULL_NAME_LENGTH = 120


class EmailTaken(Conflict):
    code = "email-taken"


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRegistered(DomainEvent):
    event_type = "identity.user_registered"
    user_id: UUID
    email: str
    full_name: str
    role: Role


@dataclasses.dataclass(kw_only=True, eq=False)
class User(RecordsEvents):
    id: UUID
    email: EmailAddress
    full_name: str
    role: Role
    password_hash: str
    is_active: bool = True
    email_verified_at: datetime | None = None
    created_at: datetime

    @classmethod
    def register(
        cls,
        *,
        user_id: UUID,
        event_id: UUID,
        email: EmailAddress,
        full_name: str,
        role: Role,
        password_hash: str,
        now: datetime,
        email_verified: bool = False,
    ) -> User:
        name = full_name.strip()
        if not name or len(name) > MAX_FULL_NAME_LENGTH:
            raise RuleViolation(
                f"a full name has 1 to {MAX_FULL_NAME_LENGTH} characters", code="invalid-full-name"
            )
        if any(unicodedata.category(char) == "Cc" for char in name):
            raise RuleViolation(
                "a full name has no control characters (tabs, line breaks, NUL)",
                code="invalid-full-name",
            )
        user = cls(
            id=user_id,
            email=email,
            full_name=name,
            role=role,
            password_hash=password_hash,
            email_verified_at=now if email_verified else None,
            created_at=now,
        )
        user.record(
            UserRegistered(
                event_id=event_id,
                occurred_at=now,
                user_id=user_id,
                email=email.value,
                full_name=name,
                role=role,
            )
        )
        return user

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, User) and other.id == self.id
