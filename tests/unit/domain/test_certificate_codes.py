"""Certificate codes and serials: verification codes are CODE_LENGTH characters of an alphabet
without look-alikes, serials read ``EL-<year>-<8 characters>``, ``normalized_code`` undoes what
people do to a code when they type it (lowercase, dashes, spaces) and a certificate is valid
until revoked."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from elearn.domain.learning import certificate as certificate_module
from elearn.domain.learning.certificate import (
    CODE_LENGTH,
    SERIAL_RANDOM_LENGTH,
    Certificate,
    new_serial,
    new_verification_code,
    normalized_code,
)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LOOK_ALIKES = "01ILO"
T0 = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)

codes = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


def mangled(code: str, data: st.DataObject) -> str:
    """``code`` as a person might type it: any letters lowercase, dashes and spaces anywhere."""
    out = []
    for char in code:
        out.append(data.draw(st.text(alphabet="- ", max_size=2)))
        out.append(char.lower() if data.draw(st.booleans()) else char)
    out.append(data.draw(st.text(alphabet="- ", max_size=3)))
    return "".join(out)


# ---- the alphabet ----------------------------------------------------------------------------
def test_the_alphabet_has_no_look_alikes() -> None:
    assert ALPHABET == certificate_module._ALPHABET
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set(LOOK_ALIKES) & set(ALPHABET)
    assert set(ALPHABET) == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") - set(LOOK_ALIKES)


def test_code_lengths() -> None:
    assert CODE_LENGTH == 16
    assert SERIAL_RANDOM_LENGTH == 8


# ---- verification codes ----------------------------------------------------------------------
def test_a_verification_code_is_code_length_characters_of_the_alphabet() -> None:
    for _ in range(500):
        code = new_verification_code()
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(ALPHABET)
        assert normalized_code(code) == code


def test_verification_codes_differ() -> None:
    generated = {new_verification_code() for _ in range(1000)}

    assert len(generated) == 1000


def test_verification_codes_use_the_whole_alphabet() -> None:
    seen = set("".join(new_verification_code() for _ in range(200)))

    assert seen == set(ALPHABET)


# ---- serials ---------------------------------------------------------------------------------
@pytest.mark.parametrize("year", [1999, 2025, 2026, 9999])
def test_a_serial_is_el_year_and_a_random_tail(year: int) -> None:
    serial = new_serial(datetime(year, 12, 31, 23, 59, tzinfo=UTC))

    prefix, year_part, tail = serial.split("-")
    assert prefix == "EL"
    assert year_part == str(year)
    assert len(tail) == SERIAL_RANDOM_LENGTH
    assert set(tail) <= set(ALPHABET)
    assert len(serial) == len("EL-") + len(str(year)) + 1 + SERIAL_RANDOM_LENGTH


def test_serials_of_the_same_year_differ() -> None:
    serials = {new_serial(T0) for _ in range(500)}

    assert len(serials) == 500
    assert all(s.startswith("EL-2026-") for s in serials)


def test_the_serial_year_is_the_issue_date_year_as_given() -> None:
    # The year of the datetime as passed: the caller decides the time zone.
    assert new_serial(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)).startswith("EL-2025-")
    assert new_serial(datetime(2026, 1, 1, 0, 30, tzinfo=UTC)).startswith("EL-2026-")


# ---- normalized_code: examples ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("7KQ2M9XH7KQ2M9XH", "7KQ2M9XH7KQ2M9XH"),
        ("7kq2m9xh7kq2m9xh", "7KQ2M9XH7KQ2M9XH"),
        ("7KQ2-M9XH-7KQ2-M9XH", "7KQ2M9XH7KQ2M9XH"),
        ("7kq2 m9xh 7kq2 m9xh", "7KQ2M9XH7KQ2M9XH"),
        ("  7kq2-m9xh 7KQ2-m9xh \n", "7KQ2M9XH7KQ2M9XH"),
        ("\t7KQ2M9XH7KQ2M9XH\r\n", "7KQ2M9XH7KQ2M9XH"),
        ("--7KQ2--M9XH--", "7KQ2M9XH"),
        ("", ""),
        ("   ", ""),
        (" - - ", ""),
    ],
)
def test_normalized_code_examples(typed: str, normal: str) -> None:
    assert normalized_code(typed) == normal


def test_normalized_code_does_not_map_look_alikes() -> None:
    """A typed O, 0, I, 1 or L stays what it is: such a code matches no certificate."""
    assert normalized_code("o0i1l") == "O0I1L"


# ---- normalized_code: properties -------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(code=codes, data=st.data())
def test_normalized_code_undoes_lowercase_dashes_and_spaces(code: str, data: st.DataObject) -> None:
    assert normalized_code(mangled(code, data)) == code


@settings(max_examples=300, deadline=None)
@given(code=codes)
def test_normalized_code_keeps_a_generated_code(code: str) -> None:
    assert normalized_code(code) == code


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET + ALPHABET.lower() + LOOK_ALIKES + "- ", max_size=40))
def test_normalized_code_is_idempotent_on_typed_codes(typed: str) -> None:
    once = normalized_code(typed)

    assert normalized_code(once) == once
    assert "-" not in once
    assert " " not in once
    assert once == once.upper()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
@example("-\tA")
@example("ABCD\u00a0-")
def test_normalized_code_is_idempotent(typed: str) -> None:
    once = normalized_code(typed)

    assert normalized_code(once) == once


@pytest.mark.parametrize(
    ("typed", "expected"), [("-\tA", "A"), ("ABCD\u00a0-", "ABCD"), ("-\n7kq2", "7KQ2")]
)
def test_whitespace_behind_an_edge_dash_is_removed_too(typed: str, expected: str) -> None:
    assert normalized_code(typed) == expected


# ---- the certificate -------------------------------------------------------------------------
def certificate(**overrides: object) -> Certificate:
    values: dict[str, object] = {
        "id": UUID(int=1),
        "enrollment_id": UUID(int=2),
        "user_id": UUID(int=3),
        "course_id": UUID(int=4),
        "serial": new_serial(T0),
        "verification_code": new_verification_code(),
        "student_name": "Ada Lovelace",
        "course_title": "Analytical Engines",
        "instructor_names": ("Charles Babbage",),
        "issued_at": T0,
    }
    values.update(overrides)
    return Certificate(**values)  # type: ignore[arg-type]


def test_a_certificate_is_valid_until_revoked() -> None:
    issued = certificate()

    assert issued.is_valid
    assert issued.pdf_key is None
    assert issued.revoked_at is None
    revoked = dataclasses.replace(issued, revoked_at=T0)
    assert not revoked.is_valid
    assert issued.is_valid


def test_a_certificate_is_frozen() -> None:
    issued = certificate()

    with pytest.raises(dataclasses.FrozenInstanceError):
        issued.revoked_at = T0  # type: ignore[misc]
