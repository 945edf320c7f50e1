from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    WeakPassword,
    check_password,
    password_problems,
)

COMMON = frozenset({"password1234", "qwertyuiop", "1234567890"})
EMAIL = EmailAddress("ada.lovelace@example.com")


def problems(password: str, email: EmailAddress | None = EMAIL) -> list[str]:
    return password_problems(password, email=email, common_passwords=COMMON)


def test_length_boundaries() -> None:
    assert problems("x" * (MIN_PASSWORD_LENGTH - 1)) != []
    assert problems("correct horse"[:MIN_PASSWORD_LENGTH]) == []
    assert problems("a" * MAX_PASSWORD_LENGTH) == []
    assert problems("a" * (MAX_PASSWORD_LENGTH + 1)) != []


def test_common_passwords_are_refused_whatever_their_case() -> None:
    assert "is one of the most common passwords" in problems("QwertyUiop")


def test_the_email_name_is_refused_inside_a_password() -> None:
    assert "contains the name of your email address" in problems("my Ada.Lovelace 2026")
    short = EmailAddress("al@example.com")  # too short a name to refuse by chance
    assert problems("totally alright", short) == []


def test_no_composition_rules_and_no_truncation() -> None:
    assert problems("all lowercase letters only") == []
    long = "z" * 200 + "!"
    assert problems(long) == []


def test_check_password_raises_with_every_problem() -> None:
    with pytest.raises(WeakPassword) as raised:
        check_password("qwerty", email=EMAIL, common_passwords={"qwerty"})
    assert raised.value.code == "weak-password"
    assert len(raised.value.problems) == 2


@given(st.text(max_size=MAX_PASSWORD_LENGTH + 50))
def test_the_policy_is_exactly_its_four_rules(password: str) -> None:
    expected_ok = (
        MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
        and password.strip() != ""
        and password.casefold() not in COMMON
        and "ada.lovelace" not in password.casefold()
    )
    assert (problems(password) == []) is expected_ok
