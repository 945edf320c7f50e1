"""Staff reports: a kind of record over a period, exported as CSV or PDF in the background.

A report is asked for (queued), picked up by a worker (running, with its progress in percent),
and ends ready (a stored file, kept for a while) or failed. Cells of a spreadsheet that start
like a formula are neutralised when written, so opening an export never runs what a user typed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import Conflict, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

# A report covers at most this much time: a longer one is a data dump, not a report.
MAX_PERIOD = timedelta(days=366)
MAX_FAILURE_CHARS = 500


class ReportKind(StrEnum):
    ORDERS = "orders"
    PAYMENTS = "payments"
    REFUNDS = "refunds"
    PAYOUTS = "payouts"
    ENROLLMENTS = "enrollments"
    USERS = "users"
    BOOKINGS = "bookings"
    TICKETS = "tickets"


class ReportFormat(StrEnum):
    CSV = "csv"
    PDF = "pdf"


class ReportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class InvalidReportPeriod(RuleViolation):
    code = "invalid-report-period"


class SameReportInProgress(Conflict):
    """The same report (see `request_fingerprint`) is already queued or running: the request
    answers that one instead (never shown as an error)."""

    code = "same-report-in-progress"

    def __init__(self) -> None:
        super().__init__("the same report is already queued or running")


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """The instants a report covers: ``starts_at`` included, ``ends_at`` excluded."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidReportPeriod("a report's period needs instants with a UTC offset")
        if self.ends_at <= self.starts_at:
            raise InvalidReportPeriod("a report's `to` must come after its `from`")
        if self.ends_at - self.starts_at > MAX_PERIOD:
            raise InvalidReportPeriod(f"a report covers at most {MAX_PERIOD.days} days")


def request_fingerprint(
    requested_by: UUID,
    kind: ReportKind,
    format: ReportFormat,
    period: ReportPeriod,
    filters: Mapping[str, str],
) -> str:
    """The same report asked for again by the same person: kind, format, the period's instants
    (whatever offset they were written with) and the filters (in any order). While one such
    report is queued or running, asking again answers it instead of queueing a second."""
    key = json.dumps(
        [
            requested_by.hex,
            kind.value,
            format.value,
            period.starts_at.timestamp(),
            period.ends_at.timestamp(),
            sorted(filters.items()),
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(key.encode()).hexdigest()


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReportRequested(DomainEvent):
    event_type = "reporting.report_requested"
    report_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReportReady(DomainEvent):
    event_type = "reporting.report_ready"
    report_id: UUID
    requested_by: UUID
    kind: str
    keep_days: int


@dataclass(kw_only=True, eq=False)
class Report(RecordsEvents):
    id: UUID
    requested_by: UUID
    kind: ReportKind
    format: ReportFormat
    period: ReportPeriod
    filters: Mapping[str, str] = field(default_factory=dict)
    requested_at: datetime
    status: ReportStatus = ReportStatus.QUEUED
    progress: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    row_count: int | None = None
    size: int | None = None
    file_key: str | None = None
    failure: str | None = None
    # What makes two requests the same report (see `request_fingerprint`); None on reports
    # asked for before fingerprints were kept.
    fingerprint: str | None = None

    @classmethod
    def request(
        cls,
        *,
        report_id: UUID,
        event_id: UUID,
        requested_by: UUID,
        kind: ReportKind,
        format: ReportFormat,
        period: ReportPeriod,
        filters: Mapping[str, str],
        now: datetime,
    ) -> Report:
        report = cls(
            id=report_id,
            requested_by=requested_by,
            kind=kind,
            format=format,
            period=period,
            filters=dict(filters),
            requested_at=now,
            fingerprint=request_fingerprint(requested_by, kind, format, period, filters),
        )
        report.record(ReportRequested(event_id=event_id, occurred_at=now, report_id=report_id))
        return report

    def start(self, now: datetime) -> None:
        if self.status is not ReportStatus.QUEUED:
            raise IllegalTransition("report", self.status.value, "start")
        self.status = ReportStatus.RUNNING
        self.started_at = now
        self.progress = 0

    def advance(self, percent: int) -> None:
        """Progress only moves forward, and 100 % is for a finished report."""
        if self.status is not ReportStatus.RUNNING:
            raise IllegalTransition("report", self.status.value, "advance")
        self.progress = max(self.progress, min(99, max(0, percent)))

    def complete(
        self,
        *,
        file_key: str,
        size: int,
        row_count: int,
        now: datetime,
        keep_for: timedelta,
        event_id: UUID,
    ) -> None:
        if self.status is not ReportStatus.RUNNING:
            raise IllegalTransition("report", self.status.value, "complete")
        self.status = ReportStatus.READY
        self.progress = 100
        self.file_key = file_key
        self.size = size
        self.row_count = row_count
        self.finished_at = now
        self.expires_at = now + keep_for
        self.record(
            ReportReady(
                event_id=event_id,
                occurred_at=now,
                report_id=self.id,
                requested_by=self.requested_by,
                kind=self.kind.value,
                keep_days=keep_for.days,
            )
        )

    def fail(self, reason: str, now: datetime) -> None:
        if self.status not in (ReportStatus.QUEUED, ReportStatus.RUNNING):
            raise IllegalTransition("report", self.status.value, "fail")
        self.status = ReportStatus.FAILED
        self.failure = reason[:MAX_FAILURE_CHARS]
        self.finished_at = now

    def is_downloadable(self, now: datetime) -> bool:
        return (
            self.status is ReportStatus.READY
            and self.file_key is not None
            and self.expires_at is not None
            and now < self.expires_at
        )

    def forget_file(self) -> str | None:
        """The file's key, once it has expired and is to be deleted; the row stays."""
        key, self.file_key = self.file_key, None
        return key


# What spreadsheet programs read as the start of a formula (OWASP "CSV injection"): a cell
# starting with one of these is prefixed with an apostrophe, which they show as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """The cell as a spreadsheet shows it without evaluating it. Negative numbers written by
    the report itself are not text a user typed: callers neutralise text cells only."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
