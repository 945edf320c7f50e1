"""Creating accounts from the command line: the first admin and the demo data; promoting an
existing account to a staff role."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.authorization import Authorizer, Permission
from elearn.application.errors import PermissionDenied
from elearn.application.identity.ports import IdentityUnitOfWork
from elearn.application.identity.sessions import announce_session_ended
from elearn.application.ports import (
    Clock,
    IdGenerator,
    PasswordHasher,
    TransactionFactory,
)
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
)
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import EmailTaken, User
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.domain.shared.errors import RuleViolation

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "AccountOutcome",
    "CreateAccount",
    "CreateAccountByOperator",
    "CreateOrPromote",
    "FullNameRequired",
    "PasswordRequired",
]


class PasswordRequired(RuleViolation):
    """Creating an account needs a password; promoting one does not (the caller may ask for
    one only when this is raised)."""

    code = "password-required"

    def __init__(self) -> None:
        super().__init__("a new account needs a password")


class FullNameRequired(RuleViolation):
    code = "full-name-required"

    def __init__(self) -> None:
        super().__init__("a new account needs a full name")


@dataclass(frozen=True, slots=True)
class CreateAccount:
    email: str
    password: str
    full_name: str
    role: Role
    email_verified: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateOrPromote:
    """Create a verified account with ``role``, or give the existing account with that address
    the role. ``password`` and ``full_name`` are needed only to create; an existing account
    keeps its password and name."""

    email: str
    role: Role
    password: str | None = None
    full_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountOutcome:
    user_id: UUID
    created: bool
    previous_role: Role | None = None  # None when created
    role_changed: bool = False
    email_verified_now: bool = False
    sessions_ended: int = 0

    @property
    def changed(self) -> bool:
        return self.created or self.role_changed or self.email_verified_now


class CreateAccountByOperator:
    """An admin (or the operator at the command line) creates a verified account with any role;
    an email address belongs to one account only. ``create_or_promote`` gives an existing
    account the role instead of refusing the address."""

    def __init__(
        self,
        uow: TransactionFactory[IdentityUnitOfWork],
        hasher: PasswordHasher,
        clock: Clock,
        ids: IdGenerator,
        common_passwords: Container[str],
        authorizer: Authorizer,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._ids = ids
        self._common_passwords = common_passwords
        self._authorizer = authorizer

    async def __call__(self, actor: Actor, command: CreateAccount) -> UUID:
        self._require_admin(actor)
        email = EmailAddress(command.email)
        check_password(command.password, email=email, common_passwords=self._common_passwords)
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
            self._audit(
                uow, actor, AuditAction.USER_REGISTERED, user.id,
                {"role": user.role.value, "by": "operator"},
            )  # fmt: skip
            await uow.commit()
        return user.id

    async def create_or_promote(self, actor: Actor, command: CreateOrPromote) -> AccountOutcome:
        self._require_admin(actor)
        email = EmailAddress(command.email)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email, for_update=True)
            if user is not None:
                outcome = await self._promote(uow, actor, user, command.role)
                if outcome.changed:
                    await uow.commit()
                return outcome
        if command.full_name is None:
            raise FullNameRequired()
        if command.password is None:
            raise PasswordRequired()
        create = CreateAccount(
            email=command.email,
            password=command.password,
            full_name=command.full_name,
            role=command.role,
        )
        # Another transaction may create the address meanwhile: that one says EmailTaken.
        return AccountOutcome(user_id=await self(actor, create), created=True)

    def _require_admin(self, actor: Actor) -> None:
        self._authorizer.authorize(
            actor,
            Permission.CREATE_ACCOUNTS,
            otherwise=PermissionDenied("only an admin creates accounts for others"),
        )

    async def _promote(
        self, uow: IdentityUnitOfWork, actor: Actor, user: User, role: Role
    ) -> AccountOutcome:
        now = self._clock.now()
        previous = user.role
        sessions_ended = 0
        if role is not previous:
            user.change_role(role, now)  # access tokens die by ``sessions_valid_after``
            for family in await uow.refresh_families.active_for_user(user.id):
                family.revoke(now, "role_changed")
                announce_session_ended(self._ids, now, uow, family)
                sessions_ended += 1
            change = {"from": previous.value, "to": role.value}
            self._audit(uow, actor, AuditAction.ROLE_CHANGED, user.id, change)
        verified_now = user.verify_email(now)
        if verified_now:
            self._audit(uow, actor, AuditAction.EMAIL_VERIFIED, user.id, {"by": "operator"})
        return AccountOutcome(
            user_id=user.id,
            created=False,
            previous_role=previous,
            role_changed=role is not previous,
            email_verified_now=verified_now,
            sessions_ended=sessions_ended,
        )

    def _audit(
        self,
        uow: IdentityUnitOfWork,
        actor: Actor,
        action: AuditAction,
        user_id: UUID,
        details: dict[str, str],
    ) -> None:
        uow.audit.add(
            AuditEntry(
                id=self._ids.new_id(),
                at=self._clock.now(),
                action=action,
                actor_id=actor.user_id,
                target_type="user",
                target_id=user_id,
                ip=actor.ip,
                user_agent=(actor.user_agent or "")[:512] or None,
                details=details,
            )
        )
