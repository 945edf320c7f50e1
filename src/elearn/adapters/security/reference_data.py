"""ISO reference data (currencies, countries, languages) from the Unicode CLDR, through babel."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import babel
from babel.numbers import get_currency_precision, get_territory_currencies, list_currencies

from elearn.domain.shared.money import Currency

# CLDR region codes that name no country: groupings (EU, EZ, UN, QO), pseudo-locales (XA, XB)
# and "unknown" (ZZ). Kosovo (XK, user-assigned in ISO 3166 but used by the EU and by payment
# providers) stays.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})
_LANGUAGE_TAG = re.compile(r"(?P<language>[a-z]{2})-(?P<region>[A-Z]{2}|[0-9]{3})")


class BabelReferenceData:
    """Codes exactly as ISO writes them: ``USD``, ``DE``, ``en`` (and ``en-GB``, ``es-419``).

    Currencies are the ISO 4217 codes that are legal tender somewhere on ``as_of`` (today by
    default): babel also lists withdrawn ones (DEM, ...), funds codes (BOV, ...), precious metals
    (XAU, ...) and the testing codes (XTS, XXX), which nobody can be paid in.
    """

    def __init__(self, *, as_of: date | None = None) -> None:
        english = babel.Locale("en")
        territories = set(english.territories)
        self._countries = frozenset(
            code
            for code in territories
            if len(code) == 2 and code.isascii() and code.isupper() and code not in _NOT_COUNTRIES
        )
        self._regions = frozenset(code for code in territories if code.isdigit())
        day = as_of or datetime.now(UTC).date()
        in_circulation = {
            currency
            for country in self._countries
            for currency in get_territory_currencies(country, day, tender=True)
        }
        self._currencies = frozenset(in_circulation & set(list_currencies()))
        self._languages = frozenset(
            code
            for code in english.languages
            if isinstance(code, str) and len(code) == 2 and code.isascii() and code.islower()
        )

    def is_currency(self, code: str) -> bool:
        return code in self._currencies

    def currency(self, code: str) -> Currency | None:
        """The currency with its exponent (CLDR's digits: JPY 0, USD 2, KWD 3), if it is in
        circulation."""
        if code not in self._currencies:
            return None
        return Currency(code, get_currency_precision(code))

    def is_country(self, code: str) -> bool:
        return code in self._countries

    def is_language(self, code: str) -> bool:
        if code in self._languages:
            return True
        tag = _LANGUAGE_TAG.fullmatch(code)
        if tag is None:
            return False
        region = tag["region"]
        return tag["language"] in self._languages and (
            region in self._countries or region in self._regions
        )
