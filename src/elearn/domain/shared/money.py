"""Money: an integer number of minor units and an ISO 4217 currency code; never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass

from elearn.domain.shared.errors import RuleViolation

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


class InvalidMoney(RuleViolation):
    code = "invalid-money"


class CurrencyMismatch(RuleViolation):
    code = "currency-mismatch"


@dataclass(frozen=True, slots=True)
class Money:
    """``Money(4999, "USD")`` is 49.99 US dollars. Which codes are legal tender, and how many
    minor units each has, is reference data the application checks; the value object only
    refuses what can never be money."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidMoney("an amount is a whole number of minor units")
        if not isinstance(self.currency, str) or not _CURRENCY_CODE.fullmatch(self.currency):
            raise InvalidMoney(f"{self.currency!r} is not an ISO 4217 currency code")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def to_json(self) -> dict[str, int | str]:
        """DESIGN's wire shape: ``{"amount": 4999, "currency": "USD"}``."""
        return {"amount": self.amount, "currency": self.currency}


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and its exponent: how many minor units make a major one is
    ``10 ** exponent`` (JPY 0, USD 2, KWD 3). The table itself is reference data kept upstream
    (Babel's CLDR data, read by an adapter); the domain only holds one entry of it."""

    code: str
    exponent: int

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CURRENCY_CODE.fullmatch(self.code):
            raise InvalidMoney(f"{self.code!r} is not an ISO 4217 currency code")
        exponent = self.exponent
        if isinstance(exponent, bool) or not isinstance(exponent, int) or not 0 <= exponent <= 4:
            raise InvalidMoney(f"{self.code} cannot have {self.exponent} decimal places")

    def major(self, units: int) -> Money:
        """``units`` whole units of this currency (10 USD is Money(1000, "USD"))."""
        return Money(units * 10**self.exponent, self.code)

    def format(self, money: Money) -> str:
        """``49.99 USD``: the amount in major units, for people (emails, pages)."""
        if money.currency != self.code:
            raise CurrencyMismatch(f"cannot format {money.currency} as {self.code}")
        sign = "-" if money.amount < 0 else ""
        whole, minor = divmod(abs(money.amount), 10**self.exponent)
        digits = f"{whole}.{minor:0{self.exponent}d}" if self.exponent else str(whole)
        return f"{sign}{digits} {self.code}"
