"""BabelReferenceData: ISO codes as ISO writes them, and nothing that only looks like one."""

from __future__ import annotations

from datetime import date

import pytest

from elearn.adapters.security.reference_data import BabelReferenceData

data = BabelReferenceData()


@pytest.mark.parametrize("code", ["USD", "EUR", "GBP", "JPY", "BRL", "INR", "CHF", "XOF"])
def test_currencies_in_circulation_are_known(code: str) -> None:
    assert data.is_currency(code)


@pytest.mark.parametrize(
    "code",
    ["usd", "Usd", "US", "USDD", "", "DEM", "FRF", "XAU", "XTS", "XXX", "ABC", " USD", "U$D"],
)
def test_other_currency_codes_are_not(code: str) -> None:
    assert not data.is_currency(code)


def test_currencies_are_those_in_circulation_on_the_given_day() -> None:
    in_1999 = BabelReferenceData(as_of=date(1999, 6, 1))

    assert in_1999.is_currency("DEM")
    assert not data.is_currency("DEM")
    assert not in_1999.is_currency("SLE")  # Sierra Leone's leone of 2022
    assert data.is_currency("SLE")


@pytest.mark.parametrize("code", ["US", "DE", "BR", "IN", "JP", "GB", "NZ", "XK", "AQ"])
def test_countries_are_known(code: str) -> None:
    assert data.is_country(code)


@pytest.mark.parametrize(
    "code", ["us", "De", "USA", "U", "", "UK", "EU", "UN", "ZZ", "QO", "001", "419", "XA"]
)
def test_other_country_codes_are_not(code: str) -> None:
    assert not data.is_country(code)


@pytest.mark.parametrize("code", ["en", "pt", "de", "ja", "zh", "ar", "sw", "yo"])
def test_iso_639_1_languages_are_known(code: str) -> None:
    assert data.is_language(code)


@pytest.mark.parametrize("code", ["en-GB", "pt-BR", "zh-TW", "es-419", "fr-CA"])
def test_language_tags_with_a_region_are_known(code: str) -> None:
    assert data.is_language(code)


@pytest.mark.parametrize(
    "code",
    [
        "EN",
        "En",
        "eng",
        "en_GB",
        "en-gb",
        "en-ZZ",
        "en-EU",
        "xx",
        "xx-GB",
        "en-GB-oxendict",
        "",
        "e",
        "en-",
    ],
)
def test_other_language_codes_are_not(code: str) -> None:
    assert not data.is_language(code)


def test_the_lists_are_complete_enough() -> None:
    countries = sum(
        data.is_country(a + b)
        for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )
    languages = sum(
        data.is_language(a + b)
        for a in "abcdefghijklmnopqrstuvwxyz"
        for b in "abcdefghijklmnopqrstuvwxyz"
    )

    assert 245 <= countries <= 265
    assert 180 <= languages <= 190
