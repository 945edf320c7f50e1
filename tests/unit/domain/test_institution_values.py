"""Institutions: names, countries and domains as the list keeps them, the key searches compare,
and the domains an address may belong to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.identity.institutions import (
    MAX_DOMAINS,
    MAX_INSTITUTION_NAME,
    Institution,
    InvalidInstitution,
    country_code,
    domain_suffixes,
    institution_name,
    search_key,
    web_domain,
    web_domains,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def tum(**fields: object) -> Institution:
    values: dict[str, object] = {
        "id": uuid4(),
        "name": "Technische Universität München",
        "country": "DE",
        "domains": ("tum.de",),
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Institution(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given_domain", "kept"),
    [
        ("tum.de", "tum.de"),
        ("  CS.Ox.AC.uk. ", "cs.ox.ac.uk"),
        ("xn--80ajuf6j.xn--p1ai", "xn--80ajuf6j.xn--p1ai"),
        ("a-b.edu", "a-b.edu"),
    ],
)
def test_a_domain_is_a_lower_case_host_name(given_domain: str, kept: str) -> None:
    assert web_domain(given_domain) == kept


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "de",
        "localhost",
        "@tum.de",
        "student@tum.de",
        "https://tum.de",
        "tum.de/path",
        "tum.de:443",
        "-tum.de",
        "tum-.de",
        "tum..de",
        "tum.d",
        "tum.123",
        "t um.de",
        "tüm.de",
        "a" * 64 + ".de",
        ("a" * 60 + ".") * 5 + "de",  # past 253 characters
    ],
)
def test_anything_but_a_host_name_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInstitution):
        web_domain(bad)


def test_domains_are_one_to_ten_without_repeats() -> None:
    assert web_domains(["tum.de", "TUM.de", "mytum.de"]) == ("tum.de", "mytum.de")
    with pytest.raises(InvalidInstitution):
        web_domains([])
    assert len(web_domains([f"d{n}.de" for n in range(MAX_DOMAINS)])) == MAX_DOMAINS
    with pytest.raises(InvalidInstitution):
        web_domains([f"d{n}.de" for n in range(MAX_DOMAINS + 1)])


@pytest.mark.parametrize(("code", "kept"), [("DE", "DE"), ("de", "DE"), (" gb ", "GB")])
def test_a_country_is_two_letters_in_capitals(code: str, kept: str) -> None:
    assert country_code(code) == kept


@pytest.mark.parametrize("bad", ["", "D", "DEU", "D1", "1D", "ÄÖ"])
def test_a_country_code_of_another_shape_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInstitution):
        country_code(bad)


def test_a_name_is_trimmed_and_one_to_two_hundred_characters() -> None:
    assert institution_name("  University   of\tOxford ") == "University of Oxford"
    assert len(institution_name("x" * MAX_INSTITUTION_NAME)) == MAX_INSTITUTION_NAME
    for bad in ("", "   ", "x" * (MAX_INSTITUTION_NAME + 1), "Uni\x00versity"):
        with pytest.raises(InvalidInstitution):
            institution_name(bad)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Universität Zürich", "universitat zurich"),
        ("ÉCOLE  Polytechnique", "ecole polytechnique"),
        ("Uniwersytet Łódzki", "uniwersytet łodzki"),  # Ł has no decomposition: kept, folded
        ("Straße", "strasse"),
        ("\uff34\uff35\uff2d", "tum"),  # full-width letters
    ],
)
def test_the_search_key_ignores_accents_case_and_spacing(text: str, key: str) -> None:
    assert search_key(text) == key


@given(st.text(max_size=40))
def test_the_search_key_is_its_own_key(text: str) -> None:
    assert search_key(search_key(text)) == search_key(text)


def test_an_address_may_belong_to_its_domain_or_a_parent_down_to_two_labels() -> None:
    assert domain_suffixes("cs.ox.ac.uk") == ["cs.ox.ac.uk", "ox.ac.uk", "ac.uk"]
    assert domain_suffixes("tum.de") == ["tum.de"]
    assert domain_suffixes("de") == []


def test_an_institution_validates_itself() -> None:
    made = tum(country="de", domains=("TUM.de", "mytum.de"))
    assert (made.country, made.domains) == ("DE", ("tum.de", "mytum.de"))
    assert made.is_active and made.name_key == "technische universitat munchen"
    with pytest.raises(InvalidInstitution):
        tum(domains=())


def test_retiring_and_bringing_back() -> None:
    institution = tum()
    later = NOW + timedelta(days=1)
    institution.change(later, active=False)
    assert not institution.is_active and institution.retired_at == later
    institution.change(later + timedelta(days=1), active=False)
    assert institution.retired_at == later  # retiring twice keeps the first instant
    institution.change(later, active=True)
    assert institution.is_active and institution.retired_at is None


def test_a_change_with_one_bad_field_changes_nothing() -> None:
    institution = tum()
    with pytest.raises(InvalidInstitution):
        institution.change(NOW, name="TU Munich", domains=("not a domain",))
    assert institution.name == "Technische Universität München"
    assert institution.domains == ("tum.de",)
