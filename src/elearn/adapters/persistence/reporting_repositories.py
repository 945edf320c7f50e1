"""Reporting's store (reports) and its read side."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.reporting import ReportRow
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.adapters.persistence.repository_base import (
    Column,
    Embedded,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    enum,
)
from elearn.application.paging import Page
from elearn.domain.reporting.reports import (
    Report,
    ReportFormat,
    ReportKind,
    ReportPeriod,
    ReportStatus,
)

_REPORTS = FieldMap(
    Report,
    ReportRow,
    fields={
        "kind": enum(ReportKind),
        "format": enum(ReportFormat),
        "status": enum(ReportStatus),
        "period": Embedded(ReportPeriod, prefix="period_"),
        "filters": Column(load=lambda stored: dict(stored or {}), dump=dict),
    },
    fixed=(
        "id",
        "requested_by",
        "kind",
        "format",
        "period",
        "filters",
        "requested_at",
        "fingerprint",
    ),
)


class SqlaReportRepository(SqlaRepository[Report, ReportRow]):
    mapper = _REPORTS

    async def expired(self, now: datetime, limit: int) -> list[Report]:
        stmt = (
            select(ReportRow)
            .where(
                ReportRow.status == ReportStatus.READY.value,
                ReportRow.expires_at <= now,
                ReportRow.file_key.is_not(None),
            )
            .order_by(ReportRow.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def in_progress(self, fingerprint: str) -> Report | None:
        stmt = select(ReportRow).where(
            ReportRow.fingerprint == fingerprint,
            ReportRow.status.in_((ReportStatus.QUEUED.value, ReportStatus.RUNNING.value)),
        )
        row = await self.session.scalar(stmt)
        return None if row is None else self._load(row)


class SqlaReportingStore:
    def __init__(self, session: AsyncSession) -> None:
        self.reports = SqlaReportRepository(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.reports]


class SqlaReportingQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def reports(
        self, *, requested_by: UUID | None, limit: int, cursor: str | None
    ) -> Page[Report]:
        stmt = select(ReportRow)
        if requested_by is not None:
            stmt = stmt.where(ReportRow.requested_by == requested_by)
        stmt = newest_first_after(stmt, cursor, ReportRow.requested_at, ReportRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: _REPORTS.load(row[0]),
            lambda row: (row[0].requested_at, row[0].id),
        )
