"""Reporting tables: staff reports, where each stands and where its file is.

No foreign key to users: a report's row is the record of who exported what, and outlives
whatever becomes of the account that asked for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import BigInteger, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.reporting.reports import SameReportInProgress

# A report still to be built: one per fingerprint (who asked for what) at a time.
_IN_PROGRESS = text("status IN ('queued', 'running')")


class ReportRow(Base):
    __tablename__ = "reports"
    __table_args__ = (
        # Every report, and one person's, newest first.
        Index("ix_reports_requested_at", "requested_at", "id"),
        Index("ix_reports_requested_by_requested_at", "requested_by", "requested_at", "id"),
        Index("ix_reports_status_expires_at", "status", "expires_at"),
        Index(
            "uq_reports_fingerprint",
            "fingerprint",
            unique=True,
            postgresql_where=_IN_PROGRESS,
            sqlite_where=_IN_PROGRESS,
        ),
    )

    requested_by: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    period_starts_at: Mapped[datetime]
    period_ends_at: Mapped[datetime]
    filters: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    size: Mapped[int | None] = mapped_column(BigInteger)
    file_key: Mapped[str | None] = mapped_column(String(255))
    failure: Mapped[str | None] = mapped_column(String(500))
    fingerprint: Mapped[str | None] = mapped_column(String(64))


CONSTRAINT_ERRORS: ConstraintErrors = {"uq_reports_fingerprint": SameReportInProgress}
