"""The common-password list shipped with the package."""

from __future__ import annotations

import pytest

from elearn.adapters.security.common_passwords import load_common_passwords


def test_the_list_is_large() -> None:
    assert len(load_common_passwords()) > 10_000


@pytest.mark.parametrize(
    "password", ["password", "123456", "qwerty", "iloveyou", "password1", "password1234"]
)
def test_well_known_passwords_are_in_it(password: str) -> None:
    assert password in load_common_passwords()


def test_entries_are_casefolded_so_lookups_should_casefold_too() -> None:
    passwords = load_common_passwords()

    assert all(entry == entry.casefold() for entry in passwords)
    assert "PassWord1234".casefold() in passwords


def test_empty_lines_are_not_entries() -> None:
    assert "" not in load_common_passwords()


def test_a_strong_passphrase_is_not_in_it() -> None:
    assert "correct horse battery staple tutor 1997" not in load_common_passwords()


def test_the_list_is_read_once() -> None:
    assert load_common_passwords() is load_common_passwords()
