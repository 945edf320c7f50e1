"""Reference data every context checks input against: ISO currencies, countries, languages."""

from __future__ import annotations

from typing import Protocol


class ReferenceData(Protocol):
    def is_currency(self, code: str) -> bool: ...

    def is_country(self, code: str) -> bool: ...

    def is_language(self, code: str) -> bool: ...
