"""Signing up and proving the email address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from elearn.application.actor import Actor
from elearn.application.errors import RateLimited
from elearn.application.files import Upload, delete_quietly
from elearn.application.identity.account import (
    new_tutor_application,
    store_tutor_documents,
    tutor_application_details,
)
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import IdentityUnitOfWork
from elearn.domain.identity.email import EmailAddress, InvalidEmail
from elearn.domain.identity.passwords import check_password
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import InvalidOneTimeToken, TokenPurpose
from elearn.domain.identity.user import (
    EmailTaken,
    EmailVerificationRequested,
    RegistrationOfTakenAddressAttempted,
    User,
)
from elearn.domain.shared.audit import AuditAction

REGISTRATIONS_PER_IP_PER_HOUR = 20


@dataclass(frozen=True, slots=True)
class RegisterStudentCommand:
    email: str
    password: str
    full_name: str


async def limit_per_ip(
    deps: IdentityDeps, actor: Actor, what: str, limit: int, window: int
) -> None:
    if actor.ip is None:
        return
    retry_after = await deps.rate_limiter.hit(
        f"{what}:ip:{actor.ip}", limit=limit, window_seconds=window
    )
    if retry_after is not None:
        raise RateLimited(
            "too many attempts from your address; try again later", retry_after_seconds=retry_after
        )


async def limit_emails_to(deps: IdentityDeps, what: str, email: str) -> None:
    """Verification and reset emails per account, counted whether or not the account exists, so
    the limit tells nothing about who has an account."""
    retry_after = await deps.rate_limiter.hit(
        f"{what}:account:{email}",
        limit=deps.policy.emails_per_account,
        window_seconds=deps.policy.email_window_seconds,
    )
    if retry_after is not None:
        raise RateLimited(
            "too many emails asked for; try again later", retry_after_seconds=retry_after
        )


async def create_user(
    deps: IdentityDeps, actor: Actor, *, email: str, password: str, full_name: str, role: Role
) -> User:
    """Validates and hashes before any transaction: returns the unsaved user."""
    address = EmailAddress(email)
    check_password(password, email=address, common_passwords=deps.common_passwords)
    password_hash = await deps.hasher.hash(password)
    now = deps.clock.now()
    user = User.register(
        user_id=deps.ids.new_id(),
        event_id=deps.ids.new_id(),
        email=address,
        full_name=full_name,
        role=role,
        password_hash=password_hash,
        now=now,
    )
    return user


async def redeem_one_time_token(
    deps: IdentityDeps, uow: IdentityUnitOfWork, token: str, purpose: TokenPurpose, now: datetime
) -> User:
    """Uses up the token (once, in time, for this purpose) and returns its user, locked; any
    failure is the same InvalidOneTimeToken."""
    stored = await uow.one_time_tokens.get_by_hash(deps.secrets.hash(token), for_update=True)
    if stored is None:
        raise InvalidOneTimeToken()
    stored.consume(now, purpose)
    user = await uow.users.get(stored.user_id, for_update=True)
    if user is None:
        raise InvalidOneTimeToken()
    return user


async def tell_the_owner(deps: IdentityDeps, uow: IdentityUnitOfWork, owner: User) -> None:
    """Someone signed up with ``owner``'s address: the answer is the one a new address gets, and
    the owner is emailed instead, at most ``emails_per_account`` times an hour (past that,
    silently nothing, so the answer still says nothing and the inbox is not flooded)."""
    retry_after = await deps.rate_limiter.hit(
        f"account-exists:account:{owner.email.value}",
        limit=deps.policy.emails_per_account,
        window_seconds=deps.policy.email_window_seconds,
    )
    if retry_after is not None:
        return
    uow.publish(
        RegistrationOfTakenAddressAttempted(
            event_id=deps.ids.new_id(), occurred_at=deps.clock.now(), user_id=owner.id
        )
    )
    await uow.commit()


def request_verification(deps: IdentityDeps, user: User) -> EmailVerificationRequested:
    return EmailVerificationRequested(
        event_id=deps.ids.new_id(), occurred_at=deps.clock.now(), user_id=user.id
    )


class RegisterStudent:
    """Anyone may open a student account with an unused email address; it can be used at once,
    and a verification link is emailed. A taken address answers the same (nothing is created,
    its owner is emailed), so registration does not tell who has an account."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: RegisterStudentCommand) -> None:
        deps = self._deps
        await limit_per_ip(deps, actor, "register", REGISTRATIONS_PER_IP_PER_HOUR, 3600)
        # Validated and hashed whether or not the address is taken: the same checks, the same time.
        user = await create_user(
            deps, actor, email=command.email, password=command.password,
            full_name=command.full_name, role=Role.STUDENT,
        )  # fmt: skip
        try:
            async with deps.uow() as uow:
                owner = await uow.users.get_by_email(user.email)
                if owner is not None:
                    await tell_the_owner(deps, uow, owner)
                    return
                await uow.users.add(user)
                uow.publish(request_verification(deps, user))
                deps.audit(uow, actor, AuditAction.USER_REGISTERED, actor_id=user.id,
                           target_type="user", target_id=user.id, role=user.role.value)  # fmt: skip
                await uow.commit()
        except EmailTaken:
            return  # a registration of the same address committed first: it is theirs


