"""What every context's report source shares: rows streamed from a statement in batches (a
server-side cursor on PostgreSQL, so a report of millions of rows never sits in memory), and
the count of what a statement selects (for a running report's progress)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.authorization import Permission
from elearn.application.ports import Transaction
from elearn.application.report_sources import Cell, ReportColumn, ReportFilter

BATCH_ROWS = 2000


@dataclass(frozen=True, kw_only=True)
class SelectReport:
    """A ``ReportSource`` over one statement: ``select`` gives the statement of the period
        (already filtered on ``instant`` and ordered), ``filter_columns`` the column each filter
        compares with, ``row`` turns a result row into the report's cells. Statements select
    columns, not ORM objects: rows then stream without the session keeping them."""

    permission: Permission
    columns: Sequence[ReportColumn]
    instant: InstrumentedAttribute[Any]
    select: Callable[[], Select[Any]]
    row: Callable[[Any], Sequence[Cell]]
    filters: Mapping[str, ReportFilter] = field(default_factory=dict)
    filter_columns: Mapping[str, InstrumentedAttribute[Any]] = field(default_factory=dict)

    def _statement(
        self, starts_at: datetime, ends_at: datetime, filters: Mapping[str, str]
    ) -> Select[Any]:
        stmt = self.select().where(self.instant >= starts_at, self.instant < ends_at)
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
                yield self.row(row)


def choices(*values: str) -> ReportFilter:
    return ReportFilter(choices=frozenset(values))


ANY_ID = ReportFilter(is_id=True)
ANY_TEXT = ReportFilter()
