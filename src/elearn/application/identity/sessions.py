"""Signing in and out: access tokens (JWT) and rotating refresh tokens."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.errors import NotAuthenticated, PermissionDenied
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import (
    DeviceClaims,
    IdentityUnitOfWork,
    InvalidAccessToken,
    LoginCredentials,
)
from elearn.application.identity.session_accounts import SessionAccounts
from elearn.application.identity.throttling import SignInThrottle
from elearn.application.identity.two_factor import verify_second_factor
from elearn.application.ports import IdGenerator
from elearn.domain.identity.email import EmailAddress, InvalidEmail
from elearn.domain.identity.tokens import RefreshFamily, RotationOutcome, SessionRevoked
from elearn.domain.identity.user import AccountStatus, TwoFactorCodeRejected, User
from elearn.domain.shared.audit import AuditAction


class InvalidCredentials(NotAuthenticated):
    code = "invalid-credentials"

    def __init__(self) -> None:
        super().__init__("the email or password is wrong")


class OneTimeCodeNeeded(NotAuthenticated):
    code = "otp-required"


class SessionEnded(NotAuthenticated):
    code = "invalid-refresh-token"

    def __init__(self) -> None:
        super().__init__("this session has ended; sign in again")


class NotYourSession(PermissionDenied):
    code = "not-your-session"

    def __init__(self) -> None:
        super().__init__("this refresh token is not of a session of yours")


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    # Given by a sign-in with the password: the client presents it on later sign-ins so that
    # strangers' wrong guesses do not hold it back (see throttling.py).
    device_token: str | None = None


@dataclass(frozen=True, slots=True)
class LoginCommand:
    email: str
    password: str
    otp: str | None = None
    device_token: str | None = None


def _refresh_token(family_id: UUID, secret: str) -> str:
    return f"{family_id.hex}.{secret}"


def _parse_refresh_token(token: str) -> tuple[UUID, str] | None:
    family, _, secret = token.partition(".")
    if not secret or len(family) != 32 or len(token) > 200:
        return None
    try:
        return UUID(hex=family), secret
    except ValueError:
        return None


async def open_session(deps: IdentityDeps, uow: IdentityUnitOfWork, user: User) -> Session:
    """A new refresh family and an access token, in the caller's transaction."""
    now = deps.clock.now()
    secret = deps.secrets.new()
    family = RefreshFamily.start(
        family_id=deps.ids.new_id(),
        user_id=user.id,
        token_hash=deps.secrets.hash(secret),
        now=now,
        absolute_lifetime=timedelta(days=deps.policy.refresh_absolute_days),
        idle_lifetime=timedelta(days=deps.policy.refresh_idle_days),
    )
    await uow.refresh_families.add(family)
    access = deps.access_tokens.issue(
        user.id, user.role, user.session_issue_time(now), session_id=family.id
    )
    return Session(access.token, _refresh_token(family.id, secret), access.expires_in_seconds)


def announce_session_ended(
    ids: IdGenerator, now: datetime, uow: IdentityUnitOfWork, family: RefreshFamily
) -> None:
    """Tells the other contexts, through the outbox, that a sign-in has just ended (what they
    hold for it ends too: open sockets, push subscriptions)."""
    uow.publish(
        SessionRevoked(
            event_id=ids.new_id(),
            occurred_at=now,
            user_id=family.user_id,
            session_id=family.id,
            reason=family.revoked_reason or "",
        )
    )


async def end_all_sessions(
    deps: IdentityDeps, uow: IdentityUnitOfWork, user: User, reason: str
) -> None:
    """Every refresh family of the user is revoked; access tokens die by the user's
    ``sessions_valid_after``, which the domain method that called for this has moved."""
    now = deps.clock.now()
    for family in await uow.refresh_families.active_for_user(user.id):
        family.revoke(now, reason)
        announce_session_ended(deps.ids, now, uow, family)


async def refuse_access_tokens_of(deps: IdentityDeps, session_ids: Iterable[UUID]) -> None:
    """Access tokens of ended sessions are refused from now on, not when they expire: the
    deny-list keeps each session for one access-token lifetime, the most any of its tokens has
    left. Called after the commit that ended them (a rolled-back end refuses nothing). Ending
    all of a user's sessions needs no entry: ``sessions_valid_after`` does that."""
    until = deps.clock.now() + timedelta(seconds=deps.policy.access_token_seconds)
    for session_id in session_ids:
        await deps.revoked_tokens.revoke(session_id.hex, until)


