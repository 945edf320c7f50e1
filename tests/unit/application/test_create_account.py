"""CreateAccountByOperator: an admin or the operator creates accounts; one address, one account."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from tests.fakes import (
    FakeCommonPasswords,
    FakePasswordHasher,
    FakeUnitOfWork,
    FixedClock,
    SequentialIds,
)

from elearn.application.actor import Actor
from elearn.application.authorization import Authorizer
from elearn.application.errors import PermissionDenied
from elearn.application.identity.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    CreateAccount,
    CreateAccountByOperator,
    CreateOrPromote,
    FullNameRequired,
    PasswordRequired,
)
from elearn.domain.identity.email import EmailAddress, InvalidEmail
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import RefreshFamily
from elearn.domain.identity.user import EmailTaken, TutorApproval, User, UserRegistered
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import RuleViolation

PASSWORD = "correct horse battery staple"
ADMIN = Actor(user_id=UUID(int=1000), role=Role.ADMIN)
OPEN_AUTHORIZER = Authorizer(staff_two_factor_required=False)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
def create_account(
    uow: FakeUnitOfWork, hasher: FakePasswordHasher, clock: FixedClock
) -> CreateAccountByOperator:
    return CreateAccountByOperator(
        uow, hasher, clock, SequentialIds(), FakeCommonPasswords(), OPEN_AUTHORIZER
    )


def command(**overrides: object) -> CreateAccount:
    values: dict[str, object] = {
        "email": "Tutor@Example.com",
        "password": PASSWORD,
        "full_name": "Grace Hopper",
        "role": Role.TUTOR,
    }
    values.update(overrides)
    return CreateAccount(**values)  # type: ignore[arg-type]


def assert_nothing_changed(uow: FakeUnitOfWork, users_before: int = 0) -> None:
    assert len(uow.committed_users) == users_before
    assert uow.commits == 0
    assert uow.events == []


@pytest.mark.parametrize("actor", [ADMIN, Actor.system()], ids=["admin", "system"])
async def test_an_admin_or_the_operator_creates_a_verified_account(
    actor: Actor, create_account: CreateAccountByOperator, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    user_id = await create_account(actor, command())

    (user,) = uow.stored_users()
    assert user.id == user_id
    assert user.email == EmailAddress("tutor@example.com")
    assert user.full_name == "Grace Hopper"
    assert user.role is Role.TUTOR
    assert user.email_verified_at == clock.now()
    assert user.created_at == clock.now()
    assert uow.commits == 1


async def test_an_unverified_account_can_be_asked_for(
    create_account: CreateAccountByOperator, uow: FakeUnitOfWork
) -> None:
    await create_account(ADMIN, command(email_verified=False))

    (user,) = uow.stored_users()
    assert user.email_verified_at is None


@pytest.mark.parametrize(
    "actor",
    [
        Actor.anonymous(),
        Actor(user_id=UUID(int=7), role=Role.STUDENT),
        Actor(user_id=UUID(int=7), role=Role.TUTOR),
        Actor(user_id=UUID(int=7), role=Role.MANAGER),
    ],
    ids=["anonymous", "student", "tutor", "manager"],
)
async def test_anyone_but_an_admin_is_denied_and_nothing_is_stored(
    actor: Actor,
    create_account: CreateAccountByOperator,
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        await create_account(actor, command(role=Role.ADMIN))

    assert caught.value.code == "permission-denied"
    assert_nothing_changed(uow)
    assert hasher.hashed == 0  # no CPU spent for someone who may not ask


async def test_an_address_taken_in_another_case_is_refused_and_nothing_changes(
    create_account: CreateAccountByOperator, uow: FakeUnitOfWork
) -> None:
    first_id = await create_account(ADMIN, command(email="grace@example.com"))
    events_before = list(uow.events)

    with pytest.raises(EmailTaken) as caught:
        await create_account(ADMIN, command(email="  GRACE@Example.COM ", full_name="Impostor"))

    assert caught.value.code == "email-taken"
    (user,) = uow.stored_users()
    assert user.id == first_id
    assert user.full_name == "Grace Hopper"
    assert uow.commits == 1
    assert uow.events == events_before


@pytest.mark.parametrize(
    "password",
    [
        "",
        "x" * (MIN_PASSWORD_LENGTH - 1),
        "x" * (MAX_PASSWORD_LENGTH + 1),
        " " * MIN_PASSWORD_LENGTH,
    ],
    ids=["empty", "one-too-short", "one-too-long", "only-spaces"],
)
async def test_a_weak_password_is_refused(
    password: str, create_account: CreateAccountByOperator, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(RuleViolation) as caught:
        await create_account(ADMIN, command(password=password))

    assert caught.value.code == "weak-password"
    assert_nothing_changed(uow)


@pytest.mark.parametrize(
    ("email", "password", "problem"),
    [
        ("tutor@example.com", "Password123", "one of the most common passwords"),
        ("tutor@example.com", "QWERTYUIOP", "one of the most common passwords"),
        ("grace.hopper@example.com", "my name is Grace.Hopper", "name of your email address"),
    ],
    ids=["common", "common-other-case", "email-name"],
)
async def test_the_domain_password_policy_applies(
    email: str,
    password: str,
    problem: str,
    create_account: CreateAccountByOperator,
    uow: FakeUnitOfWork,
    hasher: FakePasswordHasher,
) -> None:
    with pytest.raises(RuleViolation) as caught:
        await create_account(ADMIN, command(email=email, password=password))

    assert caught.value.code == "weak-password"
    assert problem in caught.value.message
    assert_nothing_changed(uow)
    assert hasher.hashed == 0


@pytest.mark.parametrize("length", [MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH])
async def test_passwords_at_the_length_limits_are_accepted(
    length: int, create_account: CreateAccountByOperator, uow: FakeUnitOfWork
) -> None:
    await create_account(ADMIN, command(password="p" * length))

    assert len(uow.committed_users) == 1


async def test_the_stored_hash_is_the_hashers_never_the_password(
    create_account: CreateAccountByOperator, uow: FakeUnitOfWork, hasher: FakePasswordHasher
) -> None:
    await create_account(ADMIN, command())

    (user,) = uow.stored_users()
    assert user.password_hash == await hasher.hash(PASSWORD)
    assert PASSWORD not in user.password_hash
    assert await hasher.verify(user.password_hash, PASSWORD)


async def test_the_user_registered_event_is_committed_exactly_once(
    create_account: CreateAccountByOperator, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    user_id = await create_account(ADMIN, command(role=Role.STUDENT))

    assert len(uow.events) == 1
    (event,) = uow.events
    assert isinstance(event, UserRegistered)
    assert event.user_id == user_id
    assert event.email == "tutor@example.com"
    assert event.full_name == "Grace Hopper"
    assert event.role is Role.STUDENT
    assert event.occurred_at == clock.now()
    assert event.event_id != user_id

    await create_account(ADMIN, command(email="other@example.com"))

    assert [e.user_id for e in uow.events if isinstance(e, UserRegistered)].count(user_id) == 1


async def test_an_invalid_email_is_refused_and_nothing_is_stored(
    create_account: CreateAccountByOperator, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidEmail):
        await create_account(ADMIN, command(email="not-an-address"))

    assert_nothing_changed(uow)


async def test_an_invalid_full_name_never_commits(
    create_account: CreateAccountByOperator, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(RuleViolation) as caught:
        await create_account(ADMIN, command(full_name="   "))

    assert caught.value.code == "invalid-full-name"
    assert_nothing_changed(uow)


async def test_an_address_taken_by_a_user_stored_earlier_is_refused() -> None:
    clock = FixedClock()
    existing = User.register(
        user_id=UUID(int=500),
        event_id=UUID(int=501),
        email=EmailAddress("ada@example.com"),
        full_name="Ada",
        role=Role.ADMIN,
        password_hash="h",
        now=clock.now(),
    )
    uow = FakeUnitOfWork(users=[existing])
    create_account = CreateAccountByOperator(
        uow, FakePasswordHasher(), clock, SequentialIds(), FakeCommonPasswords(), OPEN_AUTHORIZER
    )

    with pytest.raises(EmailTaken):
        await create_account(ADMIN, command(email="ADA@example.com"))

    assert_nothing_changed(uow, users_before=1)


# ---- create or promote -----------------------------------------------------------------------
OLD_HASH = FakePasswordHasher.hash_of("the student's own password")


def existing_user(role: Role = Role.STUDENT, *, verified: bool = False, user_id: int = 500) -> User:
    return User.register(
        user_id=UUID(int=user_id),
        event_id=UUID(int=user_id + 1),
        email=EmailAddress("sam@example.com"),
        full_name="Sam Student",
        role=role,
        password_hash=OLD_HASH,
        now=FixedClock().now() - timedelta(days=30),
        email_verified=verified,
    )


def family(user_id: UUID, number: int, *, revoked: bool = False) -> RefreshFamily:
    started = FixedClock().now() - timedelta(days=1)
    result = RefreshFamily.start(
        family_id=UUID(int=900 + number),
        user_id=user_id,
        token_hash=f"hash-{number}",
        now=started,
        absolute_lifetime=timedelta(days=30),
        idle_lifetime=timedelta(days=7),
    )
    if revoked:
        result.revoke(started, "logout")
    return result


def promote(**overrides: object) -> CreateOrPromote:
    values: dict[str, object] = {"email": "SAM@example.com", "role": Role.ADMIN}
    values.update(overrides)
    return CreateOrPromote(**values)  # type: ignore[arg-type]


def operator(
    uow: FakeUnitOfWork, hasher: FakePasswordHasher | None = None
) -> CreateAccountByOperator:
    return CreateAccountByOperator(
        uow,
        hasher or FakePasswordHasher(),
        FixedClock(),
        SequentialIds(),
        FakeCommonPasswords(),
        OPEN_AUTHORIZER,
    )


async def test_an_existing_student_is_promoted_verified_and_signed_out_keeping_the_password() -> (
    None
):
    student = existing_user()
    other_user = UUID(int=777)
    uow = FakeUnitOfWork(
        [student],
        family(student.id, 1),
        family(student.id, 2),
        family(student.id, 3, revoked=True),
        family(other_user, 4),
    )
    hasher = FakePasswordHasher()
    now = FixedClock().now()

    outcome = await operator(uow, hasher).create_or_promote(
        Actor.system(), promote(password="ignored when promoting", full_name="Ignored")
    )

    assert outcome.user_id == student.id
    assert not outcome.created
    assert outcome.previous_role is Role.STUDENT
    assert outcome.role_changed and outcome.email_verified_now and outcome.changed
    assert outcome.sessions_ended == 2
    stored = uow.stored_user(student.id)
    assert stored.role is Role.ADMIN
    assert stored.email_verified_at == now
    assert stored.password_hash == OLD_HASH
    assert stored.full_name == "Sam Student"
    # The next whole second: every access token issued until now (dated in seconds) is refused.
    assert stored.sessions_valid_after == now.replace(microsecond=0) + timedelta(seconds=1)
    assert hasher.hashed == 0
    families = {f.id.int - 900: f for f in uow.stored_families()}
    assert families[1].revoked_at == now and families[1].revoked_reason == "role_changed"
    assert families[2].revoked_at == now
    assert families[3].revoked_reason == "logout"  # revoked before: untouched
    assert families[4].revoked_at is None  # somebody else's session
    assert uow.commits == 1
    assert [e for e in uow.events if isinstance(e, UserRegistered)] == []
    (role_changed,) = uow.audit.of(AuditAction.ROLE_CHANGED)
    assert role_changed.target_id == student.id
    assert role_changed.target_type == "user"
    assert role_changed.actor_id is None  # the operator at the command line
    assert role_changed.details == {"from": "student", "to": "admin"}
    assert role_changed.at == now
    (verified,) = uow.audit.of(AuditAction.EMAIL_VERIFIED)
    assert verified.target_id == student.id


async def test_promoting_an_admin_with_a_verified_email_changes_nothing() -> None:
    admin = existing_user(Role.ADMIN, verified=True)
    uow = FakeUnitOfWork([admin], family(admin.id, 1))

    outcome = await operator(uow).create_or_promote(Actor.system(), promote())

    assert outcome.user_id == admin.id
    assert not outcome.changed
    assert outcome.sessions_ended == 0
    assert uow.commits == 0
    assert uow.audit.entries == []
    assert uow.stored_families()[0].revoked_at is None
    assert uow.stored_user(admin.id).sessions_valid_after is None


async def test_an_unverified_admin_is_only_verified_and_keeps_its_sessions() -> None:
    admin = existing_user(Role.ADMIN, verified=False)
    uow = FakeUnitOfWork([admin], family(admin.id, 1))

    outcome = await operator(uow).create_or_promote(Actor.system(), promote())

    assert outcome.email_verified_now and not outcome.role_changed
    assert uow.stored_user(admin.id).email_verified_at == FixedClock().now()
    assert uow.stored_families()[0].revoked_at is None
    assert uow.audit.actions == [AuditAction.EMAIL_VERIFIED]


async def test_promoting_a_tutor_to_admin_keeps_the_tutor_approval_record() -> None:
    tutor = existing_user(Role.TUTOR, verified=True)
    uow = FakeUnitOfWork([tutor])

    await operator(uow).create_or_promote(Actor.system(), promote())

    stored = uow.stored_user(tutor.id)
    assert stored.role is Role.ADMIN
    assert stored.tutor_approval is TutorApproval.PENDING
    assert not stored.is_approved_tutor


async def test_create_or_promote_creates_a_verified_account_when_the_address_is_new() -> None:
    uow = FakeUnitOfWork()
    hasher = FakePasswordHasher()

    outcome = await operator(uow, hasher).create_or_promote(
        Actor.system(), promote(email="new@example.com", password=PASSWORD, full_name="New Admin")
    )

    assert outcome.created and outcome.changed
    (user,) = uow.stored_users()
    assert user.id == outcome.user_id
    assert user.role is Role.ADMIN
    assert user.email_verified_at == FixedClock().now()
    assert user.password_hash == FakePasswordHasher.hash_of(PASSWORD)
    assert len([e for e in uow.events if isinstance(e, UserRegistered)]) == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"password": PASSWORD}, FullNameRequired),
        ({}, FullNameRequired),
        ({"full_name": "New Admin"}, PasswordRequired),
    ],
    ids=["no-name", "neither", "no-password"],
)
async def test_creating_needs_a_full_name_then_a_password(
    overrides: dict[str, object], error: type[RuleViolation]
) -> None:
    uow = FakeUnitOfWork()
    hasher = FakePasswordHasher()

    with pytest.raises(error):
        await operator(uow, hasher).create_or_promote(
            Actor.system(), promote(email="new@example.com", **overrides)
        )

    assert_nothing_changed(uow)
    assert hasher.hashed == 0


async def test_create_or_promote_refuses_a_common_password_for_a_new_account() -> None:
    uow = FakeUnitOfWork()

    with pytest.raises(RuleViolation) as caught:
        await operator(uow).create_or_promote(
            Actor.system(),
            promote(email="new@example.com", password="password123", full_name="N"),
        )

    assert caught.value.code == "weak-password"
    assert_nothing_changed(uow)


@pytest.mark.parametrize(
    "actor",
    [Actor.anonymous(), Actor(user_id=UUID(int=7), role=Role.MANAGER)],
    ids=["anonymous", "manager"],
)
async def test_only_an_admin_promotes(actor: Actor) -> None:
    student = existing_user()
    uow = FakeUnitOfWork([student], family(student.id, 1))

    with pytest.raises(PermissionDenied):
        await operator(uow).create_or_promote(actor, promote())

    stored = uow.stored_user(student.id)
    assert stored.role is Role.STUDENT
    assert stored.email_verified_at is None
    assert uow.stored_families()[0].revoked_at is None
    assert_nothing_changed(uow, users_before=1)


async def test_an_account_made_by_the_operator_is_in_the_audit_log(
    create_account: CreateAccountByOperator, uow: FakeUnitOfWork
) -> None:
    user_id = await create_account(Actor.system(), command(role=Role.ADMIN))
    (entry,) = uow.audit.of(AuditAction.USER_REGISTERED)
    assert entry.target_id == user_id
    assert entry.details == {"role": "admin", "by": "operator"}
