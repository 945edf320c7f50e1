"""EmailAddress: one normal form, so one address is one account whatever its case."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from elearn.domain.identity.email import MAX_EMAIL_LENGTH, EmailAddress, InvalidEmail
from elearn.domain.shared.errors import DomainError, RuleViolation


def test_an_address_is_trimmed_and_lower_cased() -> None:
    email = EmailAddress("  Ada.Lovelace@Example.COM \n")

    assert email.value == "ada.lovelace@example.com"
    assert str(email) == "ada.lovelace@example.com"
    assert email.local_part == "ada.lovelace"


def test_equality_ignores_case_and_surrounding_space() -> None:
    assert EmailAddress("Ada@Example.com") == EmailAddress(" ada@example.COM")
    assert hash(EmailAddress("Ada@Example.com")) == hash(EmailAddress("ada@example.com"))
    assert EmailAddress("ada@example.com") != EmailAddress("ada@example.org")


def test_an_address_cannot_be_changed() -> None:
    email = EmailAddress("ada@example.com")

    with pytest.raises(dataclasses.FrozenInstanceError):
        email.value = "eve@example.com"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@example.",
        "ada@@example.com",
        "ada@exa@mple.com",
        "ada lovelace@example.com",
        "ada@exam ple.com",
        "ada@example.com\r\nBcc: eve@example.com",
        "ada\x00@example.com",
        "ada@example.com\x7f",
        "ada\t@example.com",
        "a" * 65 + "@example.com",
    ],
)
def test_a_malformed_address_is_refused_with_a_stable_code(text: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        EmailAddress(text)

    error = caught.value
    assert isinstance(error, DomainError)
    assert isinstance(error, RuleViolation)
    assert error.code == "invalid-email"


def test_the_longest_allowed_address_is_accepted() -> None:
    domain = "d" * (MAX_EMAIL_LENGTH - 64 - 1 - 4) + ".com"
    text = "a" * 64 + "@" + domain

    assert len(text) == MAX_EMAIL_LENGTH
    assert EmailAddress(text).value == text


def test_one_character_more_is_refused() -> None:
    domain = "d" * (MAX_EMAIL_LENGTH - 64 - 4) + ".com"
    text = "a" * 64 + "@" + domain

    assert len(text) == MAX_EMAIL_LENGTH + 1
    with pytest.raises(InvalidEmail) as caught:
        EmailAddress(text)
    assert caught.value.code == "invalid-email"


def test_the_length_limit_applies_after_trimming() -> None:
    text = "a" * 64 + "@" + "d" * (MAX_EMAIL_LENGTH - 64 - 1 - 4) + ".com"

    assert EmailAddress(f"   {text}   ").value == text


def test_something_other_than_text_is_refused() -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress(None)  # type: ignore[arg-type]


_local = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@"),
    min_size=1,
    max_size=70,
)
_label = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@."),
    min_size=1,
    max_size=20,
)
_addresses = st.builds(
    lambda pad, local, host, tld, tail: f"{pad}{local}@{host}.{tld}{tail}",
    st.sampled_from(["", " ", "\t", " \n "]),
    _local,
    _label,
    _label,
    st.sampled_from(["", " ", "\r\n"]),
)


@given(st.one_of(_addresses, st.text()))
def test_normalisation_is_idempotent(text: str) -> None:
    try:
        email = EmailAddress(text)
    except InvalidEmail as error:
        assert error.code == "invalid-email"
        return
    again = EmailAddress(email.value)

    assert again.value == email.value
    assert again == email
    assert email.value == email.value.strip().lower()
    assert len(email.value) <= MAX_EMAIL_LENGTH


@given(_addresses)
def test_equality_is_case_insensitive_for_any_valid_address(text: str) -> None:
    # A few characters change letters when upper-cased (ß → SS): that is another string, not
    # the same address spelt in other case.
    assume(text.upper().lower() == text.lower())
    try:
        email = EmailAddress(text)
    except InvalidEmail:
        return

    assert EmailAddress(text.upper()) == email