class Login:
    """Email and password (and a one-time code when two-factor sign-in is on) open a session
    and give the client a device token. Every failure answers the same, in about the same time;
    attempts are throttled so that strangers cannot lock out the owner's known devices
    (``SignInThrottle``)."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps
        self._throttle = SignInThrottle(deps.rate_limiter, deps.policy)

    async def __call__(self, actor: Actor, command: LoginCommand) -> Session:
        deps = self._deps
        try:
            email: EmailAddress | None = EmailAddress(command.email)
        except InvalidEmail:
            email = None
        credentials = await deps.queries.login_credentials(email) if email else None
        admission = await self._throttle.admit(
            account=email.value if email else command.email[:254].lower(),
            ip=actor.ip,
            device=self._known_device(command.device_token, credentials),
        )
        try:
            session = await self._sign_in(actor, command, credentials)
        except InvalidCredentials:
            await self._throttle.failed(admission)
            raise
        except Exception:
            await self._throttle.not_a_guess(admission)
            raise
        await self._throttle.not_a_guess(admission)
        return session

    def _known_device(
        self, token: str | None, credentials: LoginCredentials | None
    ) -> DeviceClaims | None:
        """The device token's claims when it verifies, was given for this very account and
        since its sessions last all ended: a password reset or change forgets every device, so
        one a thief signed in from (or kept the token of) is a stranger again."""
        if not token or credentials is None:
            return None
        claims = self._deps.device_tokens.verify(token, self._deps.clock.now())
        if claims is None or claims.user_id != credentials.user_id:
            return None
        cut = credentials.sessions_valid_after
        return claims if cut is None or claims.issued_at >= cut else None

    async def _sign_in(
        self, actor: Actor, command: LoginCommand, credentials: LoginCredentials | None
    ) -> Session:
        deps = self._deps
        # The password is checked before the write transaction: hashing takes tens of
        # milliseconds, and on SQLite every write would queue behind it.
        if credentials is None:
            await deps.hasher.verify_dummy(command.password)
            password_ok = False
        else:
            password_ok = await deps.hasher.verify(credentials.password_hash, command.password)
        upgraded_hash = None
        if password_ok and credentials and deps.hasher.needs_rehash(credentials.password_hash):
            upgraded_hash = await deps.hasher.hash(command.password)

        async with deps.uow() as uow:
            user = (
                await uow.users.get(credentials.user_id, for_update=True) if credentials else None
            )
            if user is None:
                await self._fail(uow, actor, None, "unknown_email")
            assert user is not None and credentials is not None
            # A password changed between the check and now counts as wrong: sign in again.
            if not password_ok or user.password_hash != credentials.password_hash:
                await self._fail(uow, actor, user, "wrong_password")
            if not user.is_active:
                await self._fail(uow, actor, user, "suspended")
            if user.totp_enabled:
                try:
                    method = verify_second_factor(deps, user, command.otp, deps.clock.now())
                except TwoFactorCodeRejected as rejected:
                    if command.otp:
                        await self._fail(uow, actor, user, "wrong_otp")
                    raise OneTimeCodeNeeded(rejected.message) from None
                if method == "recovery_code":
                    deps.audit(uow, actor, AuditAction.RECOVERY_CODE_USED, actor_id=user.id,
                               target_type="user", target_id=user.id)  # fmt: skip
            if upgraded_hash is not None:
                user.upgrade_password_hash(upgraded_hash)
            session = await open_session(deps, uow, user)
            deps.audit(uow, actor, AuditAction.LOGIN_SUCCEEDED, actor_id=user.id,
                       target_type="user", target_id=user.id)  # fmt: skip
            await uow.commit()
        # Dated like the session's tokens, never before the last cut, so a device signed in
        # within the second of a password change is known afterwards.
        issued = user.session_issue_time(deps.clock.now())
        return dataclasses.replace(session, device_token=deps.device_tokens.issue(user.id, issued))

    async def _fail(
        self, uow: IdentityUnitOfWork, actor: Actor, user: User | None, reason: str
    ) -> None:
        """Records the failed attempt (nothing else has changed) and refuses."""
        self._deps.audit(
            uow, actor, AuditAction.LOGIN_FAILED,
            actor_id=user.id if user else None,
            target_type="user" if user else None,
            target_id=user.id if user else None,
            reason=reason,
        )  # fmt: skip
        await uow.commit()
        raise InvalidCredentials()


@dataclass(frozen=True, slots=True)
class RefreshCommand:
    refresh_token: str


class RefreshSession:
    """A refresh token buys a new pair once; the old one stops working. Presenting a token that
    was already rotated means it leaked: the whole session family is revoked."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: RefreshCommand) -> Session:
        deps = self._deps
        parsed = _parse_refresh_token(command.refresh_token)
        if parsed is None:
            raise SessionEnded()
        family_id, secret = parsed
        now = deps.clock.now()
        async with deps.uow() as uow:
            family = await uow.refresh_families.get(family_id, for_update=True)
            if family is None:
                raise SessionEnded()
            user = await uow.users.get(family.user_id)
            if user is None or not user.is_active:
                if not family.is_revoked:
                    family.revoke(now, "account_inactive")
                    announce_session_ended(deps.ids, now, uow, family)
                await uow.commit()
                raise SessionEnded()
            new_secret = deps.secrets.new()
            idle = timedelta(days=deps.policy.refresh_idle_days)
            outcome = family.rotate(
                deps.secrets.hash(secret), deps.secrets.hash(new_secret), now, idle
            )
            if outcome is not RotationOutcome.ROTATED:
                if outcome is RotationOutcome.REUSE_DETECTED:
                    deps.audit(uow, actor, AuditAction.REFRESH_REUSE_DETECTED, actor_id=user.id,
                               target_type="session", target_id=family.id)  # fmt: skip
                    announce_session_ended(deps.ids, now, uow, family)
                await uow.commit()
                if outcome is RotationOutcome.REUSE_DETECTED:
                    # Whoever holds the newest access token may be the thief: it stops too.
                    await refuse_access_tokens_of(deps, [family.id])
                raise SessionEnded()
            access = deps.access_tokens.issue(
                user.id, user.role, user.session_issue_time(now), session_id=family.id
            )
            await uow.commit()
        return Session(
            access.token, _refresh_token(family.id, new_secret), access.expires_in_seconds
        )


