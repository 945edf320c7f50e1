"""Money never mixes currencies and is never a float; a currency's exponent turns whole units
into minor ones and back for people; the fee split gives platform + tutor == gross to the unit
for every gross and every rate, the platform's share rounded down."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.adapters.security.reference_data import BabelReferenceData
from elearn.domain.billing.fees import (
    BASIS_POINTS,
    DEFAULT_PLATFORM_BPS,
    FeeSplit,
    InvalidFeeRate,
    Split,
)
from elearn.domain.shared.money import Currency, CurrencyMismatch, InvalidMoney, Money

PROPERTY = settings(max_examples=200, deadline=None)

JPY, USD, KWD = Currency("JPY", 0), Currency("USD", 2), Currency("KWD", 3)
amounts = st.integers(min_value=-(10**15), max_value=10**15)
non_negative = st.integers(min_value=0, max_value=10**15)
rates = st.integers(min_value=0, max_value=BASIS_POINTS)
currencies = st.sampled_from([JPY, USD, KWD])

_FORMATTED = re.compile(r"(?P<sign>-?)(?P<whole>\d+)(?:\.(?P<minor>\d+))? (?P<code>[A-Z]{3})")


def parse(text: str, currency: Currency) -> Money:
    """The inverse of ``Currency.format``, strict about the number of decimals."""
    match = _FORMATTED.fullmatch(text)
    assert match is not None, text
    minor = match["minor"] or ""
    assert len(minor) == currency.exponent, text
    assert match["code"] == currency.code
    units = int(match["whole"]) * 10**currency.exponent + int(minor or "0")
    return Money(-units if match["sign"] else units, match["code"])


# ---- Money ---------------------------------------------------------------------------------


def test_money_adds_subtracts_negates_and_compares_within_one_currency() -> None:
    price, discount = Money(4999, "USD"), Money(1000, "USD")

    assert price + discount == Money(5999, "USD")
    assert price - discount == Money(3999, "USD")
    assert -price == Money(-4999, "USD")
    assert discount < price and discount <= price and discount <= discount
    assert price > discount and price >= price
    assert price.is_positive and not Money(0, "USD").is_positive and not (-price).is_positive
    assert price.to_json() == {"amount": 4999, "currency": "USD"}


MIXED: list[tuple[str, Callable[[Money, Money], Any]]] = [
    ("+", operator.add),
    ("-", operator.sub),
    ("<", operator.lt),
    ("<=", operator.le),
    (">", operator.gt),
    (">=", operator.ge),
]


@pytest.mark.parametrize(("symbol", "combine"), MIXED, ids=[symbol for symbol, _ in MIXED])
def test_arithmetic_and_ordering_refuse_mixed_currencies(
    symbol: str, combine: Callable[[Money, Money], Any]
) -> None:
    with pytest.raises(CurrencyMismatch):
        combine(Money(100, "USD"), Money(100, "EUR"))


def test_equality_across_currencies_is_simply_false_not_an_error() -> None:
    # == must stay total (sets, dict keys, dataclass equality of aggregates holding money).
    assert Money(100, "USD") != Money(100, "EUR")


@pytest.mark.parametrize(
    "amount",
    [True, False, 1.0, 49.99, Decimal("49.99"), Fraction(1, 2), "4999", None],
    ids=repr,
)
def test_an_amount_that_is_not_a_whole_number_of_minor_units_is_refused(amount: Any) -> None:
    with pytest.raises(InvalidMoney):
        Money(amount, "USD")


@pytest.mark.parametrize("code", ["usd", "US", "USDX", "", "U$D", "12 3", " USD", 840, None])
def test_a_currency_code_that_is_not_three_capital_letters_is_refused(code: Any) -> None:
    with pytest.raises(InvalidMoney):
        Money(100, code)


@pytest.mark.parametrize("code", ["usd", "US", "USDX", ""])
def test_a_currency_with_a_bad_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidMoney):
        Currency(code, 2)


@pytest.mark.parametrize("exponent", [-1, 5])
def test_a_currency_exponent_outside_0_to_4_is_refused(exponent: int) -> None:
    with pytest.raises(InvalidMoney):
        Currency("USD", exponent)


def test_major_units_and_formatting_follow_each_currencys_exponent() -> None:
    assert JPY.major(10) == Money(10, "JPY")
    assert USD.major(10) == Money(1000, "USD")
    assert KWD.major(10) == Money(10_000, "KWD")
    assert JPY.format(Money(4999, "JPY")) == "4999 JPY"
    assert USD.format(Money(4999, "USD")) == "49.99 USD"
    assert USD.format(Money(5, "USD")) == "0.05 USD"
    assert USD.format(Money(-5, "USD")) == "-0.05 USD"
    assert KWD.format(Money(1005, "KWD")) == "1.005 KWD"
    with pytest.raises(CurrencyMismatch):
        USD.format(Money(100, "EUR"))


def test_the_exponents_come_from_the_cldr_reference_data() -> None:
    reference = BabelReferenceData()

    assert reference.currency("JPY") == JPY
    assert reference.currency("USD") == USD
    assert reference.currency("KWD") == KWD


@PROPERTY
@given(currency=currencies, units=st.integers(min_value=-(10**9), max_value=10**9))
def test_formatting_whole_units_parses_back_to_the_same_money(
    currency: Currency, units: int
) -> None:
    money = currency.major(units)

    assert money.amount == units * 10**currency.exponent
    assert parse(currency.format(money), currency) == money


@PROPERTY
@given(currency=currencies, amount=amounts)
def test_formatting_any_minor_amount_parses_back_to_the_same_money(
    currency: Currency, amount: int
) -> None:
    money = Money(amount, currency.code)

    assert parse(currency.format(money), currency) == money


# ---- FeeSplit ------------------------------------------------------------------------------


def test_the_default_platform_share_is_15_percent() -> None:
    assert DEFAULT_PLATFORM_BPS == 1500
    assert FeeSplit().platform_bps == 1500
    assert FeeSplit().split(Money(10_000, "USD")) == Split(
        platform=Money(1500, "USD"), tutor=Money(8500, "USD")
    )


@pytest.mark.parametrize(
    ("gross", "bps", "platform", "tutor"),
    [
        (0, 1500, 0, 0),
        (1, 1500, 0, 1),  # 0.15 of a unit: the fraction goes to the tutor
        (6, 1500, 0, 6),  # 0.9 of a unit: still rounded down, never to nearest
        (7, 1500, 1, 6),
        (4999, 1500, 749, 4250),  # 749.85 → 749
        (4999, 0, 0, 4999),
        (4999, 10_000, 4999, 0),
        (1, 9999, 0, 1),
        (-4999, 1500, -749, -4250),  # a reversal undoes the sale to the unit
    ],
)
def test_split_examples_with_the_platform_share_rounded_down(
    gross: int, bps: int, platform: int, tutor: int
) -> None:
    split = FeeSplit(bps).split(Money(gross, "USD"))

    assert split == Split(platform=Money(platform, "USD"), tutor=Money(tutor, "USD"))


@PROPERTY
@given(gross=non_negative | st.sampled_from([0, 1, 10**30]), bps=rates)
def test_platform_share_is_the_floor_and_the_tutor_gets_the_remainder_to_the_unit(
    gross: int, bps: int
) -> None:
    fees = FeeSplit(bps)
    split = fees.split(Money(gross, "JPY"))
    exact_platform = Fraction(gross * bps, BASIS_POINTS)

    assert split.platform + split.tutor == Money(gross, "JPY")
    assert split.platform.amount == gross * bps // BASIS_POINTS
    assert split.platform.amount <= exact_platform < split.platform.amount + 1
    # Rounding only ever favours the tutor, by less than one minor unit.
    assert split.tutor.amount >= Fraction(gross * (BASIS_POINTS - bps), BASIS_POINTS)
    assert split.tutor.amount - Fraction(gross * (BASIS_POINTS - bps), BASIS_POINTS) < 1
    assert split.platform.amount >= 0 and split.tutor.amount >= 0
    assert fees.platform_share(Money(gross, "JPY")) == split.platform
    assert fees.tutor_share(Money(gross, "JPY")) == split.tutor


@PROPERTY
@given(gross=amounts, bps=rates)
def test_a_negative_gross_splits_as_the_exact_opposite_of_the_positive_one(
    gross: int, bps: int
) -> None:
    fees = FeeSplit(bps)
    split = fees.split(Money(gross, "USD"))
    mirrored = fees.split(Money(-gross, "USD"))

    assert split.platform + split.tutor == Money(gross, "USD")
    assert split.platform == -mirrored.platform
    assert split.tutor == -mirrored.tutor


@PROPERTY
@given(gross=non_negative, bps=st.integers(min_value=0, max_value=BASIS_POINTS - 1))
def test_a_higher_rate_never_gives_the_tutor_more(gross: int, bps: int) -> None:
    lower, higher = (
        FeeSplit(bps).split(Money(gross, "USD")),
        FeeSplit(bps + 1).split(Money(gross, "USD")),
    )

    assert higher.platform >= lower.platform
    assert higher.tutor <= lower.tutor


@pytest.mark.parametrize(
    "bps",
    [-1, BASIS_POINTS + 1, 10**9, True, False, 1500.0, Decimal("1500.5"), "1500", None],
    ids=repr,
)
def test_a_rate_that_is_not_a_whole_number_of_basis_points_from_0_to_10000_is_refused(
    bps: Any,
) -> None:
    with pytest.raises(InvalidFeeRate):
        FeeSplit(bps)
