"""User.register: a new account is one aggregate and one UserRegistered event."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import MAX_FULL_NAME_LENGTH, User, UserRegistered
from elearn.domain.shared.errors import Forbidden, RuleViolation

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
USER_ID = UUID(int=1)
EVENT_ID = UUID(int=2)


def register(**overrides: object) -> User:
    values: dict[str, object] = {
        "user_id": USER_ID,
        "event_id": EVENT_ID,
        "email": EmailAddress("Ada@Example.com"),
        "full_name": "Ada Lovelace",
        "role": Role.TUTOR,
        "password_hash": "hash-of-the-password",
        "now": NOW,
    }
    values.update(overrides)
    return User.register(**values)  # type: ignore[arg-type]


def test_register_builds_an_active_unverified_user() -> None:
    user = register()

    assert user.id == USER_ID
    assert user.email == EmailAddress("ada@example.com")
    assert user.full_name == "Ada Lovelace"
    assert user.role is Role.TUTOR
    assert user.password_hash == "hash-of-the-password"
    assert user.is_active
    assert user.email_verified_at is None
    assert user.created_at == NOW


def test_register_can_mark_the_email_verified_at_creation() -> None:
    assert register(email_verified=True).email_verified_at == NOW


def test_register_records_exactly_one_user_registered_event() -> None:
    user = register()

    events = user.pull_events()

    assert events == [
        UserRegistered(
            event_id=EVENT_ID,
            occurred_at=NOW,
            user_id=USER_ID,
            email="ada@example.com",
            full_name="Ada Lovelace",
            role=Role.TUTOR,
        )
    ]
    assert events[0].event_type == "identity.user_registered"


def test_pull_events_empties_the_list() -> None:
    user = register()
    user.pull_events()

    assert user.pull_events() == []


def test_an_aggregate_built_from_storage_has_no_events() -> None:
    user = User(
        id=USER_ID,
        email=EmailAddress("ada@example.com"),
        full_name="Ada",
        role=Role.STUDENT,
        password_hash="h",
        created_at=NOW,
    )

    assert user.pull_events() == []


def test_the_full_name_is_trimmed_in_the_user_and_the_event() -> None:
    user = register(full_name="  Ada Lovelace \t")

    assert user.full_name == "Ada Lovelace"
    (event,) = user.pull_events()
    assert isinstance(event, UserRegistered)
    assert event.full_name == "Ada Lovelace"


def test_the_longest_full_name_is_accepted_after_trimming() -> None:
    name = "n" * MAX_FULL_NAME_LENGTH

    assert register(full_name=f"  {name}  ").full_name == name


@pytest.mark.parametrize(
    "full_name",
    ["", "   ", "\t\n", "n" * (MAX_FULL_NAME_LENGTH + 1), "Ada\x00Lovelace", "Ada\nLovelace"],
)
def test_a_bad_full_name_is_refused(full_name: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        register(full_name=full_name)

    assert caught.value.code == "invalid-full-name"


def test_users_are_equal_by_identity() -> None:
    one = register()
    same_id = register(full_name="Someone Else", email=EmailAddress("else@example.com"))
    other = register(user_id=UUID(int=99))

    assert one == same_id
    assert hash(one) == hash(same_id)
    assert one != other


def _refusal(user: User) -> str | None:
    try:
        user.require_approved_tutor()
    except Forbidden as refused:
        return refused.code
    return None


def test_each_way_of_not_being_an_approved_tutor_has_its_own_code() -> None:
    tutor = register()  # a tutor signs up pending approval
    assert _refusal(tutor) == "tutor-not-approved"
    tutor.reject_as_tutor()
    assert _refusal(tutor) == "tutor-application-rejected"
    tutor.apply_as_tutor()
    assert _refusal(tutor) == "tutor-not-approved"
    tutor.approve_as_tutor(NOW)
    assert _refusal(tutor) is None

    for role in (Role.STUDENT, Role.MANAGER, Role.ADMIN):
        assert _refusal(register(role=role)) == "not-a-tutor", role
    applicant = register(role=Role.STUDENT)
    applicant.apply_as_tutor()
    assert _refusal(applicant) == "tutor-not-approved"
    applicant.approve_as_tutor(NOW)
    assert applicant.role is Role.TUTOR and _refusal(applicant) is None
    # Staff taking the role away leaves an account that is no tutor, whatever it once was.
    applicant.change_role(Role.STUDENT, NOW)
    assert _refusal(applicant) == "not-a-tutor"