@dataclass(frozen=True, slots=True)
class LogoutCommand:
    refresh_token: str


class Logout:
    """Ends the session a refresh token belongs to, with every access token of it. Signed in,
    the session must be one of your own; anonymously, the token must be the session's current
    one (holding it is holding the session). Anything else is refused and nothing ends."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: LogoutCommand) -> None:
        deps = self._deps
        parsed = _parse_refresh_token(command.refresh_token)
        if parsed is None:
            raise SessionEnded()
        family_id, secret = parsed
        async with deps.uow() as uow:
            family = await uow.refresh_families.get(family_id, for_update=True)
            if family is None:
                raise SessionEnded()
            if actor.is_authenticated:
                if family.user_id != actor.user_id:
                    raise NotYourSession()
            elif family.current_hash != deps.secrets.hash(secret):
                raise SessionEnded()
            if not family.is_revoked:
                family.revoke(deps.clock.now(), "logout")
                announce_session_ended(deps.ids, deps.clock.now(), uow, family)
                deps.audit(uow, actor, AuditAction.LOGOUT, actor_id=family.user_id,
                           target_type="session", target_id=family.id)  # fmt: skip
            await uow.commit()
        await refuse_access_tokens_of(deps, [family.id])


class Authenticate:
    """Turns a bearer token into the actor of a request: the token must verify, its session
    must not have ended, and it must belong to an active account whose sessions it did not
    outlive; role and verification are the account's, not the token's. One lookup in the
    revocation store per request (the session and the account's generation); the account is
    read from the database only when this process does not hold it under that generation."""

    def __init__(self, deps: IdentityDeps, accounts: SessionAccounts) -> None:
        self._deps = deps
        self._accounts = accounts

    async def __call__(self, token: str, *, ip: str | None, user_agent: str | None) -> Actor:
        deps = self._deps
        try:
            claims = deps.access_tokens.verify(token, deps.clock.now())
        except InvalidAccessToken:
            raise NotAuthenticated(
                "the access token is invalid or expired", code="invalid-token"
            ) from None
        standing = await deps.revoked_tokens.standing(claims.session_id.hex, claims.user_id.hex)
        if standing.session_revoked:
            raise NotAuthenticated("this session has ended; sign in again", code="invalid-token")
        account = await self._accounts.get(claims.user_id, standing.account_generation)
        if account is None or not account.accepts_sessions_issued_at(claims.issued_at):
            raise NotAuthenticated("this session has ended; sign in again", code="invalid-token")
        return Actor(
            user_id=account.id,
            role=account.role,
            email_verified=account.email_verified,
            ip=ip,
            user_agent=user_agent,
            session_id=claims.session_id,
            two_factor_enabled=account.two_factor_enabled,
        )


class ActorOfSession:
    """The actor of a sign-in that is still open, read afresh (for a connection that outlives
    one request, such as the realtime socket): None when the session was ended (signed out,
    revoked, expired, every session ended by a password change) or the account may no longer
    sign in."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, user_id: UUID, session_id: UUID) -> Actor | None:
        deps = self._deps
        if await deps.revoked_tokens.is_revoked(session_id.hex):
            return None
        async with deps.uow(read_only=True) as uow:
            family = await uow.refresh_families.get(session_id)
        if (
            family is None
            or family.user_id != user_id
            or family.is_revoked
            or family.is_expired(deps.clock.now())
        ):
            return None
        account = await deps.queries.session_account(user_id)
        # Ending every session (password change, suspension) revokes the families or the
        # account; a role change only re-dates access tokens, and the role is read afresh here.
        if account is None or account.status is not AccountStatus.ACTIVE:
            return None
        return Actor(
            user_id=account.id,
            role=account.role,
            email_verified=account.email_verified,
            session_id=session_id,
            two_factor_enabled=account.two_factor_enabled,
        )
