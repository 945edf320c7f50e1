"""Two-factor sign-in: set-up, confirmation with recovery codes, the second-factor check, and
turning it off."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest
from tests.fakes import (
    DEFAULT_PASSWORD,
    FakeRateLimiter,
    FakeSecretTokens,
    FakeTotp,
    FakeUnitOfWork,
    FixedClock,
    make_identity_deps,
    make_user,
)

from elearn.application.actor import Actor
from elearn.application.errors import InvalidInput, NotAuthenticated, RateLimited
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import IdentityPolicy
from elearn.application.identity.two_factor import (
    RECOVERY_CODE_COUNT,
    ConfirmTwoFactor,
    ConfirmTwoFactorCommand,
    DisableTwoFactor,
    DisableTwoFactorCommand,
    SetUpTwoFactor,
    verify_second_factor,
)
from elearn.domain.identity.user import TwoFactorCodeRejected, User
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import IllegalTransition

SECRET = "FAKETOTPSECRET9999"
RECOVERY = ("abcde-fghij", "klmno-pqrst")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def totp(clock: FixedClock) -> FakeTotp:
    return FakeTotp(clock)


@pytest.fixture
def secrets() -> FakeSecretTokens:
    return FakeSecretTokens()


@pytest.fixture
def deps(
    uow: FakeUnitOfWork, clock: FixedClock, totp: FakeTotp, secrets: FakeSecretTokens
) -> IdentityDeps:
    return make_identity_deps(uow=uow, clock=clock, totp=totp, secrets=secrets)


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, email_verified=True)


def user_with_2fa(secrets: FakeSecretTokens) -> User:
    return make_user(
        totp_secret=SECRET,
        totp_enabled=True,
        recovery_code_hashes=tuple(secrets.hash(code) for code in RECOVERY),
    )


# ---- set-up and confirmation -----------------------------------------------------------------
async def test_set_up_gives_a_secret_to_scan_that_is_not_yet_in_force(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = make_user()
    uow.seed(user)

    setup = await SetUpTwoFactor(deps)(actor_of(user))

    stored = uow.stored_user(user.id)
    assert stored.totp_secret == setup.secret
    assert not stored.totp_enabled
    assert setup.provisioning_uri.startswith("otpauth://totp/")
    assert "elearn" in setup.provisioning_uri and "ada%40example.com" in setup.provisioning_uri
    assert setup.secret in setup.provisioning_uri


async def test_setting_up_again_replaces_an_unconfirmed_secret(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = make_user()
    uow.seed(user)
    first = await SetUpTwoFactor(deps)(actor_of(user))

    second = await SetUpTwoFactor(deps)(actor_of(user))

    assert second.secret != first.secret
    assert uow.stored_user(user.id).totp_secret == second.secret


async def test_set_up_is_refused_while_two_factor_is_on(
    deps: IdentityDeps, uow: FakeUnitOfWork, secrets: FakeSecretTokens
) -> None:
    user = user_with_2fa(secrets)
    uow.seed(user)

    with pytest.raises(IllegalTransition):
        await SetUpTwoFactor(deps)(actor_of(user))

    assert uow.stored_user(user.id).totp_secret == SECRET


async def test_confirming_turns_it_on_and_shows_ten_recovery_codes_once(
    deps: IdentityDeps, uow: FakeUnitOfWork, totp: FakeTotp, secrets: FakeSecretTokens
) -> None:
    user = make_user()
    uow.seed(user)
    setup = await SetUpTwoFactor(deps)(actor_of(user))

    result = await ConfirmTwoFactor(deps)(
        actor_of(user), ConfirmTwoFactorCommand(totp.code(setup.secret))
    )

    assert len(result.codes) == RECOVERY_CODE_COUNT == len(set(result.codes))
    assert all(re.fullmatch(r"[a-z2-7]{5}-[a-z2-7]{5}", code) for code in result.codes)
    stored = uow.stored_user(user.id)
    assert stored.totp_enabled
    assert stored.recovery_code_hashes == tuple(secrets.hash(code) for code in result.codes)
    assert not set(result.codes) & set(stored.recovery_code_hashes)
    (entry,) = uow.audit.entries
    assert entry.action is AuditAction.TWO_FACTOR_ENABLED and entry.target_id == user.id


async def test_a_code_one_step_old_still_confirms(
    deps: IdentityDeps, uow: FakeUnitOfWork, totp: FakeTotp, clock: FixedClock
) -> None:
    user = make_user()
    uow.seed(user)
    setup = await SetUpTwoFactor(deps)(actor_of(user))
    code = totp.code(setup.secret)
    clock.advance(timedelta(seconds=30))

    await ConfirmTwoFactor(deps)(actor_of(user), ConfirmTwoFactorCommand(code))

    assert uow.stored_user(user.id).totp_enabled


async def test_a_wrong_code_does_not_confirm(
    deps: IdentityDeps, uow: FakeUnitOfWork, totp: FakeTotp
) -> None:
    user = make_user()
    uow.seed(user)
    setup = await SetUpTwoFactor(deps)(actor_of(user))
    wrong = f"{(int(totp.code(setup.secret)) + 500) % 1_000_000:06d}"

    with pytest.raises(TwoFactorCodeRejected):
        await ConfirmTwoFactor(deps)(actor_of(user), ConfirmTwoFactorCommand(wrong))

    assert not uow.stored_user(user.id).totp_enabled
    assert uow.audit.entries == []


async def test_confirming_without_set_up_is_refused(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = make_user()
    uow.seed(user)

    with pytest.raises(IllegalTransition):
        await ConfirmTwoFactor(deps)(actor_of(user), ConfirmTwoFactorCommand("123456"))


async def test_anonymous_callers_are_refused(deps: IdentityDeps) -> None:
    anonymous = Actor.anonymous()
    with pytest.raises(NotAuthenticated):
        await SetUpTwoFactor(deps)(anonymous)
    with pytest.raises(NotAuthenticated):
        await ConfirmTwoFactor(deps)(anonymous, ConfirmTwoFactorCommand("123456"))
    with pytest.raises(NotAuthenticated):
        await DisableTwoFactor(deps)(anonymous, DisableTwoFactorCommand(DEFAULT_PASSWORD, "123456"))


# ---- verify_second_factor --------------------------------------------------------------------
def test_an_authenticator_code_works_once(
    deps: IdentityDeps, totp: FakeTotp, secrets: FakeSecretTokens, clock: FixedClock
) -> None:
    user = user_with_2fa(secrets)
    code = totp.code(SECRET)

    assert verify_second_factor(deps, user, f" {code[:3]} {code[3:]} ", clock.now()) == "totp"
    with pytest.raises(TwoFactorCodeRejected):
        verify_second_factor(deps, user, code, clock.now())


def test_an_older_code_after_a_newer_one_is_a_replay(
    deps: IdentityDeps, totp: FakeTotp, secrets: FakeSecretTokens, clock: FixedClock
) -> None:
    user = user_with_2fa(secrets)
    older = totp.code(SECRET)
    clock.advance(timedelta(seconds=30))
    verify_second_factor(deps, user, totp.code(SECRET), clock.now())

    with pytest.raises(TwoFactorCodeRejected):
        verify_second_factor(deps, user, older, clock.now())


def test_a_code_from_too_long_ago_is_refused(
    deps: IdentityDeps, totp: FakeTotp, secrets: FakeSecretTokens, clock: FixedClock
) -> None:
    user = user_with_2fa(secrets)
    code = totp.code(SECRET)
    clock.advance(timedelta(seconds=90))

    with pytest.raises(TwoFactorCodeRejected):
        verify_second_factor(deps, user, code, clock.now())


@pytest.mark.parametrize("typed", ["abcde-fghij", "ABCDE-FGHIJ", "abcdefghij", " abcde fghij "])
def test_a_recovery_code_works_once_however_it_is_typed(
    typed: str, deps: IdentityDeps, secrets: FakeSecretTokens, clock: FixedClock
) -> None:
    user = user_with_2fa(secrets)

    assert verify_second_factor(deps, user, typed, clock.now()) == "recovery_code"
    assert user.recovery_code_hashes == (secrets.hash(RECOVERY[1]),)
    with pytest.raises(TwoFactorCodeRejected):
        verify_second_factor(deps, user, RECOVERY[0], clock.now())


@pytest.mark.parametrize("code", [None, "", "   "])
def test_a_missing_code_is_asked_for(
    code: str | None, deps: IdentityDeps, secrets: FakeSecretTokens, clock: FixedClock
) -> None:
    with pytest.raises(TwoFactorCodeRejected) as caught:
        verify_second_factor(deps, user_with_2fa(secrets), code, clock.now())

    assert caught.value.message == "a one-time code is required"


@pytest.mark.parametrize("code", ["zzzzz-zzzzz", "12345", "not a code at all", "abcde-fghi!"])
def test_a_wrong_code_is_rejected(
    code: str, deps: IdentityDeps, secrets: FakeSecretTokens, clock: FixedClock
) -> None:
    user = user_with_2fa(secrets)

    with pytest.raises(TwoFactorCodeRejected):
        verify_second_factor(deps, user, code, clock.now())

    assert len(user.recovery_code_hashes) == 2


def test_a_user_without_two_factor_has_no_code_to_check(
    deps: IdentityDeps, clock: FixedClock
) -> None:
    with pytest.raises(IllegalTransition):
        verify_second_factor(deps, make_user(), "123456", clock.now())


# ---- turning it off --------------------------------------------------------------------------
async def test_password_and_a_current_code_turn_it_off(
    deps: IdentityDeps, uow: FakeUnitOfWork, totp: FakeTotp, secrets: FakeSecretTokens
) -> None:
    user = user_with_2fa(secrets)
    uow.seed(user)

    await DisableTwoFactor(deps)(
        actor_of(user), DisableTwoFactorCommand(DEFAULT_PASSWORD, totp.code(SECRET))
    )

    stored = uow.stored_user(user.id)
    assert not stored.totp_enabled
    assert stored.totp_secret is None and stored.recovery_code_hashes == ()
    (entry,) = uow.audit.entries
    assert entry.action is AuditAction.TWO_FACTOR_DISABLED
    assert entry.details == {"method": "totp"}


async def test_a_recovery_code_may_stand_in_for_the_authenticator(
    deps: IdentityDeps, uow: FakeUnitOfWork, secrets: FakeSecretTokens
) -> None:
    user = user_with_2fa(secrets)
    uow.seed(user)

    await DisableTwoFactor(deps)(
        actor_of(user), DisableTwoFactorCommand(DEFAULT_PASSWORD, RECOVERY[1])
    )

    assert not uow.stored_user(user.id).totp_enabled
    assert uow.audit.entries[0].details == {"method": "recovery_code"}


async def test_a_wrong_password_keeps_it_on(
    deps: IdentityDeps, uow: FakeUnitOfWork, totp: FakeTotp, secrets: FakeSecretTokens
) -> None:
    user = user_with_2fa(secrets)
    uow.seed(user)

    with pytest.raises(InvalidInput) as caught:
        await DisableTwoFactor(deps)(
            actor_of(user), DisableTwoFactorCommand("wrong password", totp.code(SECRET))
        )

    assert [error.field for error in caught.value.errors] == ["password"]
    assert uow.stored_user(user.id).totp_enabled
    assert uow.audit.entries == []


async def test_a_wrong_code_keeps_it_on(
    deps: IdentityDeps, uow: FakeUnitOfWork, secrets: FakeSecretTokens
) -> None:
    user = user_with_2fa(secrets)
    uow.seed(user)

    with pytest.raises(TwoFactorCodeRejected):
        await DisableTwoFactor(deps)(
            actor_of(user), DisableTwoFactorCommand(DEFAULT_PASSWORD, "zzzzz-zzzzz")
        )

    assert uow.stored_user(user.id).totp_enabled


async def test_turning_off_what_is_off_is_refused(deps: IdentityDeps, uow: FakeUnitOfWork) -> None:
    user = make_user()
    uow.seed(user)

    with pytest.raises(IllegalTransition):
        await DisableTwoFactor(deps)(
            actor_of(user), DisableTwoFactorCommand(DEFAULT_PASSWORD, "123456")
        )


async def test_attempts_to_turn_it_off_are_limited(
    uow: FakeUnitOfWork, clock: FixedClock, secrets: FakeSecretTokens
) -> None:
    deps = make_identity_deps(
        uow=uow,
        clock=clock,
        secrets=secrets,
        rate_limiter=FakeRateLimiter(clock),
        policy=replace(IdentityPolicy(), login_attempts_per_account=2),
    )
    user = user_with_2fa(secrets)
    uow.seed(user)
    disable = DisableTwoFactor(deps)
    for _ in range(2):
        with pytest.raises(InvalidInput):
            await disable(actor_of(user), DisableTwoFactorCommand("guess", "123456"))

    with pytest.raises(RateLimited) as caught:
        await disable(actor_of(user), DisableTwoFactorCommand(DEFAULT_PASSWORD, RECOVERY[0]))

    assert caught.value.retry_after_seconds > 0
    assert uow.stored_user(user.id).totp_enabled


async def test_the_code_that_confirmed_cannot_be_replayed_to_turn_it_off(
    deps: IdentityDeps, uow: FakeUnitOfWork, totp: FakeTotp, clock: FixedClock
) -> None:
    user = make_user(user_id=UUID(int=42))
    uow.seed(user)
    setup = await SetUpTwoFactor(deps)(actor_of(user))
    code = totp.code(setup.secret)
    await ConfirmTwoFactor(deps)(actor_of(user), ConfirmTwoFactorCommand(code))
    disable = DisableTwoFactor(deps)

    with pytest.raises(TwoFactorCodeRejected):
        await disable(actor_of(user), DisableTwoFactorCommand(DEFAULT_PASSWORD, code))

    clock.advance(timedelta(seconds=30))
    await disable(
        actor_of(user), DisableTwoFactorCommand(DEFAULT_PASSWORD, totp.code(setup.secret))
    )
    assert not uow.stored_user(user.id).totp_enabled
    assert uow.audit.actions == [AuditAction.TWO_FACTOR_ENABLED, AuditAction.TWO_FACTOR_DISABLED]
