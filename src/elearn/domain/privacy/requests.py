"""A person's data exports and erasures: what was asked, by whom, and where each stands.

An export is built in the background and kept for a while; an erasure waits out a grace period
(the person may change their mind) and is then carried out once. The erasure row stays as the
record that it happened: ids, instants and counts, never the personal data it removed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import IllegalTransition
from elearn.domain.shared.events import DomainEvent, RecordsEvents


class ExportStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataExportRequested(DomainEvent):
    event_type = "privacy.data_export_requested"
    export_id: UUID
    user_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataExportReady(DomainEvent):
    event_type = "privacy.data_export_ready"
    export_id: UUID
    user_id: UUID


@dataclass(kw_only=True, eq=False)
class DataExport(RecordsEvents):
    id: UUID
    user_id: UUID
    requested_by: UUID | None  # the person, or the staff member who ran it for them
    requested_at: datetime
    status: ExportStatus = ExportStatus.PENDING
    ready_at: datetime | None = None
    expires_at: datetime | None = None
    file_key: str | None = None
    size: int | None = None

    @classmethod
    def request(
        cls,
        *,
        export_id: UUID,
        event_id: UUID,
        user_id: UUID,
        requested_by: UUID | None,
        now: datetime,
    ) -> DataExport:
        export = cls(id=export_id, user_id=user_id, requested_by=requested_by, requested_at=now)
        export.record(
            DataExportRequested(
                event_id=event_id, occurred_at=now, export_id=export_id, user_id=user_id
            )
        )
        return export

    def complete(
        self, *, file_key: str, size: int, now: datetime, keep_for: timedelta, event_id: UUID
    ) -> None:
        if self.status is not ExportStatus.PENDING:
            raise IllegalTransition("data export", self.status.value, "complete")
        self.status = ExportStatus.READY
        self.file_key = file_key
        self.size = size
        self.ready_at = now
        self.expires_at = now + keep_for
        self.record(
            DataExportReady(
                event_id=event_id, occurred_at=now, export_id=self.id, user_id=self.user_id
            )
        )

    def fail(self) -> None:
        if self.status is not ExportStatus.PENDING:
            raise IllegalTransition("data export", self.status.value, "fail")
        self.status = ExportStatus.FAILED

    def is_downloadable(self, now: datetime) -> bool:
        return (
            self.status is ExportStatus.READY
            and self.file_key is not None
            and self.expires_at is not None
            and now < self.expires_at
        )

    def forget_file(self) -> str | None:
        """The archive's key, once it has expired and is to be deleted; the row stays."""
        key, self.file_key = self.file_key, None
        return key


class ErasureStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DONE = "done"


@dataclass(kw_only=True, eq=False)
class Erasure(RecordsEvents):
    """One erasure of one person: scheduled, then cancelled or done. Once done it is the record
    of the erasure: who asked, who was erased (an id that no longer leads to a name), when, and
    how many things of each kind each context erased."""

    id: UUID
    user_id: UUID
    requested_by: UUID | None
    requested_at: datetime
    due_at: datetime
    status: ErasureStatus = ErasureStatus.SCHEDULED
    cancelled_at: datetime | None = None
    erased_at: datetime | None = None
    summary: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def schedule(
        cls,
        *,
        erasure_id: UUID,
        user_id: UUID,
        requested_by: UUID | None,
        now: datetime,
        grace: timedelta,
    ) -> Erasure:
        if grace < timedelta(0):
            raise ValueError("a grace period is not negative")
        return cls(
            id=erasure_id,
            user_id=user_id,
            requested_by=requested_by,
            requested_at=now,
            due_at=now + grace,
        )

    @property
    def is_scheduled(self) -> bool:
        return self.status is ErasureStatus.SCHEDULED

    def is_due(self, now: datetime) -> bool:
        return self.is_scheduled and now >= self.due_at

    def bring_forward(self, now: datetime) -> None:
        """Staff erase at once what was waiting for its grace period."""
        if not self.is_scheduled:
            raise IllegalTransition("erasure", self.status.value, "bring forward")
        self.due_at = min(self.due_at, now)

    def cancel(self, now: datetime) -> None:
        if not self.is_scheduled:
            raise IllegalTransition("erasure", self.status.value, "cancel")
        self.status = ErasureStatus.CANCELLED
        self.cancelled_at = now

    def complete(self, now: datetime, summary: Mapping[str, Mapping[str, int]]) -> None:
        if not self.is_scheduled:
            raise IllegalTransition("erasure", self.status.value, "carry out")
        self.status = ErasureStatus.DONE
        self.erased_at = now
        self.summary = {section: dict(counts) for section, counts in summary.items()}
