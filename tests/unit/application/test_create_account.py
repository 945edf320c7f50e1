"""CreateAccountByOperator: an admin or the operator creates accounts; one address, one account."""

from __future__ import annotations

from uuid import UUID

import pytest
from tests.fakes import FakePasswordHasher, FakeUnitOfWork, FixedClock, SequentialIds

from elearn.application.actor import Actor
from elearn.application.errors import PermissionDenied
from elearn.application.identity.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    CreateAccount,
    CreateAccountByOperator,
)
from elearn.domain.identity.email import EmailAddress, InvalidEmail
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import EmailTaken, User, UserRegistered
from elearn.domain.shared.errors import RuleViolation

PASSWORD = "correct horse battery staple"
ADMIN = Actor(user_id=UUID(int=1000), role=Role.ADMIN)


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
    return CreateAccountByOperator(uow, hasher, clock, SequentialIds())


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
    create_account = CreateAccountByOperator(uow, FakePasswordHasher(), clock, SequentialIds())

    with pytest.raises(EmailTaken):
        await create_account(ADMIN, command(email="ADA@example.com"))

    assert_nothing_changed(uow, users_before=1)
