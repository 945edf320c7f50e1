"""Forgotten, reset and changed passwords."""

from __future__ import annotations

from dataclasses import dataclass

from elearn.application.actor import Actor
from elearn.application.errors import FieldError, InvalidInput, NotAuthenticated
from elearn.application.identity.account import limit_password_checks
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.registration import limit_emails_to, redeem_one_time_token
from elearn.application.identity.sessions import Session, end_all_sessions, open_session
from elearn.domain.identity.email import EmailAddress, InvalidEmail
from elearn.domain.identity.passwords import check_password
from elearn.domain.identity.tokens import InvalidOneTimeToken, TokenPurpose
from elearn.domain.identity.user import PasswordResetRequested
from elearn.domain.shared.audit import AuditAction


@dataclass(frozen=True, slots=True)
class ForgotPasswordCommand:
    email: str


class ForgotPassword:
    """Asking for a reset link always answers the same; an active account gets an email whose
    link works once, for a few minutes, and replaces any earlier link."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ForgotPasswordCommand) -> None:
        deps = self._deps
        try:
            email = EmailAddress(command.email)
        except InvalidEmail:
            return
        await limit_emails_to(deps, "reset", email.value)
        async with deps.uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None or not user.is_active:
                return
            uow.publish(
                PasswordResetRequested(
                    event_id=deps.ids.new_id(), occurred_at=deps.clock.now(), user_id=user.id
                )
            )
            await uow.commit()


@dataclass(frozen=True, slots=True)
class ResetPasswordCommand:
    token: str
    new_password: str


class ResetPassword:
    """A valid reset link sets a new password and ends every session of the account."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ResetPasswordCommand) -> None:
        deps = self._deps
        now = deps.clock.now()
        async with deps.uow() as uow:
            user = await redeem_one_time_token(
                deps, uow, command.token, TokenPurpose.RESET_PASSWORD, now
            )
            if not user.is_active:
                raise InvalidOneTimeToken()
            check_password(
                command.new_password, email=user.email, common_passwords=deps.common_passwords
            )
            user.change_password(await deps.hasher.hash(command.new_password), now)
            user.verify_email(now)  # the link reached the inbox: the address is proven
            await end_all_sessions(deps, uow, user, "password_reset")
            deps.audit(uow, actor, AuditAction.PASSWORD_RESET, actor_id=user.id,
                       target_type="user", target_id=user.id)  # fmt: skip
            await uow.commit()


@dataclass(frozen=True, slots=True)
class ChangePasswordCommand:
    current_password: str
    new_password: str


class ChangePassword:
    """The signed-in user, knowing the current password, sets a new one; every other session
    ends and a fresh one is returned. Attempts are limited per account like sign-in."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ChangePasswordCommand) -> Session:
        deps = self._deps
        if actor.user_id is None:
            raise NotAuthenticated("sign in first")
        limit_key = await limit_password_checks(deps, "password-change", actor.user_id)
        now = deps.clock.now()
        async with deps.uow() as uow:
            user = await uow.users.get(actor.user_id, for_update=True)
            if user is None:
                raise NotAuthenticated("sign in first")
            if not await deps.hasher.verify(user.password_hash, command.current_password):
                raise InvalidInput(
                    "the current password is wrong",
                    errors=[FieldError("current_password", "does not match your password")],
                )
            check_password(
                command.new_password, email=user.email, common_passwords=deps.common_passwords
            )
            user.change_password(await deps.hasher.hash(command.new_password), now)
            await end_all_sessions(deps, uow, user, "password_changed")
            session = await open_session(deps, uow, user)
            deps.audit(
                uow, actor, AuditAction.PASSWORD_CHANGED, target_type="user", target_id=user.id
            )
            await uow.commit()
        await deps.rate_limiter.reset(limit_key)
        return session
