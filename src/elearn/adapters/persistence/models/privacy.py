"""Privacy tables: a person's data exports and erasures.

No foreign keys to users: an erasure's row is the lasting record that the person was erased,
and must outlive whatever becomes of their account. One scheduled erasure per person at a
time, even for requests made at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import BigInteger, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.shared.errors import Conflict

_SCHEDULED = "status = 'scheduled'"


class DataExportRow(Base):
    __tablename__ = "data_exports"
    __table_args__ = (
        # A person's exports, newest first.
        Index("ix_data_exports_user_id_requested_at", "user_id", "requested_at", "id"),
        Index("ix_data_exports_status_expires_at", "status", "expires_at"),
    )

    user_id: Mapped[UUID]
    requested_by: Mapped[UUID | None]
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    file_key: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)


class ErasureRow(Base):
    __tablename__ = "erasures"
    __table_args__ = (
        Index("ix_erasures_status_due_at", "status", "due_at"),
        Index("ix_erasures_user_id", "user_id"),
        Index(
            "uq_erasures_user_id",
            "user_id",
            unique=True,
            sqlite_where=text(_SCHEDULED),
            postgresql_where=text(_SCHEDULED),
        ),
    )

    user_id: Mapped[UUID]
    requested_by: Mapped[UUID | None]
    requested_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    cancelled_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    # Counts per context and kind ({"identity": {"accounts": 1}, ...}); never personal data.
    summary: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


CONSTRAINT_ERRORS: ConstraintErrors = {
    "uq_erasures_user_id": lambda: Conflict(
        "an erasure of this account was scheduled at the same moment", code="erasure-scheduled"
    ),
}
