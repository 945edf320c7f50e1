"""Staff reports (issue 18): asked for by staff, built in the background from the rows a context
declares for the kind, written as CSV (streamed, constant memory) or PDF (a table and totals),
downloaded by a link signed for the staff member, and deleted when they expire.

Who may run a kind is the permission of the staff list that shows the same records (money is
an admin's; enrollments, users, bookings and tickets a manager's too). Asking and downloading
are audited."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import IO
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import FieldError, Gone, InvalidInput, NotFound, PermissionDenied
from elearn.application.files import (
    PrivateFile,
    UploadPurpose,
    delete_quietly,
    link_expiry,
    purge_expired_files,
)
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.report_sources import Cell, ColumnKind, ReportSource
from elearn.application.reporting.deps import ReportingDeps
from elearn.application.reporting.ports import (
    CurrencyTotal,
    DownloadGrant,
    ReportingUnitOfWork,
    ReportView,
)
from elearn.domain.reporting.reports import (
    Report,
    ReportFormat,
    ReportKind,
    ReportPeriod,
    ReportRequested,
    ReportStatus,
    SameReportInProgress,
    request_fingerprint,
)
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.events import DomainEvent

logger = logging.getLogger(__name__)

MEDIA_TYPES = {ReportFormat.CSV: "text/csv; charset=utf-8", ReportFormat.PDF: "application/pdf"}
MAX_FILTERS = 10
_CHUNK = 64 * 1024
# Progress is written at most this often (in percent), each in a short transaction of its own.
_PROGRESS_STEP = 5


class ReportNotFound(NotFound):
    code = "staff-report-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such report")


class InvalidReport(InvalidInput):
    """A kind this platform cannot report on, or filters the kind does not take (HTTP 422)."""

    code = "invalid-staff-report"


class ReportNotReady(Conflict):
    """Asked for the file before it was written, or of a report that failed (HTTP 409)."""

    code = "report-not-ready"


class ReportExpired(Gone):
    code = "report-expired"

    def __init__(self) -> None:
        super().__init__("this report's file has expired; ask for a new report")


class ReportLinkExpired(Gone):
    code = "report-link-expired"

    def __init__(self) -> None:
        super().__init__("this download link has expired; open the report again for a new one")


class ReportLinkInvalid(PermissionDenied):
    code = "report-link-invalid"

    def __init__(self) -> None:
        super().__init__("this download link is not valid for you")


@dataclass(frozen=True, slots=True)
class ReportRequest:
    kind: ReportKind
    format: ReportFormat
    starts_at: datetime
    ends_at: datetime
    filters: Mapping[str, str]


def report_path(report_id: UUID) -> str:
    return f"/api/v1/admin/reports/{report_id}"


def file_path(report_id: UUID) -> str:
    return f"{report_path(report_id)}/file"


def _view(deps: ReportingDeps, report: Report, viewer_id: UUID, now: datetime) -> ReportView:
    download_url = None
    if report.is_downloadable(now):
        expires_at = now + timedelta(seconds=deps.policy.link_seconds)
        if report.expires_at is not None:
            expires_at = min(expires_at, report.expires_at)
        expires_at = expires_at.replace(microsecond=0)
        signature = deps.links.sign(DownloadGrant(viewer_id, report.id, expires_at))
        download_url = (
            f"{file_path(report.id)}?expires={int(expires_at.timestamp())}&signature={signature}"
        )
    return ReportView(
        id=report.id,
        kind=report.kind,
        format=report.format,
        status=report.status,
        progress=report.progress,
        from_=report.period.starts_at,
        to=report.period.ends_at,
        filters=dict(report.filters),
        requested_by=report.requested_by,
        requested_at=report.requested_at,
        started_at=report.started_at,
        finished_at=report.finished_at,
        expires_at=report.expires_at,
        row_count=report.row_count,
        size=report.size,
        failure=report.failure,
        download_url=download_url,
    )


def _source(deps: ReportingDeps, kind: ReportKind) -> ReportSource:
    source = deps.sources.get(kind.value)
    if source is None:  # its context is not part of this platform
        raise InvalidReport(
            f"this platform has no {kind.value} to report on",
            errors=[FieldError("kind", "is not available here")],
        )
    return source


def _authorize_kind(deps: ReportingDeps, actor: Actor, source: ReportSource) -> None:
    deps.authorizer.authorize(actor, Permission.RUN_REPORTS)
    deps.authorizer.authorize(actor, source.permission)


class RequestReport:
    """Staff ask for a report of one kind over a period (at most a year), with the filters
    that kind takes; it is queued and built in the background (202). Asking again for the same
    report (same kind, format, period and filters) while one's is queued or running answers
    that one (``already_requested``), also when both requests arrive at once."""

    def __init__(self, deps: ReportingDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, request: ReportRequest) -> ReportView:
        deps = self._deps
        requester = require_signed_in(actor)
        deps.authorizer.authorize(actor, Permission.RUN_REPORTS)
        source = _source(deps, request.kind)
        _authorize_kind(deps, actor, source)
        errors = [
            FieldError(f"filters.{name}", "is not a filter of this report")
            if name not in source.filters
            else FieldError(f"filters.{name}", "is not a value this filter takes")
            for name, value in request.filters.items()
            if name not in source.filters or not source.filters[name].accepts(value)
        ]
        if len(request.filters) > MAX_FILTERS or errors:
            raise InvalidReport("the report's filters are not ones it takes", errors=errors)
        period = ReportPeriod(request.starts_at, request.ends_at)
        now = deps.clock.now()
        fingerprint = request_fingerprint(
            requester, request.kind, request.format, period, request.filters
        )
        # Twice at most: a report that blocked ours may finish between our insert and our read.
        for _ in range(2):
            try:
                async with deps.uow() as uow:
                    earlier = await uow.reporting.reports.in_progress(fingerprint)
                    if earlier is None:
                        # Made afresh on each try: a failed commit may have taken its event.
                        report = Report.request(
                            report_id=deps.ids.new_id(),
                            event_id=deps.ids.new_id(),
                            requested_by=requester,
                            kind=request.kind,
                            format=request.format,
                            period=period,
                            filters=request.filters,
                            now=now,
                        )
                        await uow.reporting.reports.add(report)
                        deps.audit(
                            uow, actor, AuditAction.REPORT_REQUESTED,
                            target_type="report", target_id=report.id,
                            kind=request.kind.value, format=request.format.value,
                        )  # fmt: skip
                        await uow.commit()
                        return _view(deps, report, requester, now)
            except SameReportInProgress:
                # Asked twice at once: the other request's report was stored first (the
                # partial unique index on the fingerprint said so); this one answers it.
                async with deps.uow(read_only=True) as uow:
                    earlier = await uow.reporting.reports.in_progress(fingerprint)
            if earlier is not None:
                return replace(_view(deps, earlier, requester, now), already_requested=True)
        raise SameReportInProgress()


class GetReport:
    """Where a report stands; with a signed `download_url` once ready. Staff see every
    report of a kind they may run."""

    def __init__(self, deps: ReportingDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, report_id: UUID) -> ReportView:
        deps = self._deps
        viewer = require_signed_in(actor)
        deps.authorizer.authorize(actor, Permission.RUN_REPORTS)
        async with deps.uow(read_only=True) as uow:
            report = await uow.reporting.reports.get(report_id)
        if report is None:
            raise ReportNotFound()
        source = deps.sources.get(report.kind.value)
        if source is not None and not deps.authorizer.allows(actor, source.permission):
            raise ReportNotFound()
        return _view(deps, report, viewer, deps.clock.now())


class ListReports:
    """Newest first: the caller's own reports (``mine``), or every report of the kinds the
    caller may run."""

    def __init__(self, deps: ReportingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, mine: bool = False, limit: int = 20, cursor: str | None = None
    ) -> Page[ReportView]:
        deps = self._deps
        viewer = require_signed_in(actor)
        deps.authorizer.authorize(actor, Permission.RUN_REPORTS)
        check_limit(limit)
        page = await page_of(
            deps.queries.reports(requested_by=viewer if mine else None, limit=limit, cursor=cursor)
        )
        now = deps.clock.now()
        items = [
            _view(deps, report, viewer, now)
            for report in page.items
            if (source := deps.sources.get(report.kind.value)) is None
            or deps.authorizer.allows(actor, source.permission)
        ]
        return Page(items, page.next_cursor)


class OpenReportFile:
    """The file, through the link ``GetReport`` signed for this staff member: 410
    `report-link-expired` after a few minutes, 403 `report-link-invalid` for a forged link or
    someone else's. Each download is audited."""

    def __init__(self, deps: ReportingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, report_id: UUID, *, expires: int, signature: str
    ) -> PrivateFile:
        deps = self._deps
        viewer = require_signed_in(actor)
        deps.authorizer.authorize(actor, Permission.RUN_REPORTS)
        now = deps.clock.now()
        expires_at = link_expiry(expires)
        if expires_at is None:
            raise ReportLinkInvalid()
        if not deps.links.verifies(DownloadGrant(viewer, report_id, expires_at), signature):
            raise ReportLinkInvalid()
        if now >= expires_at:
            raise ReportLinkExpired()
        async with deps.uow() as uow:
            report = await uow.reporting.reports.get(report_id)
            if report is None:
                raise ReportNotFound()
            if report.status is not ReportStatus.READY:
                raise ReportNotReady(f"the report is {report.status.value}")
            if not report.is_downloadable(now) or report.file_key is None:
                raise ReportExpired()
            deps.audit(
                uow, actor, AuditAction.REPORT_DOWNLOADED,
                target_type="report", target_id=report.id, kind=report.kind.value,
            )  # fmt: skip
            await uow.commit()
        size = await deps.storage.size(report.file_key)
        stamp = report.period.starts_at.strftime("%Y%m%d")
        until = report.period.ends_at.strftime("%Y%m%d")
        return PrivateFile(
            report.file_key,
            MEDIA_TYPES[report.format],
            f"{report.kind.value}-{stamp}-{until}.{report.format.value}",
            size,
        )


