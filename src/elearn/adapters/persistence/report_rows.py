"""What every context's report source shares: rows streamed from a statement in batches (a
server-side cursor on PostgreSQL, so a report of millions of rows never sits in memory), and
the count of what a statement selects (for a running report's progress)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.authorization import Permission
from elearn.application.ports import Transaction
from elearn.application.report_sources import Cell, ColumnKind, ReportColumn, ReportFilter

BATCH_ROWS = 2000


Selected: TypeAlias = tuple[ReportColumn, Any]


def cell(name: str, selects: Any, kind: ColumnKind = ColumnKind.TEXT) -> Selected:
    """A report's column, named once with the expression it selects."""
    return ReportColumn(name, kind), selects


@dataclass(frozen=True, kw_only=True)
class SelectReport:
    """A ``ReportSource`` over one statement: ``cells`` are its columns and what each selects
    (``cell``), in order; ``where`` narrows every period's rows, ``instant`` places a row in a
    period, ``filter_columns`` is the column each filter compares with. Statements select
    columns, not ORM objects: rows then stream without the session keeping them."""

    permission: Permission
    cells: Sequence[Selected]
    instant: InstrumentedAttribute[Any]
    where: Sequence[Any] = ()
    filters: Mapping[str, ReportFilter] = field(default_factory=dict)
    filter_columns: Mapping[str, InstrumentedAttribute[Any]] = field(default_factory=dict)

    @property
    def columns(self) -> Sequence[ReportColumn]:
        return tuple(column for column, _ in self.cells)

    def _statement(
        self, starts_at: datetime, ends_at: datetime, filters: Mapping[str, str]
    ) -> Select[Any]:
        stmt = select(*(selects for _, selects in self.cells)).where(
            *self.where, self.instant >= starts_at, self.instant < ends_at
        )
        for name, value in filters.items():
            column = self.filter_columns[name]
            stmt = stmt.where(column == (UUID(value) if self.filters[name].is_id else value))
        return stmt

    async def count(
        self, uow: Transaction, starts_at: datetime, ends_at: datetime, filters: Mapping[str, str]
    ) -> int:
        stmt = self._statement(starts_at, ends_at, filters).order_by(None)
        counted = select(func.count()).select_from(stmt.subquery())
        return int(await session_of(uow).scalar(counted) or 0)

    async def rows(
        self, uow: Transaction, starts_at: datetime, ends_at: datetime, filters: Mapping[str, str]
    ) -> AsyncIterator[Sequence[Cell]]:
        # Oldest first, the id breaking ties, so two exports of one period list rows alike.
        stmt = self._statement(starts_at, ends_at, filters).order_by(
            self.instant, self.instant.class_.id
        )
        result = await session_of(uow).stream(stmt.execution_options(yield_per=BATCH_ROWS))
        # A batch at a time: each step of an async result crosses into the driver's greenlet,
        # which row by row costs more than writing the row.
        async for batch in result.partitions(BATCH_ROWS):
            for row in batch:
                yield tuple(row)


def choices(*values: str) -> ReportFilter:
    return ReportFilter(choices=frozenset(values))


ANY_ID = ReportFilter(is_id=True)
ANY_TEXT = ReportFilter()