@dataclass(frozen=True, slots=True)
class VerifyEmailCommand:
    token: str


class VerifyEmail:
    """A verification link works once, within its lifetime, and only the newest one sent."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: VerifyEmailCommand) -> None:
        deps = self._deps
        now = deps.clock.now()
        async with deps.uow() as uow:
            user = await redeem_one_time_token(
                deps, uow, command.token, TokenPurpose.VERIFY_EMAIL, now
            )
            if user.verify_email(now):
                deps.audit(uow, actor, AuditAction.EMAIL_VERIFIED, actor_id=user.id,
                           target_type="user", target_id=user.id)  # fmt: skip
            await uow.commit()


@dataclass(frozen=True, slots=True)
class ResendVerificationCommand:
    email: str


class ResendVerification:
    """Asking for a new verification link always answers the same, whether or not the address
    has an account; a newer link replaces older ones."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ResendVerificationCommand) -> None:
        deps = self._deps
        try:
            email = EmailAddress(command.email)
        except InvalidEmail:
            return
        await limit_emails_to(deps, "verify", email.value)
        async with deps.uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None or user.is_email_verified or not user.is_active:
                return
            uow.publish(request_verification(deps, user))
            await uow.commit()


@dataclass(frozen=True, slots=True)
class RegisterTutorCommand:
    email: str
    password: str
    full_name: str
    headline: str
    subjects: Sequence[str]
    cv: Upload
    certificate: Upload


class RegisterTutor:
    """A tutor signs up with a headline, subjects, a CV and a certificate; the account can sign
    in at once but teaches only once staff approve its application."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: RegisterTutorCommand) -> None:
        deps = self._deps
        await limit_per_ip(deps, actor, "register", REGISTRATIONS_PER_IP_PER_HOUR, 3600)
        tutor_application_details(command.headline, command.subjects)
        user = await create_user(
            deps, actor, email=command.email, password=command.password,
            full_name=command.full_name, role=Role.TUTOR,
        )  # fmt: skip
        async with deps.uow() as uow:  # a taken address: its owner is told, no upload is kept
            owner = await uow.users.get_by_email(user.email)
            if owner is not None:
                await tell_the_owner(deps, uow, owner)
                return
        try:
            await self._register(actor, command, user)
        except EmailTaken:
            return  # a registration of the same address committed first: it is theirs

    async def _register(self, actor: Actor, command: RegisterTutorCommand, user: User) -> None:
        deps = self._deps
        cv, certificate = await store_tutor_documents(deps, command.cv, command.certificate)
        try:
            async with deps.uow() as uow:
                if await uow.users.get_by_email(user.email) is not None:
                    raise EmailTaken(f"{user.email} already has an account")
                await uow.users.add(user)
                application = new_tutor_application(
                    deps, user, command.headline, command.subjects, cv.key, certificate.key
                )
                await uow.tutor_applications.add(application)
                uow.publish(request_verification(deps, user))
                deps.audit(uow, actor, AuditAction.USER_REGISTERED, actor_id=user.id,
                           target_type="user", target_id=user.id, role=user.role.value)  # fmt: skip
                deps.audit(uow, actor, AuditAction.TUTOR_APPLIED, actor_id=user.id,
                           target_type="tutor_application", target_id=application.id)  # fmt: skip
                await uow.commit()
        except BaseException:
            await delete_quietly(deps.storage, cv.key)
            await delete_quietly(deps.storage, certificate.key)
            raise
