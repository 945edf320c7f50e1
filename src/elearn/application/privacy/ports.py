"""What privacy use cases need: privacy's own stores and read side. What each context holds
about a person comes through the shared ``application.personal_data`` port."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from elearn.application.links import FrontEndLinks
from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.privacy.requests import DataExport, Erasure, ExportStatus


class DataExportRepository(Protocol):
    async def add(self, export: DataExport) -> None: ...

    async def get(self, export_id: UUID, *, for_update: bool = False) -> DataExport | None: ...

    async def expired(self, now: datetime, limit: int) -> list[DataExport]:
        """Ready exports past their expiry whose archive is still stored."""
        ...

    async def pending_for(self, user_id: UUID) -> DataExport | None: ...

    async def of_user(self, user_id: UUID) -> list[DataExport]: ...


class ErasureRepository(Protocol):
    async def add(self, erasure: Erasure) -> None: ...

    async def get(self, erasure_id: UUID, *, for_update: bool = False) -> Erasure | None: ...

    async def scheduled_for(self, user_id: UUID, *, for_update: bool = False) -> Erasure | None: ...

    async def due(self, now: datetime, limit: int) -> list[Erasure]: ...


class PrivacyStore(Protocol):
    exports: DataExportRepository
    erasures: ErasureRepository


class PrivacyUnitOfWork(Transaction, Protocol):
    """The privacy context's unit of work: its own stores and nothing else."""

    privacy: PrivacyStore


@dataclass(frozen=True, slots=True)
class ExportView:
    id: UUID
    status: ExportStatus
    requested_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None
    size: int | None
    # Relative to the API root; only while the archive can be downloaded.
    download_url: str | None = None


@dataclass(frozen=True, slots=True)
class ErasureView:
    id: UUID
    user_id: UUID
    status: str
    requested_at: datetime
    due_at: datetime
    cancelled_at: datetime | None
    erased_at: datetime | None
    summary: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


class PrivacyQueries(Protocol):
    async def exports_of(
        self, user_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[DataExport]: ...


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    erasure_grace_days: int = 14
    export_keep_days: int = 7
    # A sign-in this recent stands in for the password when a person asks to be erased.
    recent_sign_in_minutes: int = 10
    links: FrontEndLinks = field(default_factory=FrontEndLinks)
