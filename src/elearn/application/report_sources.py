"""Staff reports, as every context declares them (issue 18): the rows of a kind of record over a
period. Each context implements ``ReportSource`` over its own tables and declares it on its
module; the reporting context writes whatever is declared without naming any context, so a
report never reads another context's tables.

Rows are streamed (a server-side cursor on PostgreSQL) so that a report of millions of rows is
written in constant memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from elearn.application.authorization import Permission
from elearn.application.ports import Transaction

MAX_FILTER_VALUE_CHARS = 100

# What one cell may hold: written as is (numbers, ids), as RFC 3339 (instants) or as text.
Cell = str | int | datetime | UUID | None


class ColumnKind(StrEnum):
    TEXT = "text"  # what people typed: neutralised against formula injection
    ID = "id"
    INSTANT = "instant"
    # Integer minor units of the currency in the row's ``currency`` column; summed per currency
    # in a report's totals.
    MONEY = "money"
    CURRENCY = "currency"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class ReportColumn:
    name: str
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """A filter a kind of report takes: one of ``choices``, or an id."""

    choices: frozenset[str] | None = None
    is_id: bool = False

    def accepts(self, value: str) -> bool:
        if not 1 <= len(value) <= MAX_FILTER_VALUE_CHARS:
            return False
        if self.is_id:
            try:
                UUID(value)
            except ValueError:
                return False
            return True
        return self.choices is None or value in self.choices


class ReportSource(Protocol):
    """One kind of report, read inside the caller's (read-only) transaction."""

    @property
    def permission(self) -> Permission:
        """Who may run it: the permission of the staff list that shows the same records."""
        ...

    @property
    def columns(self) -> Sequence[ReportColumn]: ...

    @property
    def filters(self) -> Mapping[str, ReportFilter]: ...

    async def count(
        self, uow: Transaction, starts_at: datetime, ends_at: datetime, filters: Mapping[str, str]
    ) -> int:
        """How many rows ``rows`` will give (for the progress shown while it runs)."""
        ...

    def rows(
        self, uow: Transaction, starts_at: datetime, ends_at: datetime, filters: Mapping[str, str]
    ) -> AsyncIterator[Sequence[Cell]]:
        """The rows in ``[starts_at, ends_at)``, oldest first, one cell per column."""
        ...
