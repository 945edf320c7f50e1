"""What reporting use cases need: its own store and read side, the writers of report files and
the signer of download links. The rows come from every context's declared ``ReportSource``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol
from uuid import UUID

from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.application.report_sources import Cell, ReportColumn
from elearn.domain.reporting.reports import (
    Report,
    ReportFormat,
    ReportKind,
    ReportStatus,
)


class ReportRepository(Protocol):
    async def add(self, report: Report) -> None: ...

    async def get(self, report_id: UUID, *, for_update: bool = False) -> Report | None: ...

    async def expired(self, now: datetime, limit: int) -> list[Report]:
        """Ready reports past their expiry whose file is still stored."""
        ...

    async def in_progress(self, fingerprint: str) -> Report | None:
        """The queued or running report with this fingerprint (at most one is)."""
        ...


class ReportingStore(Protocol):
    reports: ReportRepository


class ReportingUnitOfWork(Transaction, Protocol):
    """The reporting context's unit of work: its own store and nothing else."""

    reporting: ReportingStore


class ReportingQueries(Protocol):
    async def reports(
        self, *, requested_by: UUID | None, limit: int, cursor: str | None
    ) -> Page[Report]:
        """Newest first; everyone's when ``requested_by`` is None."""
        ...


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    """A money column's sum over the report in one currency (minor units)."""

    column: str
    currency: str
    amount: int


class ReportFileWriter(Protocol):
    def write(self, row: Sequence[Cell]) -> None: ...

    def finish(self, *, row_count: int, totals: Sequence[CurrencyTotal]) -> IO[bytes]:
        """The written file, rewound; the caller closes it."""
        ...


class ReportFileWriters(Protocol):
    def open(
        self, format: ReportFormat, title: str, columns: Sequence[ReportColumn]
    ) -> ReportFileWriter: ...


@dataclass(frozen=True, slots=True)
class DownloadGrant:
    """What a signed download link allows: one staff member, one report, until
    ``expires_at``."""

    viewer_id: UUID
    report_id: UUID
    expires_at: datetime


class ReportLinks(Protocol):
    def sign(self, grant: DownloadGrant) -> str: ...

    def verifies(self, grant: DownloadGrant, signature: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class ReportView:
    id: UUID
    kind: ReportKind
    format: ReportFormat
    status: ReportStatus
    # 0 to 100; 100 once ready.
    progress: int
    from_: datetime
    to: datetime
    filters: Mapping[str, str]
    requested_by: UUID
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    row_count: int | None
    size: int | None
    failure: str | None
    # A link signed for the viewer, valid a few minutes; only while the file can be downloaded.
    download_url: str | None = None
    # Answered to a request for a report already queued or running (the same one asked again).
    already_requested: bool = False


@dataclass(frozen=True, slots=True)
class ReportingPolicy:
    keep_days: int = 7
    link_seconds: int = 300
    # A PDF is for reading: past this many rows it lists the first ones (the totals stay whole).
    pdf_max_rows: int = 5000
    # A report still queued or running this long after it was asked for is taken as failed.
    stuck_after_hours: int = 24
