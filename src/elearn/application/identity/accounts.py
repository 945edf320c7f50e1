"""Creating accounts from the command line: the first admin and the demo data."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.errors import PermissionDenied
from elearn.application.ports import Clock, IdGenerator, PasswordHasher, UnitOfWorkFactory
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import EmailTaken, User
from elearn.domain.shared.errors import RuleViolation

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class CreateAccount:
    email: str
    password: str
    full_name: str
    role: Role
    email_verified: bool = True


class CreateAccountByOperator:
    """An admin (or the operator at the command line) creates a verified account with any role;
    an email address belongs to one account only."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._ids = ids

    async def __call__(self, actor: Actor, command: CreateAccount) -> UUID:
        if not actor.is_admin:
            raise PermissionDenied("only an admin creates accounts for others")
        email = EmailAddress(command.email)
        if not MIN_PASSWORD_LENGTH <= len(command.password) <= MAX_PASSWORD_LENGTH:
            raise RuleViolation(
                f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
                code="weak-password",
            )
        if not command.password.strip():
            raise RuleViolation("a password is more than spaces", code="weak-password")
        password_hash = await self._hasher.hash(command.password)
        async with self._uow() as uow:
            if await uow.users.get_by_email(email) is not None:
                raise EmailTaken(f"{email} already has an account")
            user = User.register(
                user_id=self._ids.new_id(),
                event_id=self._ids.new_id(),
                email=email,
                full_name=command.full_name,
                role=command.role,
                password_hash=password_hash,
                now=self._clock.now(),
                email_verified=command.email_verified,
            )
            await uow.users.add(user)
            await uow.commit()
        return user.id
