"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and single-use recovery codes."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from elearn.application.actor import Actor
from elearn.application.errors import FieldError, InvalidInput, NotAuthenticated
from elearn.application.identity.account import current_user, limit_password_checks
from elearn.application.identity.deps import IdentityDeps
from elearn.domain.identity.user import TwoFactorCodeRejected, User
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import IllegalTransition

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10  # characters, shown as two groups of five: "abcde-fghij"
_RECOVERY_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")  # base32, lower case

SecondFactor = Literal["totp", "recovery_code"]


# ---- recovery codes --------------------------------------------------------------------------
def _new_recovery_code(deps: IdentityDeps) -> str:
    # Derived from a fresh 256-bit secret, whatever its alphabet: 50 random bits, in letters
    # and digits that are easy to read and to type.
    while True:
        digest = hashlib.sha256(deps.secrets.new().encode()).digest()
        compact = base64.b32encode(digest).decode("ascii").lower()[:RECOVERY_CODE_LENGTH]
        if not compact.isdigit():  # an all-digit code would be read as an authenticator code
            return f"{compact[:5]}-{compact[5:]}"


def _new_recovery_codes(deps: IdentityDeps) -> tuple[str, ...]:
    codes: dict[str, None] = {}
    while len(codes) < RECOVERY_CODE_COUNT:
        codes[_new_recovery_code(deps)] = None
    return tuple(codes)


def _canonical_recovery_code(code: str) -> str | None:
    """``ABCDE-FGHIJ``, ``abcde fghij`` and ``abcdefghij`` are the same code."""
    compact = "".join(code.split()).replace("-", "").lower()
    if len(compact) != RECOVERY_CODE_LENGTH or not set(compact) <= _RECOVERY_ALPHABET:
        return None
    return f"{compact[:5]}-{compact[5:]}"


def verify_second_factor(
    deps: IdentityDeps, user: User, code: str | None, now: datetime
) -> SecondFactor:
    """Accepts an authenticator code not used before or an unused recovery code, and marks it
    used on ``user`` (the caller commits); says which it was. Auditing a recovery code is the
    caller's job. Raises TwoFactorCodeRejected."""
    if not user.totp_enabled or user.totp_secret is None:
        raise IllegalTransition("two-factor sign-in", "disabled", "check a code of")
    compact = "".join((code or "").split())
    if not compact:
        raise TwoFactorCodeRejected("a one-time code is required")
    if compact.isascii() and compact.isdigit():
        step = deps.totp.matching_step(user.totp_secret, compact, now)
        if step is None:
            raise TwoFactorCodeRejected()
        user.accept_totp_step(step)  # refuses a replayed code
        return "totp"
    canonical = _canonical_recovery_code(compact)
    if canonical is None:
        raise TwoFactorCodeRejected()
    user.use_recovery_code(deps.secrets.hash(canonical))
    return "recovery_code"


# ---- use cases -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TwoFactorSetup:
    """Shown once, to be scanned (``provisioning_uri`` as a QR code) or typed (``secret``)."""

    secret: str
    provisioning_uri: str


class SetUpTwoFactor:
    """A signed-in user without two-factor sign-in gets a new authenticator secret; it takes
    effect only once a code from it is confirmed, and a new set-up replaces an unconfirmed one."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> TwoFactorSetup:
        deps = self._deps
        async with deps.uow() as uow:
            user = await current_user(uow, actor, for_update=True)
            secret = deps.totp.new_secret()
            user.begin_totp_setup(secret)
            await uow.commit()
        uri = deps.totp.provisioning_uri(secret, user.email.value, deps.policy.app_name)
        return TwoFactorSetup(secret=secret, provisioning_uri=uri)


@dataclass(frozen=True, slots=True)
class ConfirmTwoFactorCommand:
    code: str


@dataclass(frozen=True, slots=True)
class RecoveryCodes:
    """Shown once: only their hashes are kept."""

    codes: tuple[str, ...]


class ConfirmTwoFactor:
    """A current code from the authenticator turns two-factor sign-in on and returns ten
    single-use recovery codes, shown this once."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ConfirmTwoFactorCommand) -> RecoveryCodes:
        deps = self._deps
        async with deps.uow() as uow:
            user = await current_user(uow, actor, for_update=True)
            if user.totp_enabled or user.totp_secret is None:
                state = "enabled" if user.totp_enabled else "not set up"
                raise IllegalTransition("two-factor sign-in", state, "confirm")
            code = "".join(command.code.split())
            step = deps.totp.matching_step(user.totp_secret, code, deps.clock.now())
            if step is None:
                raise TwoFactorCodeRejected()
            codes = _new_recovery_codes(deps)
            user.enable_totp(step, tuple(deps.secrets.hash(each) for each in codes))
            deps.audit(
                uow, actor, AuditAction.TWO_FACTOR_ENABLED, target_type="user", target_id=user.id
            )
            await uow.commit()
        return RecoveryCodes(codes)


@dataclass(frozen=True, slots=True)
class DisableTwoFactorCommand:
    password: str
    code: str


class DisableTwoFactor:
    """Two-factor sign-in is turned off only with the account's password and a current
    authenticator code or an unused recovery code; attempts are limited."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: DisableTwoFactorCommand) -> None:
        deps = self._deps
        if actor.user_id is None:
            raise NotAuthenticated("sign in first")
        limit_key = await limit_password_checks(deps, "2fa-disable", actor.user_id)
        async with deps.uow() as uow:
            user = await current_user(uow, actor, for_update=True)
            if not user.totp_enabled:
                raise IllegalTransition("two-factor sign-in", "disabled", "disable")
            if not await deps.hasher.verify(user.password_hash, command.password):
                raise InvalidInput(
                    "the password is wrong",
                    errors=[FieldError("password", "does not match your password")],
                )
            method = verify_second_factor(deps, user, command.code, deps.clock.now())
            user.disable_totp()
            deps.audit(
                uow,
                actor,
                AuditAction.TWO_FACTOR_DISABLED,
                target_type="user",
                target_id=user.id,
                method=method,
            )
            await uow.commit()
        await deps.rate_limiter.reset(limit_key)
