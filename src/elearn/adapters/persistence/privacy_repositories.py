"""Privacy's stores (exports and erasures) and its read side."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.privacy import DataExportRow, ErasureRow
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.adapters.persistence.repository_base import (
    Column,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    enum,
)
from elearn.application.paging import Page
from elearn.domain.privacy.requests import DataExport, Erasure, ErasureStatus, ExportStatus

_EXPORTS = FieldMap(
    DataExport,
    DataExportRow,
    fields={"status": enum(ExportStatus)},
    fixed=("id", "user_id", "requested_by", "requested_at"),
)
_ERASURES = FieldMap(
    Erasure,
    ErasureRow,
    fields={
        "status": enum(ErasureStatus),
        "summary": Column(load=lambda stored: dict(stored or {}), dump=dict),
    },
    fixed=("id", "user_id", "requested_by", "requested_at"),
)


class SqlaDataExportRepository(SqlaRepository[DataExport, DataExportRow]):
    mapper = _EXPORTS

    async def pending_for(self, user_id: UUID) -> DataExport | None:
        stmt = select(DataExportRow).where(
            DataExportRow.user_id == user_id, DataExportRow.status == ExportStatus.PENDING.value
        )
        row = await self.session.scalar(stmt.limit(1))
        return None if row is None else self._load(row)

    async def of_user(self, user_id: UUID) -> list[DataExport]:
        stmt = select(DataExportRow).where(DataExportRow.user_id == user_id)
        return await self._load_many(stmt, lambda e: e.user_id == user_id)

    async def expired(self, now: datetime, limit: int) -> list[DataExport]:
        stmt = (
            select(DataExportRow)
            .where(
                DataExportRow.status == ExportStatus.READY.value,
                DataExportRow.expires_at <= now,
                DataExportRow.file_key.is_not(None),
            )
            .order_by(DataExportRow.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]


class SqlaErasureRepository(SqlaRepository[Erasure, ErasureRow]):
    mapper = _ERASURES

    async def scheduled_for(self, user_id: UUID, *, for_update: bool = False) -> Erasure | None:
        stmt = select(ErasureRow).where(
            ErasureRow.user_id == user_id, ErasureRow.status == ErasureStatus.SCHEDULED.value
        )
        row = await self._get_row(stmt, for_update=for_update)
        return None if row is None else self._load(row)

    async def due(self, now: datetime, limit: int) -> list[Erasure]:
        stmt = (
            select(ErasureRow)
            .where(ErasureRow.status == ErasureStatus.SCHEDULED.value, ErasureRow.due_at <= now)
            .order_by(ErasureRow.due_at, ErasureRow.id)
            .limit(limit)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]


class SqlaPrivacyStore:
    def __init__(self, session: AsyncSession) -> None:
        self.exports = SqlaDataExportRepository(session)
        self.erasures = SqlaErasureRepository(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.exports, self.erasures]


class SqlaPrivacyQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def exports_of(
        self, user_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[DataExport]:
        stmt = newest_first_after(
            select(DataExportRow).where(DataExportRow.user_id == user_id),
            cursor,
            DataExportRow.requested_at,
            DataExportRow.id,
        )
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: _EXPORTS.load(row[0]),
            lambda row: (row[0].requested_at, row[0].id),
        )