class _Totals:
    """Sums of a report's money columns, per currency, as rows go by."""

    def __init__(self, names: Sequence[str], kinds: Sequence[ColumnKind]) -> None:
        self._money = [i for i, kind in enumerate(kinds) if kind is ColumnKind.MONEY]
        currency = [i for i, kind in enumerate(kinds) if kind is ColumnKind.CURRENCY]
        self._currency = currency[0] if currency else None
        self._names = names
        self._sums: dict[tuple[int, str], int] = defaultdict(int)

    def add(self, row: Sequence[Cell]) -> None:
        if self._currency is None:
            return
        currency = str(row[self._currency])
        for index in self._money:
            value = row[index]
            if isinstance(value, int):
                self._sums[index, currency] += value

    def totals(self) -> list[CurrencyTotal]:
        return [
            CurrencyTotal(self._names[index], currency, amount)
            for (index, currency), amount in sorted(self._sums.items(), key=lambda i: i[0][::-1])
        ]


class BuildReport:
    """The outbox handler: streams the kind's rows in one read transaction into the file,
    stores it and marks the report ready (which notifies the requester). Idempotent: a report
    no longer queued is left alone; one that cannot be built is marked failed, not retried."""

    def __init__(self, deps: ReportingDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, ReportRequested)
        await self.build(event.report_id)

    async def build(self, report_id: UUID) -> None:
        deps = self._deps
        async with deps.uow() as uow:
            report = await uow.reporting.reports.get(report_id, for_update=True)
            if report is None or report.status is not ReportStatus.QUEUED:
                return
            source = deps.sources.get(report.kind.value)
            if source is None:
                report.fail("this platform no longer reports on this kind", deps.clock.now())
                await uow.commit()
                return
            report.start(deps.clock.now())
            await uow.commit()
        # A report that cannot be written or stored is failed for good (its requester asks
        # again): retrying the job would find it running and leave it so forever.
        try:
            spool, rows = await self._write(report, source)
            try:
                size = await asyncio.to_thread(lambda: spool.seek(0, 2))
                await asyncio.to_thread(spool.seek, 0)
                stored = await deps.storage.save(
                    _chunks_of(spool),
                    purpose=UploadPurpose.REPORT,
                    original_name=f"report-{report.id}.{report.format.value}",
                )
            finally:
                spool.close()
        except Exception as error:
            logger.exception("report %s could not be written", report_id)
            await self._fail(report_id, f"the report could not be written: {type(error).__name__}")
            return
        async with deps.uow() as uow:
            report_now = await uow.reporting.reports.get(report_id, for_update=True)
            if report_now is None or report_now.status is not ReportStatus.RUNNING:
                await delete_quietly(deps.storage, stored.key)
                return
            report_now.complete(
                file_key=stored.key,
                size=size,
                row_count=rows,
                now=deps.clock.now(),
                keep_for=deps.keep_for,
                event_id=deps.ids.new_id(),
            )
            await uow.commit()

    async def _write(self, report: Report, source: ReportSource) -> tuple[IO[bytes], int]:
        deps = self._deps
        columns = list(source.columns)
        title = (
            f"{report.kind.value.capitalize()} from {report.period.starts_at.isoformat()} "
            f"to {report.period.ends_at.isoformat()}"
        )
        writer = deps.writers.open(report.format, title, columns)
        totals = _Totals([c.name for c in columns], [c.kind for c in columns])
        start, end, filters = report.period.starts_at, report.period.ends_at, report.filters
        rows = 0
        async with deps.uow(read_only=True) as uow:
            expected = max(1, await source.count(uow, start, end, filters))
            reported = 0
            async for row in source.rows(uow, start, end, filters):
                writer.write(row)
                totals.add(row)
                rows += 1
                percent = rows * 100 // expected
                if percent >= reported + _PROGRESS_STEP:
                    reported = percent
                    await self._advance(report.id, percent)
        return writer.finish(row_count=rows, totals=totals.totals()), rows

    async def _advance(self, report_id: UUID, percent: int) -> None:
        async with self._deps.uow() as uow:
            report = await uow.reporting.reports.get(report_id, for_update=True)
            if report is not None and report.status is ReportStatus.RUNNING:
                report.advance(percent)
                await uow.commit()

    async def _fail(self, report_id: UUID, reason: str) -> None:
        async with self._deps.uow() as uow:
            report = await uow.reporting.reports.get(report_id, for_update=True)
            if report is not None and report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING):
                report.fail(reason, self._deps.clock.now())
                await uow.commit()


async def _chunks_of(spool: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(spool.read, _CHUNK):
        yield chunk


class PurgeExpiredReports:
    """The periodic job: files past their expiry are deleted (the rows stay, without a file)."""

    def __init__(self, deps: ReportingDeps) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        now = self._deps.clock.now()

        async def expired(uow: ReportingUnitOfWork, limit: int) -> list[Report]:
            return await uow.reporting.reports.expired(now, limit=limit)

        return await purge_expired_files(self._deps.uow, expired, self._deps.storage)
