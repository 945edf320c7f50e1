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
